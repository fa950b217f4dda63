"""WRONG: opens the stream (an iterator) in __init__ and shards it in __iter__: the first
epoch uses it up, and every later epoch in the same process yields nothing.
Caught by: each new epoch yields every record again."""

import itertools
from collections.abc import Iterator

from torch.utils.data import IterableDataset, get_worker_info


class ShardedStream(IterableDataset):
    def __init__(self, records: list) -> None:
        self.stream = iter(records)

    def __iter__(self) -> Iterator:
        info = get_worker_info()
        if info is None:
            yield from self.stream
            return
        yield from itertools.islice(self.stream, info.id, None, info.num_workers)
