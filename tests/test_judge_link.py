"""The judge's handle on the learner process: what runs where, and what crosses.

A real learner-side server in a forked process (no sandbox: that is tests/test_hostile.py's
job) and the judge's :class:`Link` in this one. Each test pins one rule of
``trainer/grading/judge/link.py``'s docstring.
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from trainer.checks import assert_close, gradcheck64, plain, saved_tensor_count, sgd_step
from trainer.errors import LearnerGone, LearnerRaised
from trainer.grading.judge.link import Link, Proxy, learner_pid_reason
from trainer.grading.judge.remote import Remote
from trainer.grading.learner.server import serve

LEARNER = """
import torch
from torch import nn

calls = []


def double(x):
    calls.append("double")
    return 2 * x


def scale_in_place(x):
    x.mul_(3)


def fail(kind):
    raise {"key": KeyError, "value": ValueError}[kind]("learner says no")


def leave():
    raise SystemExit(0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x):
        return self.lin(x)


class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return GRAD_FACTOR * x * grad


GRAD_FACTOR = 2


class Agreeable(torch.Tensor):
    pass


def agreeable(x):
    return x.as_subclass(Agreeable)


def patch_torch():
    torch.equal = lambda *a, **k: True
    torch.Tensor.__eq__ = lambda *a, **k: True


class Box:
    def __init__(self):
        self.entered = 0
        self.seen = []

    def __enter__(self):
        self.entered += 1
        return self

    def __exit__(self, kind, exc, tb):
        self.seen.append(None if kind is None else (kind.__name__, isinstance(exc, ValueError)))
        return kind is not None and kind.__name__ == "Swallowed"
