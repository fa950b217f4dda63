"""A dataset that streams records, read front to back, for a multi-worker DataLoader."""

from collections import Counter
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, IterableDataset


class ShardedStream(IterableDataset):
    """Streams ``records`` in order; a DataLoader's workers must share them out."""

    def __init__(self, records: list) -> None:
        self.records = records

    def __iter__(self) -> Iterator:
        # TODO: a DataLoader with workers runs this in every worker, on its own copy.
        yield from self.records


if __name__ == "__main__":
    stream = ShardedStream(list(range(100, 107)))
    loader = DataLoader(stream, batch_size=2, num_workers=2, generator=torch.Generator())
    counts = Counter(record for batch in loader for record in batch.tolist())
    print("how often each record came out:", dict(sorted(counts.items())))
