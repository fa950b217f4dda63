"""Which device a grading runs on, decided with torch's facts, in the processes of a grading.

Shared by the judge and the learner process, which each resolve the device for themselves
(the learner process is forked before the judge touches a GPU: a process that forks after
initialising CUDA leaves its child unable to use it). torch is imported inside the functions,
so the grader's own process may import this module without importing torch.
"""

from __future__ import annotations

from trainer.grading.devices import choose_device


def resolve_device(requested: str, allowed: tuple[str, ...]) -> tuple[str, str | None]:
    """Pick the concrete device, or say why it cannot be graded here.

    The decision is :func:`trainer.grading.devices.choose_device`; this supplies torch's facts,
    asking only about what the request could use (a CPU grading never touches the CUDA driver). CUDA
    is probed here, in the child, never in the parent, so a forking parent stays safe.
    """
    import torch

    kind = requested.partition(":")[0]
    wants = {kind} if kind != "auto" else set(allowed)
    cuda_count = torch.cuda.device_count() if "cuda" in wants and "cuda" in allowed else 0
    mps = bool(
        "mps" in wants
        and "mps" in allowed
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    )
    return choose_device(requested, allowed, cuda_count=cuda_count, mps=mps)


def open_gpu(device: str) -> None:
    """Make ``device`` the current GPU and create its CUDA context, before the sandbox closes.

    Current, so that ``cuda``, ``torch.cuda.synchronize()`` and CUDA events in checks and learner
    code mean the GPU being graded (``cuda:1`` included). Created now, because a CUDA context
    opens the GPU's device files for writing, which Landlock refuses once it is on; the files
    stay open for the rest of the run, and the set-up time is not charged to the first check.
    """
    import torch

    target = torch.device(device)
    if target.index is not None:
        torch.cuda.set_device(target)
    torch.empty(0, device=target)
