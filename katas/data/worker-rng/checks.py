"""Hidden checks for worker-rng: ``make_loader(Jitter(points, seed), batch_size, num_workers,
generator)`` draws fresh, distinct augmentation noise for every sample, in every epoch, with
and without workers, and the same noise again for the same seeds.

The dataset, the generator and the loader are built in the learner process, whose forked
workers read the dataset; each epoch's outputs and indices come back as tensors, and the noise
(output minus point) is computed and compared here. The points stay on the CPU on every
device: the loader's forked workers cannot use CUDA."""

from typing import Any

import torch

from trainer.checks import Remote

N, D, BATCH = 16, 3, 4
SEED, LOADER_SEED = 11, 5
SAME = 1e-6
"""Two noise vectors closer than this are the same draw (distinct draws differ by ~0.1)."""
RESEED = (
    "Each worker starts as a fork of the main process, with a copy of the dataset's "
    "generator in the state __init__ left it in: the same in every worker, and again in "
    "every epoch's new workers. Reseed each worker's copy from get_worker_info().seed, in a "
    "worker_init_fn (info.dataset.rng = np.random.default_rng(info.seed))"
)


def _points(seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(N, D, generator=generator) * 3 + 1


def _read(loader: object) -> tuple[torch.Tensor, torch.Tensor, list[int]] | str:
    """One epoch: the outputs and the sample indices, in the order they came, and the batch
    sizes (in the learner process), or what went wrong."""
    outputs, indices = [], []
    for batch in loader:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            return f"a batch that is a {type(batch).__name__}, not (points, indices)"
        outputs.append(batch[0])
        indices.append(batch[1])
    return torch.cat(outputs), torch.cat(indices), [len(i) for i in indices]


def _scene(workers: int, seed: int = SEED, loader_seed: int = LOADER_SEED) -> str:
    return (
        f"make_loader(Jitter(points, seed={seed}), batch_size={BATCH}, num_workers={workers}, "
        f"generator seeded with {loader_seed}) over {N} points"
    )


class _Run:
    """A dataset and a loader in the learner process, read epoch by epoch."""

    def __init__(
        self,
        learner: Any,
        remote: Remote,
        workers: int,
        seed: int = SEED,
        loader_seed: int = LOADER_SEED,
    ) -> None:
        self.remote, self.workers = remote, workers
        self.points = _points(seed)
        self.scene = _scene(workers, seed, loader_seed)
        dataset = learner.Jitter(self.points, seed)
        generator = remote.eval("torch.Generator().manual_seed(s)", s=loader_seed)
        self.loader = learner.make_loader(dataset, BATCH, workers, generator)
        kept = remote.eval("getattr(loader, 'num_workers', None)", loader=self.loader)
        assert kept == workers, (
            f"{self.scene} returned a loader with num_workers={kept!r}, expected {workers}: "
            "keep the workers (loading is what they speed up), and fix how each one seeds "
            "its generator"
        )

    def epoch(self, number: int) -> torch.Tensor:
        """The noise each sample got in one epoch, row i for sample i."""
        try:
            got = self.remote.value(self.remote.define(_read)(self.loader))
        except (AttributeError, TypeError, RuntimeError, ValueError) as exc:
            # a worker's error comes wrapped, the error itself on its last line
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            text = lines[-1] if lines else ""
            raise AssertionError(
                f"epoch {number} of {self.scene} raised "
                f"{getattr(exc, 'short_type', type(exc).__name__)}: {text}"
                + (
                    ". get_worker_info() is None in the main process, which reads the "
                    "samples itself when num_workers=0: use the dataset's own generator then"
                    if "NoneType" in text
                    else ""
                )
            ) from None
        assert not isinstance(got, str), f"epoch {number} of {self.scene} yielded {got}"
        outputs, indices, sizes = got
        order = [int(i) for i in indices.tolist()]
        assert sorted(order) == list(range(N)), (
            f"epoch {number} of {self.scene} yielded the samples {order}, expected each of "
            f"0..{N - 1} once"
        )
        assert order != list(range(N)) and sizes == [BATCH] * (N // BATCH), (
            f"epoch {number} of {self.scene} yielded the samples {order} in batches of "
            f"{sizes}: expected a shuffled order (shuffle=True, with the generator) in "
            f"batches of {BATCH}"
        )
        assert outputs.dtype == torch.float32, (
            f"epoch {number} of {self.scene} yielded points of dtype {outputs.dtype}, expected "
            "torch.float32: add the noise in the points' dtype"
        )
        noise = torch.empty(N, D)
        noise[indices] = outputs.float() - self.points[indices]
        return noise


def _assert_distinct(noise: torch.Tensor, scene: str, hint: str) -> None:
    close = torch.cdist(noise.double(), noise.double()) < SAME
    close.fill_diagonal_(False)
    pairs = close.triu().nonzero()
    if len(pairs):
        i, j = int(pairs[0, 0]), int(pairs[0, 1])
        same = len(pairs)
        raise AssertionError(
            f"in epoch 1 of {scene}, samples {i} and {j} got the same noise "
            f"{[round(v, 4) for v in noise[i].tolist()]} ({same} pairs of samples share their "
            f"noise). {hint}"
        )
    spread = float(noise.std())
    assert 0.05 <= spread <= 0.2, (
        f"the noise of epoch 1 of {scene} has a standard deviation of {spread:.3g}, expected "
        "about 0.1: draw it from a normal distribution with std 0.1"
    )


def _assert_new(first: torch.Tensor, second: torch.Tensor, scene: str, hint: str) -> None:
    repeats = (torch.cdist(second.double(), first.double()) < SAME).any(1)
    count = int(repeats.sum())
    assert count == 0, (
        f"epoch 2 of {scene} repeated {count} of epoch 1's {N} noise vectors (given to "
        f"samples in a new order, maybe): the augmentation is the same every epoch. {hint}"
    )


def _other_random_work(remote: Remote, seed: int) -> None:
    """Draws and seeds on the learner process's global generators, as a program does."""
    remote.eval(
        "(torch.manual_seed(s), torch.rand(3), __import__('numpy').random.seed(s), "
        "__import__('random').seed(s))",
        s=seed,
    )


def test_distinct_with_workers(learner: Any, remote: Remote, device: torch.device) -> None:
    """with 2 workers, no two samples of an epoch get the same noise"""
    run = _Run(learner, remote, 2)
    _assert_distinct(run.epoch(1), run.scene, RESEED)


def test_new_noise_each_epoch(learner: Any, remote: Remote, device: torch.device) -> None:
    """with workers, every epoch draws new noise"""
    run = _Run(learner, remote, 1, seed=12, loader_seed=6)
    first, second = run.epoch(1), run.epoch(2)
    _assert_new(
        first,
        second,
        run.scene,
        "Each epoch forks new workers from the main process, whose copy of the generator "
        "never moved, so a worker that keeps it, or reseeds it with something that does not "
        "change between epochs (worker_id, the sample index), draws the same numbers again. "
        "get_worker_info().seed is new every epoch: reseed from it",
    )


def test_reproducible(learner: Any, remote: Remote, device: torch.device) -> None:
    """the same seeds give the same epoch, whatever else the program draws"""
    epochs = []
    for other in (0, 1):
        _other_random_work(remote, other)
        run = _Run(learner, remote, 2, seed=13, loader_seed=7)
        _other_random_work(remote, 100 + other)
        epochs.append(run.epoch(1))
    differ = int((~torch.isclose(epochs[0], epochs[1], rtol=0, atol=SAME)).any(1).sum())
    assert differ == 0, (
        f"two runs of {run.scene}, whose other random work differs, gave {differ} of {N} "
        "samples different noise: the noise must follow the seeds alone. Seed each worker's "
        "generator from get_worker_info().seed (decided by the loader's generator), never "
        "from the clock, the operating system or the global random state"
    )


def test_no_workers(learner: Any, remote: Remote, device: torch.device) -> None:
    """with num_workers=0, the noise is distinct, new each epoch, and reproducible"""
    hint = (
        "Without workers the main process reads the samples with the dataset's own "
        "generator, seeded in __init__: keep using it (get_worker_info() is None there)"
    )
    runs = []
    for other in (2, 3):
        _other_random_work(remote, other)
        run = _Run(learner, remote, 0, seed=14, loader_seed=8)
        runs.append((run.epoch(1), run.epoch(2)))
    first, second = runs[0]
    _assert_distinct(first, run.scene, hint)
    _assert_new(first, second, run.scene, hint)
    for number in (0, 1):
        assert torch.allclose(runs[0][number], runs[1][number], rtol=0, atol=SAME), (
            f"two runs of {run.scene}, whose other random work differs, gave different noise "
            f"in epoch {number + 1}: {hint}"
        )
