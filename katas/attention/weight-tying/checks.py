"""Hidden checks for weight-tying: ``TinyLM(vocab_size, dim)``, whose ``head.weight`` is the one
Parameter object ``embed.weight``, through training steps, dtype moves, copies and loading."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, plain

# (vocab_size, dim, token shape): sizes distinct; a single token and a batch of sequences
CASES: list[tuple[int, int, tuple[int, ...]]] = [
    (11, 6, (3, 7)),
    (5, 4, (1,)),
    (9, 2, (8,)),
]
F32 = {"rtol": 1e-5, "atol": 1e-5}
TIE = (
    "Assign the Parameter object itself: self.head.weight = self.embed.weight. Then both "
    "modules hold one tensor, registered twice"
)
TWO_PARAMETERS = (
    "head.weight and embed.weight are two Parameter objects: sharing their storage (with "
    ".data, or nn.Parameter(embed.weight.data)) or copying their values does not make them "
    "one parameter"
)


def _call(vocab: int, dim: int) -> str:
    return f"TinyLM({vocab}, {dim})"


def _tokens(vocab: int, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    """Random ids with repeats, so that an embedding row can get several gradients."""
    return torch.randint(0, vocab, shape).to(device)


def _weights(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    """embed.weight, mix.weight and mix.bias, fetched in one request."""
    names = ("embed.weight", "mix.weight", "mix.bias")
    source = "[m.embed.weight.detach(), m.mix.weight.detach(), m.mix.bias.detach()]"
    try:
        values = remote.fetch(source, m=model)
    except TypeError:  # one is not a plain tensor: plain() names it
        values = remote.eval(source.replace(".detach()", ""), m=model)
    return {name: plain(value, name) for name, value in zip(names, values, strict=True)}


def _logits(tokens: torch.Tensor, embed: Any, mix_w: Any, mix_b: Any, head: Any) -> Any:
    """The model's forward pass, in the judge; ``head`` is the output matrix (vocab, dim)."""
    return torch.tanh(F.linear(F.embedding(tokens, embed), mix_w, mix_b)) @ head.T


def _same(remote: Remote, model: Any) -> bool:
    """Whether head.weight is embed.weight, asked in the learner process."""
    return remote.eval("m.head.weight is m.embed.weight", m=model) is True


def _count(remote: Remote, model: Any) -> tuple[int, int]:
    """How many Parameter objects parameters() yields, and how many numbers they hold."""
    counted = remote.fetch("[(1, p.numel()) for p in m.parameters()]", m=model)
    return len(counted), sum(int(n) for _, n in counted)


def test_forward(learner: Any, remote: Remote, device: torch.device) -> None:
    """logits are tanh(mix(embed(tokens))) @ embed.weight.T, also after embed.weight changes"""
    torch.manual_seed(0)
    for vocab, dim, shape in CASES:
        call = _call(vocab, dim)
        model = learner.TinyLM(vocab, dim).to(device)
        tokens = _tokens(vocab, shape, device)
        w = _weights(remote, model)
        expected = _logits(
            tokens, w["embed.weight"], w["mix.weight"], w["mix.bias"], w["embed.weight"]
        )
        described = f"tokens of shape {shape}"
        assert_close(model(tokens), expected, what=f"{call}(tokens)", inputs=described, **F32)
        # an optimizer step changes embed.weight in place: the head must see the new values
        change = (torch.randn(vocab, dim) * 0.5 + 0.1).to(device)
        with remote.torch.no_grad():
            model.embed.weight.add_(change)
        new = w["embed.weight"] + change
        assert_close(
            model(tokens),
            _logits(tokens, new, w["mix.weight"], w["mix.bias"], new),
            what=f"{call}(tokens) after embed.weight.add_(delta)",
            inputs=described,
            hint="the head still computes with the old values: its weight is a copy of the "
            "embedding's, not the embedding's own tensor. " + TIE,
            **F32,
        )


def test_counted_once(learner: Any, remote: Remote, device: torch.device) -> None:
    """parameters() yields the shared matrix once, and head.weight is embed.weight"""
    for vocab, dim, _ in CASES:
        call = _call(vocab, dim)
        model = learner.TinyLM(vocab, dim).to(device)
        count, numbers = _count(remote, model)
        expected = vocab * dim + dim * dim + dim
        assert (count, numbers) == (3, expected), (
            f"{call}.parameters() yields {count} tensors holding {numbers} numbers, expected 3 "
            f"tensors holding {expected}: embed.weight ({vocab}×{dim}, shared with the head), "
            f"mix.weight and mix.bias. An optimizer would then keep two copies of the matrix, "
            f"with two momentum buffers, and weight decay would count it twice"
            + (
                f". The extra one is a second ({vocab}×{dim}) matrix: head.weight is a Parameter "
                f"of its own (a copy, a storage alias, or a head left unused). {TIE}"
                if count == 4 and numbers == expected + vocab * dim
                else ""
            )
        )
        assert _same(remote, model), (
            f"in {call}, model.head.weight is not model.embed.weight. {TIE}"
        )


