"""Hidden checks for detach-not-data: ``distill_loss`` without ``.data``."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, forbid, gradcheck64, plain

# (shape (N, C), tau, clip): a single row, distinct dimensions, several temperatures
CASES = [((1, 3), 2.0, 5.0), ((4, 7), 0.5, 3.0), ((6, 11), 1.0, 2.5)]
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _logits(
    shape: tuple[int, int],
    tau: float,
    clip: float,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Random logits, about 40% of them clipped, none within 0.05 of the clip boundary."""
    v = torch.randn(shape, dtype=dtype) * (1.2 * clip * tau) + 0.1 * tau
    v[0, 0], v[-1, -1] = 1.6 * clip * tau, -0.3 * clip * tau  # at least one of each kind
    near = ((v / tau).abs() - clip).abs() < 0.05
    v[near] *= 1.1  # a finite difference across the kink would be meaningless
    return v.to(device)


def _reference(
    student: torch.Tensor, teacher: torch.Tensor, tau: float, clip: float
) -> torch.Tensor:
    # cross_entropy accepts class probabilities as the target
    target = (teacher.detach() / tau).softmax(dim=-1)
    return F.cross_entropy((student / tau).clamp(-clip, clip), target)


def _call(case: tuple[tuple[int, int], float, float]) -> str:
    shape, tau, clip = case
    return f"distill_loss(student, teacher, tau={tau}, clip={clip}) with logits of shape {shape}"


def test_value(learner: Any, remote: Remote, device: torch.device) -> None:
    """distill_loss equals the cross-entropy against the teacher's softened targets"""
    torch.manual_seed(0)
    for case in CASES:
        shape, tau, clip = case
        student = _logits(shape, tau, clip, device)
        teacher = (torch.randn(shape) * 2).to(device)
        expected = _reference(student, teacher, tau, clip)
        got = learner.distill_loss(student.clone(), teacher.clone(), tau, clip)
        assert_close(got, expected, what="the loss", inputs=_call(case), **F32)
    # a non-contiguous student (the transpose of a (C, N) tensor)
    shape, tau, clip = CASES[1]
    columns = _logits(shape[::-1], tau, clip, device)
    student = columns.t()
    teacher = (torch.randn(shape) * 2).to(device)
    expected = _reference(student, teacher, tau, clip)
    # tensors travel contiguous: the transpose is taken in the learner process
    got = learner.distill_loss(remote.eval("columns.t()", columns=columns), teacher, tau, clip)
    assert_close(
        got,
        expected,
        what="the loss",
        inputs=f"a non-contiguous student, {_call(CASES[1])}",
        **F32,
    )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """distill_loss leaves the caller's logits unchanged"""
    torch.manual_seed(1)
    shape, tau, clip = CASES[2]
    # logits as a model produces them: outputs of an op, not leaves (made in the learner
    # process, where the learner's code can write into them)
    weight = torch.randn(shape[1], shape[1], device=device, requires_grad=True)
    theirs = remote.tensor(weight)
    student = remote.tensor(_logits(shape, tau, clip, device)) @ theirs
    teacher = remote.tensor((torch.randn(shape) * 2).to(device)) @ theirs
    before = {"student": plain(student), "teacher": plain(teacher)}  # copies, by value

    def assert_unchanged(stage: str) -> None:
        for name, tensor in (("student", student), ("teacher", teacher)):
            changed = int((plain(tensor, f"{name}_logits") != before[name]).sum())
            assert changed == 0, (
                f"after {stage}, {changed} of {tensor.numel()} values of {name}_logits have "
                f"changed ({_call(CASES[2])}): the caller still needs its logits (for logging, "
                "for another loss). Compute new tensors (clamp, not clamp_) instead of writing "
                "into the inputs"
            )

    loss = learner.distill_loss(student, teacher, tau, clip)
    assert_unchanged("distill_loss returned")
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        loss.backward()
        assert_unchanged("loss.backward()")