"""


@pytest.fixture
def connect(tmp_path: Path) -> Iterator[Callable[[str], Link]]:
    links: list[tuple[Link, int]] = []

    def start(source: str = LEARNER) -> Link:
        path = tmp_path / "answer.py"
        path.write_text(source, encoding="utf-8")
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the learner side
            ours.close()
            serve(theirs, path, "answer")
        theirs.close()
        link = Link(ours, source, str(path))
        link.exit_reason = learner_pid_reason(pid)
        links.append((link, pid))
        return link

    yield start
    for link, pid in links:
        link.close()
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


@pytest.fixture
def link(connect: Callable[[str], Link]) -> Link:
    return connect(LEARNER)


def test_calls_and_attributes_run_in_the_learner_process(link: Link) -> None:
    learner = link.import_learner()
    x = torch.arange(3.0)
    out = learner.double(x)
    assert type(out) is Proxy
    assert_close(out, 2 * x)
    assert list(learner.calls) == ["double"]  # the call happened there, not here
    assert len(learner.calls) == 1 and "double" in learner.calls


def test_judge_values_go_by_value(link: Link) -> None:
    learner = link.import_learner()
    remote = Remote(link)
    mine = torch.ones(3)
    learner.scale_in_place(mine)
    assert torch.equal(mine, torch.ones(3))  # the learner changed its copy
    theirs = remote.tensor(torch.ones(3))
    learner.scale_in_place(theirs)
    assert torch.equal(plain(theirs), torch.full((3,), 3.0))


def test_judge_objects_cannot_cross(link: Link) -> None:
    learner = link.import_learner()
    with pytest.raises(TypeError, match="Linear of the judge's cannot be passed"):
        learner.double(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="function of the judge's"):
        learner.double(lambda: None)


def test_comparisons_and_torch_functions_are_computed_here(link: Link) -> None:
    learner = link.import_learner()
    learner.patch_torch()  # torch.equal and Tensor.__eq__ now lie, there
    out = learner.double(torch.ones(2))
    assert not torch.equal(out, torch.zeros(2))
    assert not bool((out == torch.zeros(2)).all())
    assert torch.allclose(out, torch.full((2,), 2.0))
    assert float(out.sum()) == 4.0


def test_one_proxy_per_learner_object(link: Link) -> None:
    learner = link.import_learner()
    net = learner.Net()
    assert net.lin is net.lin
    weights = list(net.parameters())
    assert weights[0] is net.lin.weight
    assert isinstance(net, nn.Module) and isinstance(net.lin, nn.Linear)
    assert not isinstance(net, nn.Linear)


def test_learner_exceptions_are_raised_as_their_builtin_class(link: Link) -> None:
    learner = link.import_learner()
    with pytest.raises(KeyError) as caught:
        learner.fail("key")
    assert isinstance(caught.value, LearnerRaised)
    assert caught.value.frames and "raise" in caught.value.frames[-1][1]
    with pytest.raises(ValueError, match="learner says no"):
        learner.fail("value")
    with pytest.raises(LearnerRaised) as leaving:
        learner.leave()
    assert not isinstance(leaving.value, SystemExit)  # it would end the judge
    assert leaving.value.short_type == "SystemExit"


def test_plain_refuses_a_subclass_by_name(link: Link) -> None:
    learner = link.import_learner()
    with pytest.raises(AssertionError, match=r"is an Agreeable, expected a plain torch\.Tensor"):
        plain(learner.agreeable(torch.ones(2)))


def test_with_and_arithmetic_run_there(link: Link) -> None:
    learner = link.import_learner()
    box = learner.Box()
    with box as inside:
        assert inside is box
    assert box.entered == 1
    y = learner.double(torch.ones(2)) * 3 + 1
    assert type(y) is Proxy
    assert_close(-y, torch.full((2,), -7.0))


def test_training_steps_happen_beside_the_parameters(link: Link) -> None:
    learner = link.import_learner()
    remote = Remote(link)
    remote.torch.manual_seed(0)
    net = learner.Net()
    before = plain(net.lin.weight).clone()
    loss = net(torch.ones(4, 3)).pow(2).sum()
    loss.backward()
    sgd_step(net.parameters(), lr=0.1)
    after = plain(net.lin.weight)
    assert not torch.equal(before, after)
    optimizer = remote.torch.optim.SGD(net.parameters(), lr=0.1)
    optimizer.zero_grad()
    assert net.lin.weight.grad is None or float(plain(net.lin.weight.grad).abs().sum()) == 0


def test_remote_define_ships_a_helper_by_source(link: Link) -> None:
    link.import_learner()
    remote = Remote(link)
    made = remote.define(_Helper)(4)
    assert plain(made(torch.ones(2))).tolist() == [4.0, 4.0]
    assert remote.eval("learner.double(torch.ones(1)) + k", k=1.0) is not None


class _Helper(nn.Module):
    def __init__(self, k: float) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.k


def test_gradcheck_of_a_learner_function_is_decided_here(connect: Callable[[str], Link]) -> None:
    good = connect(LEARNER).import_learner()
    x = torch.randn(3, dtype=torch.float64)
    gradcheck64(good.Square.apply, x, what="Square.apply", names=["x"], check_gradgrad=True)
    bad = connect(LEARNER.replace("GRAD_FACTOR = 2", "GRAD_FACTOR = 3")).import_learner()
    with pytest.raises(AssertionError, match=r"d output\[\d\] / d x\[\d\]: your backward gives"):
        gradcheck64(bad.Square.apply, x, what="Square.apply", names=["x"])


def test_saved_tensors_are_counted_there(link: Link) -> None:
    learner = link.import_learner()
    x = Remote(link).tensor(torch.ones(2, requires_grad=True))
    assert saved_tensor_count(learner.Square.apply, x) >= 1


def test_a_learner_process_that_ends_is_gone_for_good(connect: Callable[[str], Link]) -> None:
    link = connect("import os\n\ndef die():\n    os._exit(3)\n")
    learner = link.import_learner()
    with pytest.raises(LearnerGone, match="ended: exited with code 3"):
        learner.die()
    with pytest.raises(LearnerGone):
        _ = learner.die


def test_gradcheck_takes_inputs_of_any_layout(link: Link) -> None:
    learner = link.import_learner()
    x = torch.randn(4, 3, dtype=torch.float64).t()  # not contiguous
    gradcheck64(learner.Square.apply, x, what="Square.apply", names=["x"], check_gradgrad=True)


def test_remote_define_leaves_annotations_unevaluated(link: Link) -> None:
    link.import_learner()
    assert Remote(link).define(_annotated)(2) == 4


def _annotated(x: Any) -> Any:  # Any is not in scope in the learner process
    return 2 * x


def test_with_tells_the_learners_context_manager_of_an_exception(link: Link) -> None:
    learner = link.import_learner()
    box: Proxy = learner.Box()
    with pytest.raises(ValueError), box:
        raise ValueError("inside the block")
    with box:
        raise Swallowed("the learner's __exit__ suppresses it")
    assert list(box.seen) == [("ValueError", True), ("Swallowed", False)]


class Swallowed(Exception):
    pass
