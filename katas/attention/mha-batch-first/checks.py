"""Hidden checks for mha-batch-first: ``SelfAttention(E, H)(x, lengths)`` runs
nn.MultiheadAttention on (B, T, E) batches, each sentence on its own real tokens."""

from typing import Any, NamedTuple

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain


class Case(NamedTuple):
    batch: int
    tokens: int
    embed: int
    heads: int
    lengths: tuple[int, ...]


# B != T in every case, all sizes distinct; B and H are 1 somewhere; lengths include 1 and T
CASES = [
    Case(3, 5, 8, 2, (5, 1, 3)),
    Case(2, 7, 6, 1, (2, 7)),
    Case(1, 4, 6, 3, (4,)),
    Case(4, 6, 10, 5, (1, 6, 3, 5)),
]
F32 = {"rtol": 1e-5, "atol": 1e-5}
LAYOUT = (
    "nn.MultiheadAttention reads its input as (T, B, E) unless it is built with "
    "batch_first=True: given (B, T, E), it takes the sentences for tokens and the tokens for "
    "sentences, and each token attends across the batch"
)
PADDING = (
    "key_padding_mask is True where a key is padding (MultiheadAttention ignores those), the "
    "opposite of SDPA's attn_mask: pass torch.arange(T) >= lengths[:, None] as a boolean "
    "(B, T) mask"
)


def _describe(case: Case) -> str:
    return (
        f"B={case.batch}, T={case.tokens}, E={case.embed}, num_heads={case.heads}, "
        f"lengths={list(case.lengths)}"
    )


def _build(learner: Any, case: Case, device: torch.device) -> tuple[Any, dict[str, torch.Tensor]]:
    """The learner's layer with random weights and biases, and those weights."""
    reference = nn.MultiheadAttention(case.embed, case.heads)
    state = {name: torch.randn_like(p) * 0.4 for name, p in reference.state_dict().items()}
    layer = learner.SelfAttention(case.embed, case.heads).to(device)
    try:
        layer.attn.load_state_dict({name: p.to(device) for name, p in state.items()})
    except (AttributeError, RuntimeError, KeyError) as exc:
        raise AssertionError(
            f"SelfAttention({case.embed}, {case.heads}).attn.load_state_dict(...) failed: "
            f"{exc}. Keep the layer's nn.MultiheadAttention as self.attn, with its default "
            "weights (embed_dim, num_heads, bias on)"
        ) from exc
    return layer, state


