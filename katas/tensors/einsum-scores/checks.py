"""Hidden checks for einsum-scores: (B, Tq, H, D) x (B, Tk, H, D) -> (B, H, Tq, Tk) / sqrt(D)."""

import math
from typing import Any

import torch

from trainer.checks import Remote, assert_close, plain

Sizes = tuple[int, int, int, int, int]  # B, Tq, Tk, H, D
# all sizes distinct within a case; each of B, Tq, Tk, H, D is 1 somewhere
CASES: list[Sizes] = [
    (2, 3, 5, 4, 6),
    (1, 4, 2, 3, 5),
    (3, 1, 4, 2, 5),
    (2, 5, 1, 3, 4),
    (4, 2, 3, 1, 6),
    (2, 3, 4, 5, 1),
]
F32 = {"rtol": 1e-5, "atol": 1e-5}
LETTERS = ("B", "Tq", "Tk", "H", "D")


def _qk(sizes: Sizes, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    batch, t_q, t_k, heads, dim = sizes
    q = (torch.randn(batch, t_q, heads, dim, dtype=dtype) * 1.5 + 0.2).to(device)
    k = (torch.randn(batch, t_k, heads, dim, dtype=dtype) * 1.5 - 0.3).to(device)
    return q, k


def _dots(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Unscaled q·k by a loop over batch, head, query and key, in float64."""
    batch, t_q, heads, _ = q.shape
    t_k = k.shape[1]
    out = torch.empty(batch, heads, t_q, t_k, dtype=torch.float64)
    q64, k64 = q.detach().double().cpu(), k.detach().double().cpu()
    for b in range(batch):
        for h in range(heads):
            for i in range(t_q):
                for j in range(t_k):
                    out[b, h, i, j] = (q64[b, i, h] * k64[b, j, h]).sum()
    return out


def _reference(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return (_dots(q, k) / math.sqrt(q.shape[-1])).to(q.dtype).to(q.device)


def _describe(q: torch.Tensor, k: torch.Tensor, extra: str = "") -> str:
    return f"q of shape {tuple(q.shape)}, k of shape {tuple(k.shape)}, {q.dtype}{extra}"


def _scores(learner: Any, q: Any, k: Any, described: str) -> Any:
    try:
        return learner.attention_scores(q, k)
    except RuntimeError as exc:
        error = str(exc).rstrip(".")
        why = (
            ". The heads sit in axis 2 of q and k, and matmul works on the last two axes and "
            "broadcasts the ones in front, so it pairs the wrong axes unless you move them "
            "first; einsum names every axis instead"
            if "must match the size" in error or "cannot be multiplied" in error
            else ""
        )
        raise AssertionError(
            f"attention_scores(q, k) raised RuntimeError for {described}: {error}{why}"
        ) from None


def _in_letters(shape: tuple[int, ...], sizes: Sizes) -> str:
    names = dict(zip(sizes, LETTERS, strict=True))
    return "(" + ", ".join(names.get(n, str(n)) for n in shape) + ")"


def test_shape(learner: Any, device: torch.device) -> None:
    """attention_scores(q, k) has shape (B, H, Tq, Tk)"""
    torch.manual_seed(0)
    for sizes in ((2, 3, 5, 4, 6), (3, 4, 6, 2, 5)):
        q, k = _qk(sizes, device, torch.float32)
        described = _describe(q, k)
        got = tuple(plain(_scores(learner, q, k, described), "attention_scores(q, k)").shape)
        batch, t_q, t_k, heads, _ = sizes
        expected = (batch, heads, t_q, t_k)
        assert got == expected, (
            f"attention_scores(q, k) has shape {got} = {_in_letters(got, sizes)}, expected "
            f"{expected} = (B, H, Tq, Tk) ({described}, so B={batch}, Tq={t_q}, Tk={t_k}, "
            f"H={heads}, D={sizes[4]}). In einsum, the output's axes come in the order you "
            "write after '->', and an index left out of it is summed over"
        )


def test_values(learner: Any, device: torch.device) -> None:
    """scores[b, h, i, j] = q[b, i, h] · k[b, j, h] / √D"""
    torch.manual_seed(1)
    for n, sizes in enumerate(CASES):
        dtype = torch.float64 if n % 2 else torch.float32
        q, k = _qk(sizes, device, dtype)
        described = _describe(q, k)
        assert_close(
            _scores(learner, q, k, described),
            _reference(q, k),
            what="attention_scores(q, k)",
            inputs=described,
            hint="Each score pairs query token i with key token j within one head h, "
            "summed over the D features of that head only",
            **(F32 if dtype == torch.float32 else {}),
        )


def test_fused_projection(learner: Any, remote: Remote, device: torch.device) -> None:
    """works on q and k sliced out of a fused projection (non-contiguous)"""
    torch.manual_seed(2)
    batch, t_q, t_k, heads, dim = 2, 3, 5, 4, 6
    # self-attention: one (B, T, 3, H, D) projection, q = [:, :, 0], k = [:, :, 1]
    qkv = (torch.randn(batch, t_q, 3, heads, dim) * 1.5).to(device)
    # cross-attention: q computed head-major, (B, H, Tq, D), then transposed
    q_major = (torch.randn(batch, heads, t_q, dim) * 1.5).to(device)
    kv = (torch.randn(batch, t_k, 2, heads, dim) * 1.5).to(device)
    # the views are made in the learner process (tensors travel as contiguous copies)
    their_qkv, their_q_major, their_kv = (remote.tensor(t) for t in (qkv, q_major, kv))
    cases = [
        (
            (qkv[:, :, 0], qkv[:, :, 1]),
            (their_qkv[:, :, 0], their_qkv[:, :, 1]),
            "q and k slices of one fused qkv tensor",
        ),
        (
            (q_major.transpose(1, 2), kv[:, :, 0]),
            (their_q_major.transpose(1, 2), their_kv[:, :, 0]),
            "q transposed, k a slice of a fused kv",
        ),
    ]
    for (q, k), (their_q, their_k), how in cases:
        described = _describe(q, k, f"; {how}")
        assert_close(
            _scores(learner, their_q, their_k, described),
            _reference(q, k),
            what="attention_scores(q, k)",
            inputs=described,
            **F32,
        )


def test_scale(learner: Any, device: torch.device) -> None:
    """the scores are q·k scaled by 1/√D, D the size of one head"""
    torch.manual_seed(3)
    sizes = (2, 3, 5, 4, 9)  # H = 4, D = 9, H * D = 36: every plausible scale differs
    heads, dim = sizes[3], sizes[4]
    q, k = _qk(sizes, device, torch.float64)
    described = _describe(q, k)
    got = plain(_scores(learner, q, k, described), "attention_scores(q, k)")
    raw = _dots(q, k)
    if got.shape != raw.shape:
        raise AssertionError(
            f"attention_scores(q, k) has shape {tuple(got.shape)}, expected "
            f"{tuple(raw.shape)} ({described}): fix the shape first"
        )
    got64 = got.double().cpu()
    factor = float((got64 * raw).sum() / (raw * raw).sum())
    residual = float((got64 - factor * raw).norm() / raw.norm())
    assert residual < 1e-6, (
        f"attention_scores(q, k) is not a multiple of the q·k dot products ({described}), "
        "so its scale cannot be judged: the axes are paired wrongly (see the other checks)"
    )
    candidates = {
        "1/√D": 1 / math.sqrt(dim),
        "1/√H (the number of heads)": 1 / math.sqrt(heads),
        "1/√(H·D) (the model width)": 1 / math.sqrt(heads * dim),
        "1/D": 1 / dim,
        "1 (no scaling)": 1.0,
    }
    wanted = candidates["1/√D"]
    if abs(factor - wanted) > 1e-6 * wanted:
        named = [name for name, value in candidates.items() if abs(factor - value) < 1e-6]
        guess = f", i.e. {named[0]}" if named else ""
        raise AssertionError(
            f"the scores are q·k times {factor:.6g}{guess}; expected 1/√D = {wanted:.6g} "
            f"for D = {dim} features per head, H = {heads} heads ({described}). Scaling by "
            "1/√D keeps the scores' variance near 1 whatever the head size, so softmax does "
            "not saturate; use q.shape[-1], the size of one head"
        )


def test_inputs_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """attention_scores leaves q and k unchanged"""
    torch.manual_seed(4)
    for sizes in ((2, 3, 5, 4, 6), (1, 4, 2, 3, 5)):
        q, k = _qk(sizes, device, torch.float32)
        described = _describe(q, k)
        # made in the learner process, so that what attention_scores does to them can be seen
        theirs = remote.tensor(q), remote.tensor(k)
        _scores(learner, *theirs, described)
        after = remote.value(theirs)  # both, by value, in one request
        for name, got, before in zip(("q", "k"), after, (q, k), strict=True):
            assert torch.equal(got, before), (
                f"attention_scores(q, k) changed {name} in place ({described}): q and k are "
                "slices of the projection's output, which the caller still reads. Scale "
                "out of place (q / math.sqrt(D), or the scores), not with /=, *= or div_"
            )