def test_gradient(learner: Any, remote: Remote, device: torch.device) -> None:
    """the shared matrix's gradient is the sum of the embedding's and the head's shares"""
    torch.manual_seed(1)
    for vocab, dim, shape in CASES:
        call = _call(vocab, dim)
        model = learner.TinyLM(vocab, dim).to(device)
        tokens = _tokens(vocab, shape, device)
        upstream = (torch.randn(*shape, vocab) * 1.5).to(device)
        (model(tokens) * upstream).sum().backward()
        # the oracle: the same network untied, in float64, with one leaf per use
        w = {name: t.double() for name, t in _weights(remote, model).items()}
        as_embedding = w["embed.weight"].clone().requires_grad_()
        as_head = w["embed.weight"].clone().requires_grad_()
        logits = _logits(tokens, as_embedding, w["mix.weight"], w["mix.bias"], as_head)
        (logits * upstream.double()).sum().backward()
        assert as_embedding.grad is not None and as_head.grad is not None
        expected = (as_embedding.grad + as_head.grad).float()
        grads = remote.eval("(m.embed.weight.grad, m.head.weight.grad)", m=model)
        for name, grad in zip(("embed.weight", "head.weight"), grads, strict=True):
            assert grad is not None, (
                f"{name}.grad is None after backward through {call}(tokens): it took no part "
                "in the forward pass"
            )
            own = (as_embedding if name == "embed.weight" else as_head).grad.float()
            share = plain(grad, f"{name}.grad")
            hint = (
                f"{name}.grad holds only the {'embedding' if name == 'embed.weight' else 'head'}'s "
                f"share of the gradient. {TWO_PARAMETERS}: each gets its own .grad, so an "
                f"optimizer moves each with its own share only. {TIE}"
                if share.shape == own.shape and torch.allclose(share, own, rtol=1e-4, atol=1e-5)
                else ""
            )
            assert_close(
                share,
                expected,
                what=f"{name}.grad after (logits * g).sum().backward()",
                inputs=f"{call}, tokens of shape {shape}, g random",
                hint=hint,
                **F32,
            )


def test_survives_double_and_deepcopy(learner: Any, remote: Remote, device: torch.device) -> None:
    """the tie survives .double() (as .to(device) moves it) and copy.deepcopy"""
    torch.manual_seed(2)
    vocab, dim, shape = CASES[0]
    call = _call(vocab, dim)
    tokens = _tokens(vocab, shape, device)
    model = learner.TinyLM(vocab, dim).to(device)
    moved = model.double()
    assert _same(remote, moved), (
        f"after {call}.double(), head.weight is not embed.weight: the conversion gave each of "
        "the two parameters a new tensor of its own, so from then on they train apart "
        "(.to('cuda') does the same). Storage shared with .data does not survive a dtype or "
        f"device move; one Parameter object does. {TIE}"
    )
    w = _weights(remote, moved)
    assert_close(
        moved(tokens),
        _logits(tokens, w["embed.weight"], w["mix.weight"], w["mix.bias"], w["embed.weight"]),
        what=f"{call}.double()(tokens)",
        inputs=f"tokens of shape {shape}",
    )
    copied = remote.module("copy").deepcopy(model)
    assert _same(remote, copied), (
        f"in copy.deepcopy({call}), head.weight is not embed.weight: deepcopy copies each "
        "Parameter object once, so one shared object stays shared, but two objects that share "
        f"storage become two independent copies. {TIE}"
    )
    assert remote.eval("c.embed.weight is not m.embed.weight", c=copied, m=model) is True, (
        f"copy.deepcopy({call}) shares embed.weight with the original: it must be a copy"
    )


def test_load_state_dict(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_state_dict loads the checkpoint's matrix into the one shared tensor"""
    torch.manual_seed(3)
    vocab, dim, shape = CASES[2]
    call = _call(vocab, dim)
    model = learner.TinyLM(vocab, dim).to(device)
    keys = remote.fetch("list(m.state_dict())", m=model)
    # a checkpoint of a trained tied model: the same matrix under both names
    matrix = (torch.randn(vocab, dim) * 0.8 - 0.2).to(device)
    mix_w, mix_b = (torch.randn(dim, dim) * 0.5).to(device), (torch.randn(dim) * 0.3).to(device)
    values = {"embed.weight": matrix, "head.weight": matrix, "mix.weight": mix_w, "mix.bias": mix_b}
    unknown = [key for key in keys if key not in values]
    assert not unknown, (
        f"{call}.state_dict() has the keys {keys}, expected embed.weight, mix.weight, mix.bias "
        f"and head.weight only (unexpected: {unknown})"
    )
    model.load_state_dict({key: values[key] for key in keys})
    assert _same(remote, model), (
        f"after {call}.load_state_dict(checkpoint), head.weight is not embed.weight. {TIE}"
    )
    tokens = _tokens(vocab, shape, device)
    assert_close(
        model(tokens),
        _logits(tokens, matrix, mix_w, mix_b, matrix),
        what=f"{call}(tokens) after load_state_dict",
        inputs=f"tokens of shape {shape}",
        **F32,
    )