def _reference(
    state: dict[str, torch.Tensor], case: Case, x: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """nn.MultiheadAttention(batch_first=True) with the same weights, run on each sentence's
    real tokens alone (no mask needed); zeros at the padded positions, which are not
    compared."""
    mha = nn.MultiheadAttention(case.embed, case.heads, batch_first=True).to(x.device)
    mha.load_state_dict(state)
    out = torch.zeros_like(x)
    with torch.no_grad():
        mha.train()  # no fast path: the same math the layer runs during training
        for b, length in enumerate(case.lengths):
            sentence = x[b : b + 1, :length]
            out[b, :length] = mha(sentence, sentence, sentence, need_weights=False)[0][0]
    return out


def _inputs(case: Case, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(case.batch, case.tokens, case.embed) * 1.3 + 0.2
    return x.to(device), torch.tensor(case.lengths).to(device)


def _run(layer: Any, case: Case, x: Any, lengths: Any) -> torch.Tensor:
    """layer(x, lengths), fetched, after checking that it is one (B, T, E) tensor."""
    out = layer(x, lengths)
    if isinstance(out, tuple):
        raise AssertionError(
            f"SelfAttention(...)(x, lengths) returned a tuple of {len(out)} ({_describe(case)}), "
            "expected the output tensor: nn.MultiheadAttention returns (output, attention "
            "weights); return the output only"
        )
    got = plain(out, "SelfAttention(...)(x, lengths)")
    expected = (case.batch, case.tokens, case.embed)
    if tuple(got.shape) != expected:
        swapped = tuple(got.shape) == (case.tokens, case.batch, case.embed)
        raise AssertionError(
            f"SelfAttention(...)(x, lengths) returned shape {tuple(got.shape)}, expected "
            f"{expected} (B, T, E) for {_describe(case)}"
            + (
                ": that is (T, B, E). If you transpose x for MultiheadAttention's default "
                "layout, transpose its output back too (or build it with batch_first=True)"
                if swapped
                else ""
            )
        )
    return got


def _compare_real(got: torch.Tensor, expected: torch.Tensor, case: Case, inputs: str) -> None:
    for b, length in enumerate(case.lengths):
        assert_close(
            got[b, :length],
            expected[b, :length],
            what=f"output[{b}, :{length}] (the real tokens of sentence {b})",
            inputs=inputs,
            hint=f"{LAYOUT}. {PADDING}",
            **F32,
        )


def test_matches_mha(learner: Any, remote: Remote, device: torch.device) -> None:
    """real tokens get MultiheadAttention over their own sentence, and x stays unchanged"""
    torch.manual_seed(0)
    for index, case in enumerate(CASES):
        layer, state = _build(learner, case, device)
        x, lengths = _inputs(case, device)
        if index == 1:  # a (T, B, E) tensor transposed there: a non-contiguous (B, T, E) view
            stored = remote.tensor(x.transpose(0, 1).contiguous())
            theirs = remote.eval("stored.transpose(0, 1)", stored=stored)
            described = f"{_describe(case)}, x non-contiguous"
        else:
            theirs = remote.tensor(x)
            described = _describe(case)
        got = _run(layer, case, theirs, lengths)
        _compare_real(got, _reference(state, case, x, lengths), case, described)
        assert bool(got.isfinite().all()), (
            f"SelfAttention(...)(x, lengths) has NaN or inf at padded positions ({described}): "
            "whatever the padded outputs are, they must be finite, or any sum over the batch "
            "turns NaN"
        )
        assert torch.equal(plain(theirs, "x"), x), (
            f"SelfAttention(...)(x, lengths) changed x in place ({described}): the caller's "
            "tensor must stay as it was. Leave the padding in x alone and mask it in attention"
        )


def test_batch_independence(learner: Any, remote: Remote, device: torch.device) -> None:
    """each sentence's output is the same as when it runs alone"""
    torch.manual_seed(1)
    for case in CASES[:2] + CASES[3:]:
        layer, _ = _build(learner, case, device)
        x, lengths = _inputs(case, device)
        batched = _run(layer, case, x, lengths)
        for b, length in enumerate(case.lengths):
            alone_case = Case(1, length, case.embed, case.heads, (length,))
            alone = _run(layer, alone_case, x[b : b + 1, :length], lengths[b : b + 1])
            assert_close(
                batched[b : b + 1, :length],
                alone,
                what=f"the real tokens of sentence {b} in the batch",
                inputs=f"{_describe(case)}, compared with sentence {b} run alone as a batch of "
                f"one, x[{b}:{b + 1}, :{length}] with lengths [{length}]",
                hint=f"{LAYOUT}, so sentences mix"
                if length == case.tokens
                else f"Either sentences mix ({LAYOUT}), or the padded sentence attends to its "
                f"padding, which it does not have when alone. {PADDING}",
                **F32,
            )


def test_padding_content(learner: Any, remote: Remote, device: torch.device) -> None:
    """what sits at padded positions changes no real token's output"""
    torch.manual_seed(2)
    for case in CASES[:2] + CASES[3:]:
        layer, _ = _build(learner, case, device)
        x, lengths = _inputs(case, device)
        clean = _run(layer, case, x, lengths)
        pad = torch.arange(case.tokens, device=device) >= lengths[:, None]
        junk = torch.where(pad[:, :, None], torch.randn_like(x) * 50, x)
        dirty = _run(layer, case, junk, lengths)
        for b, length in enumerate(case.lengths):
            assert_close(
                dirty[b, :length],
                clean[b, :length],
                what=f"output[{b}, :{length}] (the real tokens of sentence {b})",
                inputs=f"{_describe(case)}, with random values of size 50 written at the "
                "padded positions, compared with the same call on the original x",
                hint=f"Real tokens still attend to padding. {PADDING}",
                **F32,
            )
