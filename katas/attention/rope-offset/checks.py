"""Hidden checks for rope-offset: ``rope(x, offset)`` rotates at absolute positions, and
``Attention.forward(x, cache)`` decodes with a cache of rotated keys exactly as one full pass.

The checks test properties of the learner's own ``rope`` (offsets, norms, relative positions)
and compare the cached runs with the learner's own full pass, so any pairing of the channels
(half-split or interleaved) passes."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, plain

# (B, T, heads, head_dim): distinct sizes, B = 1 included, head_dim even
CASES: list[tuple[int, int, int, int]] = [(2, 6, 3, 4), (1, 5, 2, 6)]
F32 = {"rtol": 1e-5, "atol": 1e-5}
OFFSET = (
    "The new tokens sit after the cached ones: rotate their queries and keys at the positions "
    "past .. past + T - 1 (past = the cache length), and rotate each key only once: the cached "
    "keys were rotated when they were new"
)


def _call(case: tuple[int, int, int, int]) -> str:
    _, _, heads, head_dim = case
    return f"Attention(dim={heads * head_dim}, heads={heads})"


def _rand(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(*shape, dtype=dtype) * 1.4 + 0.3


def _rope(learner: Any, x: Any, offset: int) -> torch.Tensor:
    """The learner's rope(x, offset), fetched."""
    try:
        got = learner.rope(x, offset)
    except TypeError as exc:
        raise AssertionError(
            f"rope(x, {offset}) raised TypeError: {str(exc).rstrip('.')}. The checks call "
            "rope(x, offset): give rope an offset argument (0 by default), the position of "
            "the first row of x"
        ) from None
    return plain(got, f"rope(x, {offset})")


def _tolerance(dtype: torch.dtype) -> dict[str, float]:
    return F32 if dtype == torch.float32 else {}


def _build(
    learner: Any, case: tuple[int, int, int, int], device: torch.device, dtype: torch.dtype
) -> Any:
    _, _, heads, head_dim = case
    model = learner.Attention(heads * head_dim, heads).to(device)
    return model.double() if dtype == torch.float64 else model


