"""WRONG: reads get_worker_info() in __init__, which runs in the main process, where it is
None: every worker's copy then believes it is alone and yields everything.
Caught by: with 2 workers, every record comes out exactly once, whatever the length."""

from collections.abc import Iterator

from torch.utils.data import IterableDataset, get_worker_info


class ShardedStream(IterableDataset):
    def __init__(self, records: list) -> None:
        self.records = records
        info = get_worker_info()
        self.worker, self.workers = (0, 1) if info is None else (info.id, info.num_workers)

    def __iter__(self) -> Iterator:
        yield from self.records[self.worker :: self.workers]