def _student_grad(
    learner: Any,
    remote: Remote,
    student: torch.Tensor,
    teacher: torch.Tensor,
    tau: float,
    clip: float,
) -> torch.Tensor:
    """student_logits.grad after distill_loss(...).backward(), all in the learner process."""
    leaf = remote.tensor(student.detach().clone().requires_grad_())
    loss = learner.distill_loss(leaf, teacher, tau, clip)
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
        "the loss does not require grad, so no gradient reaches the student: the student "
        "logits must stay connected to the graph (a .detach() or .data on the student side, "
        "or torch.no_grad() around the loss, cuts them off)"
    )
    loss.backward()
    grad = leaf.grad
    assert grad is not None, "student_logits.grad is None after loss.backward()"
    return plain(grad, "student_logits.grad")


def test_student_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """clipped student logits get zero gradient, the others the true gradient"""
    torch.manual_seed(2)
    for case in CASES:
        shape, tau, clip = case
        student = _logits(shape, tau, clip, device)
        teacher = (torch.randn(shape) * 2).to(device)
        got = _student_grad(learner, remote, student, teacher, tau, clip)
        leaf = student.clone().requires_grad_()
        _reference(leaf, teacher, tau, clip).backward()
        assert leaf.grad is not None
        clipped = (student / tau).abs() > clip
        leaking = int((got[clipped] != 0).sum())
        hint = ""
        if leaking:
            hint = (
                f"{leaking} of the {int(clipped.sum())} clipped logits got a nonzero gradient, "
                "as if the clamp were not there: an in-place clamp_ through .data (or under "
                "no_grad, or on a .detach()) changes the values behind autograd's back, so "
                "autograd never records it. Use the out-of-place clamp"
            )
        assert_close(
            got,
            leaf.grad,
            what="student_logits.grad",
            inputs=_call(case),
            hint=hint,
            **F32,
        )


def test_gradcheck(learner: Any, remote: Remote, device: torch.device) -> None:
    """the student's gradient passes float64 gradcheck"""
    torch.manual_seed(3)
    for shape, tau, clip in [((1, 4), 2.0, 1.5), ((3, 5), 0.5, 2.0)]:
        student = _logits(shape, tau, clip, device, torch.float64)
        teacher = (torch.randn(shape, dtype=torch.float64) * 2).to(device)
        # the loss as a function of the student alone, built beside the learner's function
        # (gradcheck64 makes every floating input a leaf; the teacher must stay a constant)
        loss_of_student = remote.eval(
            "lambda s: learner.distill_loss(s, teacher, tau, clip)",
            teacher=teacher,
            tau=tau,
            clip=clip,
        )
        gradcheck64(
            loss_of_student,
            student,
            what=f"distill_loss(student, teacher, tau={tau}, clip={clip})",
            names=["student"],
        )


def test_teacher_gets_no_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """no gradient reaches the teacher's logits"""
    torch.manual_seed(4)
    shape, tau, clip = CASES[1]
    student = remote.tensor(_logits(shape, tau, clip, device).requires_grad_())
    # in self-distillation the teacher's logits come out of a network that requires grad
    teacher = remote.tensor((torch.randn(shape) * 2).to(device).requires_grad_())
    loss = learner.distill_loss(student, teacher, tau, clip)
    assert isinstance(loss, torch.Tensor) and loss.requires_grad, (
        "the loss does not require grad, so the student cannot learn from it"
    )
    loss.backward()
    grad = teacher.grad
    if grad is None:
        return
    nonzero = int((plain(grad, "teacher_logits.grad") != 0).sum())
    assert nonzero == 0, (
        f"teacher_logits.grad has {nonzero} nonzero entries after loss.backward() "
        f"({_call(CASES[1])}), expected no gradient: the loss would also pull the teacher "
        "towards the student. Cut the target off the graph with teacher_logits.detach()"
    )


def test_no_data(learner: Any) -> None:
    """the file does not use .data"""
    forbid(
        learner,
        ".data",
        why="x.data is an alias autograd cannot see: in-place changes through it skip the "
        "graph and the version check, so gradients come out silently wrong. Use x.detach() "
        "for a value without gradient, and out-of-place ops for values that need one",
    )