def _input(
    case: tuple[int, int, int, int], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    batch, steps, heads, head_dim = case
    return _rand(batch, steps, heads * head_dim, dtype=dtype).to(device)


def _project(remote: Remote, model: Any, x: torch.Tensor, heads: int) -> tuple[torch.Tensor, ...]:
    """q, k, v of every token of x, (B, heads, T, head_dim), from the model's fetched weights."""
    qkv_w, qkv_b = remote.fetch("[m.qkv.weight.detach(), m.qkv.bias.detach()]", m=model)
    batch, steps, dim = x.shape
    qkv = F.linear(x, plain(qkv_w, "qkv.weight"), plain(qkv_b, "qkv.bias"))
    q, k, v = qkv.view(batch, steps, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
    return q, k, v


def _step(model: Any, x: Any, cache: Any) -> tuple[Any, Any]:
    result = model(x, cache)
    assert isinstance(result, tuple) and len(result) == 2, (
        "Attention.forward(x, cache) must return a tuple (output, cache), got "
        f"{type(result).__name__}"
    )
    return result


def test_rope_offset(learner: Any, remote: Remote, device: torch.device) -> None:
    """rope(x, offset) rotates x as if it sat at positions offset, offset + 1, …"""
    torch.manual_seed(0)
    for dtype in (torch.float32, torch.float64):
        for shape, offset in [((2, 3, 4, 6), 5), ((1, 2, 1, 8), 6), ((3, 1, 2, 2), 1)]:
            *lead, steps, width = shape
            x = _rand(*shape, dtype=dtype).to(device)
            before = _rand(*lead, offset, width, dtype=dtype).to(device)
            theirs = remote.tensor(x)
            got = _rope(learner, theirs, offset)
            assert got.dtype == dtype, (
                f"rope(x, {offset}) returned {got.dtype} for x of {dtype}: keep the dtype of x "
                "(compute the angles in a wider dtype if you like, then cast back)"
            )
            assert torch.equal(plain(theirs, "x"), x), (
                f"rope(x, {offset}) changed x in place: return a new tensor"
            )
            expected = _rope(learner, torch.cat([before, x], dim=-2), 0)[..., offset:, :]
            same_as_zero = got.shape == x.shape and torch.allclose(got, _rope(learner, x, 0))
            assert_close(
                got,
                expected,
                what=f"rope(x, {offset})",
                inputs=f"x of shape {shape}, {dtype}, compared with the last {steps} rows of "
                f"rope(y, 0) for y = {offset} other rows followed by x",
                hint=f"rope(x, {offset}) equals rope(x, 0): the offset is ignored, so the "
                f"positions restart at 0. Rotate by the positions offset .. offset + T - 1"
                if same_as_zero
                else "",
                **_tolerance(dtype),
            )


def test_rope_is_a_rotation(learner: Any, device: torch.device) -> None:
    """rope keeps norms, turns every position but 0, and q·k depends only on m − n"""
    torch.manual_seed(1)
    shape = (2, 3, 5, 8)
    q, k = _rand(*shape).to(device), _rand(*shape).to(device)
    described = f"x of shape {shape}"
    at_zero = _rope(learner, q, 0)
    assert_close(
        at_zero.norm(dim=-1),
        q.norm(dim=-1),
        what="the norm of each vector of rope(x, 0)",
        inputs=described,
        hint="a rotation keeps lengths: each pair of channels turns by an angle",
        **F32,
    )
    assert_close(
        at_zero[..., 0, :],
        q[..., 0, :],
        what="rope(x, 0) at position 0",
        inputs=described,
        hint="position 0 turns by the angle 0",
        **F32,
    )
    moved = (at_zero[..., 1:, :] - q[..., 1:, :]).abs().amax(dim=-1)
    assert bool((moved > 1e-3).all()), (
        f"rope(x, 0) leaves some vectors at positions 1..4 unchanged (for {described}): each "
        "position p > 0 must turn the channel pairs by p times their frequency"
    )
    scores = _rope(learner, q, 0) @ _rope(learner, k, 0).transpose(-2, -1)
    shifted = _rope(learner, q, 7) @ _rope(learner, k, 7).transpose(-2, -1)
    assert_close(
        shifted,
        scores,
        what="rope(q, 7) @ rope(k, 7).T",
        inputs=f"q and k of shape {shape}, compared with rope(q, 0) @ rope(k, 0).T",
        hint="shifting every position by the same amount must leave each q·k unchanged: "
        "the score of positions m and n depends on m − n only",
        rtol=1e-4,
        atol=1e-4,
    )


def test_full_pass(learner: Any, remote: Remote, device: torch.device) -> None:
    """a whole sequence in one call is causal attention over rope(q, 0) and rope(k, 0)"""
    torch.manual_seed(2)
    for case in [*CASES, (3, 1, 2, 2)]:
        _, _, heads, _ = case
        model = _build(learner, case, device, torch.float32)
        x = _input(case, device, torch.float32)
        q, k, v = _project(remote, model, x, heads)
        q, k = _rope(learner, q, 0), _rope(learner, k, 0)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).flatten(2)
        out_w, out_b = remote.fetch("[m.out.weight.detach(), m.out.bias.detach()]", m=model)
        got, _ = _step(model, x, None)
        assert_close(
            got,
            F.linear(y, out_w, out_b),
            what=f"{_call(case)}(x)",
            inputs=f"x of shape {tuple(x.shape)}, no cache",
            hint="expected causal attention of rope(q, 0) over rope(k, 0) and the values v "
            "(which are not rotated), through self.out",
            **F32,
        )


def test_decoding(learner: Any, remote: Remote, device: torch.device) -> None:
    """prefill, then decoding with the cache gives your full pass, in float32 and float64"""
    torch.manual_seed(3)
    splits = {CASES[0]: [(1,) * 6, (3, 1, 1, 1), (2, 3, 1)], CASES[1]: [(1,) * 5, (4, 1)]}
    for dtype in (torch.float32, torch.float64):
        for case, chunkings in splits.items():
            call = _call(case)
            model = _build(learner, case, device, dtype)
            x = _input(case, device, dtype)
            full = plain(_step(model, x, None)[0], f"{call}(x)")
            for chunks in chunkings:
                cache, start = None, 0
                for index, n in enumerate(chunks):
                    out, cache = _step(model, x[:, start : start + n], cache)
                    assert_close(
                        out,
                        full[:, start : start + n],
                        what=f"the output for chunk {index + 1} (tokens {start}..{start + n - 1})",
                        inputs=f"{call}, x of shape {tuple(x.shape)}, {dtype}, fed in chunks "
                        f"of {list(chunks)}, compared with your own full pass {call}(x)",
                        hint=OFFSET if index > 0 else "",
                        **_tolerance(dtype),
                    )
                    start += n


def test_cache_holds_rotated_keys(learner: Any, remote: Remote, device: torch.device) -> None:
    """the cache holds every token's key rotated once, at its position, and its value as is"""
    torch.manual_seed(4)
    for case, chunks in [(CASES[0], (3, 1, 2)), (CASES[1], (1, 1, 3))]:
        _, _, heads, _ = case
        call = _call(case)
        model = _build(learner, case, device, torch.float32)
        x = _input(case, device, torch.float32)
        _, raw_keys, values = _project(remote, model, x, heads)
        keys = _rope(learner, raw_keys, 0)
        cache, end = None, 0
        for index, n in enumerate(chunks):
            _, cache = _step(model, x[:, end : end + n], cache)
            end += n
            where = f"after chunk {index + 1} of {list(chunks)} ({call})"
            parts = remote.eval("tuple(c)", c=cache)
            assert len(parts) == 2, f"the cache returned {where} has {len(parts)} parts, expected 2"
            cached_keys = plain(parts[0], "the cached keys")
            raw = cached_keys.shape == keys[:, :, :end].shape and torch.allclose(
                cached_keys, raw_keys[:, :, :end], rtol=1e-4, atol=1e-5
            )
            assert_close(
                cached_keys,
                keys[:, :, :end],
                what=f"the cached keys {where}",
                inputs=f"x of shape {tuple(x.shape)}: expected rope(k, 0) of the keys of "
                "every token so far",
                hint="the cache holds the keys before rotation. Store them rotated, as they "
                "were used: a cached key must not be rotated again at every step"
                if raw
                else "each cached key must be rotated exactly once, at its own position, "
                "when its token is new",
                **F32,
            )
            assert_close(
                parts[1],
                values[:, :, :end],
                what=f"the cached values {where}",
                inputs=f"x of shape {tuple(x.shape)}: expected the values of every token so far",
                hint="values are not rotated",
                **F32,
            )


def test_meta_device(learner: Any, remote: Remote, device: torch.device) -> None:
    """everything it builds is on x's device (tried on the meta device)"""
    batch, steps, heads, head_dim = CASES[0]
    model = learner.Attention(heads * head_dim, heads).to("meta")
    x = remote.torch.empty(batch, steps, heads * head_dim, device="meta")
    cache = None
    for start, end in [(0, 3), (3, 4)]:
        try:
            out, cache = _step(model, x[:, start:end], cache)
        except RuntimeError as exc:
            text = str(exc).rstrip(".")
            if "device" not in text:
                raise
            raise AssertionError(
                f"{_call(CASES[0])} on the meta device raised RuntimeError: {text}. A tensor "
                "made inside forward or rope (positions, angles, the mask) lands on the CPU "
                "unless you pass device=x.device; on a GPU the same code fails the same way"
            ) from None
        kinds = remote.eval("[o.device.type] + [t.device.type for t in c]", o=out, c=cache)
        assert kinds == ["meta"] * 3, (
            f"for x on the meta device, tokens {start}..{end - 1} gave an output and a cache on "
            f"{kinds}, expected all on meta (the device of x)"
        )
