"""Second solution for iterable-sharding: contiguous parts of ceil(n / num_workers) records,
the last part shorter, so the remainder is kept."""

import math

from torch.utils.data import IterableDataset, get_worker_info


class ShardedStream(IterableDataset):
    def __init__(self, records):
        self.records = list(records)

    def __iter__(self):
        info = get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        size = math.ceil(len(self.records) / workers)
        yield from self.records[worker * size : (worker + 1) * size]
