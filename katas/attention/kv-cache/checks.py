"""Hidden checks for kv-cache: ``Attention(dim, heads).forward(x, cache)`` appends the new keys
and values to the cache, and any split of a sequence into chunks gives the full causal pass."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, plain

# (B, T, heads, head_dim): distinct sizes; B = 1 and a single head dim of 2 included
CASES: list[tuple[int, int, int, int]] = [(2, 7, 3, 4), (1, 5, 2, 3)]
F32 = {"rtol": 1e-5, "atol": 1e-5}
MASK = (
    "New token i sits at position past + i (past = the cache length): it must see keys "
    "0 .. past + i. is_causal=True aligns the diagonal top-left, as if the new tokens came "
    "first; build a boolean mask whose diagonal is shifted right by the cache length"
)


class _Chunks:
    """Outputs and caches of one run over a sequence, chunk by chunk (learner objects)."""

    def __init__(self) -> None:
        self.outs: list[Any] = []
        self.caches: list[Any] = []
        self.ends: list[int] = []


def _call(case: tuple[int, int, int, int]) -> str:
    _, _, heads, head_dim = case
    return f"Attention(dim={heads * head_dim}, heads={heads})"


def _input(case: tuple[int, int, int, int], device: torch.device, dtype: torch.dtype) -> Any:
    batch, steps, heads, head_dim = case
    return (torch.randn(batch, steps, heads * head_dim, dtype=dtype) * 1.3 + 0.2).to(device)


def _weights(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    """qkv.weight, qkv.bias, out.weight and out.bias, fetched in one request."""
    source = (
        "[m.qkv.weight.detach(), m.qkv.bias.detach(), m.out.weight.detach(), m.out.bias.detach()]"
    )
    names = ("qkv.weight", "qkv.bias", "out.weight", "out.bias")
    values = remote.fetch(source, m=model)
    return {name: plain(value, name) for name, value in zip(names, values, strict=True)}


def _oracle(x: torch.Tensor, w: dict[str, torch.Tensor], heads: int) -> tuple[torch.Tensor, ...]:
    """One full causal pass over x in float64: the output and every token's keys and values,
    in the dtype of x."""
    batch, steps, dim = x.shape
    w = {name: t.double() for name, t in w.items()}
    qkv = F.linear(x.double(), w["qkv.weight"], w["qkv.bias"])
    q, k, v = qkv.view(batch, steps, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    out = F.linear(y.transpose(1, 2).reshape(batch, steps, dim), w["out.weight"], w["out.bias"])
    return out.to(x.dtype), k.to(x.dtype), v.to(x.dtype)


def _run(model: Any, x: torch.Tensor, chunks: tuple[int, ...], cache: Any = None) -> _Chunks:
    """Feed x to the model chunk by chunk, passing each returned cache to the next call."""
    run, start = _Chunks(), 0
    for n in chunks:
        result = model(x[:, start : start + n], cache)
        assert isinstance(result, tuple) and len(result) == 2, (
            "Attention.forward(x, cache) must return a tuple (output, cache), got "
            f"{type(result).__name__}"
        )
        out, cache = result
        start += n
        run.outs.append(out)
        run.caches.append(cache)
        run.ends.append(start)
    return run


def _compare(
    run: _Chunks, expected: torch.Tensor, call: str, chunks: tuple[int, ...], hint: str
) -> None:
    """Each chunk's output against the full pass's rows for the same tokens."""
    start = 0
    for index, (out, end) in enumerate(zip(run.outs, run.ends, strict=True)):
        assert_close(
            out,
            expected[:, start:end],
            what=f"the output for chunk {index + 1} (tokens {start}..{end - 1})",
            inputs=f"{call}, x of shape {tuple(expected.shape)}, {expected.dtype}, fed in "
            f"chunks of {list(chunks)}, compared with one full causal pass",
            hint=hint,
            **(F32 if expected.dtype == torch.float32 else {}),
        )
        start = end


def _chunked(
    learner: Any,
    remote: Remote,
    device: torch.device,
    chunkings: dict[tuple[int, int, int, int], list[tuple[int, ...]]],
    dtype: torch.dtype,
    hint: str,
) -> None:
    for case, splits in chunkings.items():
        _, _, heads, head_dim = case
        model = learner.Attention(heads * head_dim, heads).to(device)
        if dtype == torch.float64:
            model = model.double()
        w = _weights(remote, model)
        x = _input(case, device, dtype)
        expected, _, _ = _oracle(x, w, heads)
        for chunks in splits:
            _compare(_run(model, x, chunks), expected, _call(case), chunks, hint)


def test_full_pass(learner: Any, remote: Remote, device: torch.device) -> None:
    """a whole sequence in one call, without a cache, is causal attention"""
    torch.manual_seed(0)
    cases = {case: [(case[1],)] for case in [*CASES, (3, 1, 2, 5)]}
    _chunked(learner, remote, device, cases, torch.float32, "")


def test_token_by_token(learner: Any, remote: Remote, device: torch.device) -> None:
    """decoding one token at a time gives the full pass"""
    torch.manual_seed(1)
    cases = {case: [(1,) * case[1]] for case in CASES}
    hint = (
        "each new token must attend to the cached keys and values of every earlier token, "
        "and to itself. With a cache, is_causal=True aligns the mask top-left, so a single "
        "new token sees the first key only"
    )
    _chunked(learner, remote, device, cases, torch.float32, hint)


def test_uneven_chunks(learner: Any, remote: Remote, device: torch.device) -> None:
    """prefilling in chunks of 3, 1, 2, … gives the full pass, in float32 and float64"""
    torch.manual_seed(2)
    cases = {CASES[0]: [(3, 1, 2, 1), (2, 5)], CASES[1]: [(3, 2), (1, 4)]}
    for dtype in (torch.float32, torch.float64):
        _chunked(learner, remote, device, cases, dtype, MASK)


def test_cache_grows(learner: Any, remote: Remote, device: torch.device) -> None:
    """the returned cache holds the keys and values of every token so far"""
    torch.manual_seed(3)
    for case, chunks in [(CASES[0], (3, 1, 2, 1)), (CASES[1], (1, 1, 3))]:
        batch, _, heads, head_dim = case
        call = _call(case)
        model = learner.Attention(heads * head_dim, heads).to(device)
        x = _input(case, device, torch.float32)
        _, keys, values = _oracle(x, _weights(remote, model), heads)
        cache, end = None, 0
        for index, n in enumerate(chunks):
            # checked as soon as it is returned, before the next call
            cache = _run(model, x[:, end:], (n,), cache).caches[0]
            end += n
            where = f"after chunk {index + 1} of {list(chunks)} ({call}, B={batch})"
            assert cache is not None, (
                f"the cache returned {where} is None, expected (keys, values) of the {end} "
                "tokens so far"
            )
            parts = remote.eval("tuple(c)", c=cache)
            assert len(parts) == 2, f"the cache returned {where} has {len(parts)} parts, expected 2"
            for name, part, full in zip(("keys", "values"), parts, (keys, values), strict=True):
                got = plain(part, f"the cached {name}")
                expected = full[:, :, :end]
                assert got.shape == expected.shape, (
                    f"the cached {name} {where} have shape {tuple(got.shape)}, expected "
                    f"{tuple(expected.shape)} (B, heads, tokens so far, head_dim)"
                    + (
                        ": the cache returned is not the grown one. Return the new keys "
                        "and values appended to the old ones along dim 2"
                        if got.dim() == 4 and got.shape[2] != end
                        else ""
                    )
                )
                assert_close(got, expected, what=f"the cached {name} {where}", **F32)


def test_cache_reused(learner: Any, remote: Remote, device: torch.device) -> None:
    """a cache passed in stays unchanged, so two continuations can share one prompt's cache"""
    torch.manual_seed(4)
    case = CASES[0]
    _, _, heads, head_dim = case
    call = _call(case)
    model = learner.Attention(heads * head_dim, heads).to(device)
    prompt = _input(case, device, torch.float32)[:, :4]
    first, second = (_input(case, device, torch.float32)[:, :n] for n in (2, 1))
    _, cache = model(prompt)
    before = remote.fetch("[t.detach().clone() for t in c]", c=cache)
    model(first, cache)
    after = remote.fetch("[t.detach().clone() for t in c]", c=cache)
    for name, old, new in zip(("keys", "values"), before, after, strict=True):
        assert old.shape == new.shape and torch.equal(old, new), (
            f"{call}(x, cache) changed the cache it was given: its {name} had shape "
            f"{tuple(old.shape)} before the call and {tuple(new.shape)} after"
            + ("" if old.shape != new.shape else ", with other values")
            + ". Return a new cache (torch.cat makes new tensors) and leave the caller's as "
            "it was: beam search and several samples from one prompt reuse a cache"
        )
    reused, _ = model(second, cache)
    _, fresh = model(prompt)
    expected, _ = model(second, fresh)
    assert_close(
        reused,
        plain(expected, f"{call}(x, cache)"),
        what="the output for a continuation, from a cache that served another continuation first",
        inputs=f"{call}, a prompt of 4 tokens",
        hint="expected the output of the same continuation from a fresh cache of the prompt",
        **F32,
    )


def test_mask_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """everything it builds is on x's device (tried on the meta device)"""
    case = CASES[0]
    batch, steps, heads, head_dim = case
    model = learner.Attention(heads * head_dim, heads).to("meta")
    x = remote.torch.empty(batch, steps, heads * head_dim, device="meta")
    try:
        run = _run(model, x, (3, 2))
    except RuntimeError as exc:
        text = str(exc).rstrip(".")
        if "device" not in text:
            raise
        raise AssertionError(
            f"{_call(case)} on the meta device raised RuntimeError: {text}. A tensor made "
            "inside forward (the mask, say) lands on the CPU unless you pass device=x.device; "
            "on a GPU the same code fails the same way"
        ) from None
    for index, (out, cache) in enumerate(zip(run.outs, run.caches, strict=True)):
        places = remote.eval(
            "[(o.device.type, tuple(o.shape))] + [(t.device.type, tuple(t.shape)) for t in c]",
            o=out,
            c=cache,
        )
        kinds = [kind for kind, _ in places]
        assert kinds == ["meta"] * 3, (
            f"for x on the meta device, chunk {index + 1} gave an output and a cache on "
            f"{kinds}, expected all on meta (the device of x)"
        )
