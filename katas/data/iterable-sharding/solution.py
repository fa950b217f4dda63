"""A dataset that streams records, read front to back, for a multi-worker DataLoader."""

import itertools
from collections import Counter
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info


class ShardedStream(IterableDataset):
    """Streams ``records`` in order; a DataLoader's workers must share them out."""

    def __init__(self, records: list) -> None:
        self.records = records

    def __iter__(self) -> Iterator:
        # Asked here, in the process that iterates: inside a worker it says which one; in the
        # main process (num_workers=0) it is None, and this process reads everything.
        info = get_worker_info()
        if info is None:
            yield from self.records
            return
        # Every num_workers-th record from position id: the parts cover the whole stream,
        # whatever its length, without knowing the length in advance.
        yield from itertools.islice(self.records, info.id, None, info.num_workers)


if __name__ == "__main__":
    stream = ShardedStream(list(range(100, 107)))
    loader = DataLoader(stream, batch_size=2, num_workers=2, generator=torch.Generator())
    counts = Counter(record for batch in loader for record in batch.tolist())
    print("how often each record came out:", dict(sorted(counts.items())))
