"""Hidden checks for strip-prefix: ``load_weights(model, ckpt)`` loads plain, DDP (``module.``)
and torch.compile (``_orig_mod.``) checkpoints strictly, without touching the caller's dict."""

import contextlib
import re
from typing import Any

import torch
from torch import nn

from trainer.checks import Remote, assert_close, plain
from trainer.errors import LearnerRaised

KINDS = {"plain": "", "DDP": "module.", "torch.compile": "_orig_mod."}
STRICT = (
    "load_state_dict(..., strict=False) ignores keys that do not match without a word. Make "
    "the keys match the model's, and load with strict=True (the default)"
)


class _Net(nn.Module):
    """The model the checkpoints come from; its child `submodule` has `module` in its name.
    Defined in the learner process, where load_weights runs."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(5, 7)
        self.submodule = nn.Linear(7, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.submodule(torch.tanh(self.encoder(x)))


def _source(seed: int, device: torch.device) -> _Net:
    """The trained model, here: its weights are the checkpoint's."""
    torch.manual_seed(seed)
    net = _Net().to(device)
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(3.0).add_(0.25)  # far from any fresh initialisation
    return net


def _fresh(remote: Remote, seed: int, device: torch.device) -> Any:
    """A freshly built model in the learner process (other random weights)."""
    remote.torch.manual_seed(seed)
    return remote.define(_Net)().to(device)


def _checkpoint(source: _Net, prefix: str) -> dict[str, torch.Tensor]:
    return {prefix + key: value.detach().clone() for key, value in source.state_dict().items()}


def _describe(kind: str, ckpt: dict[str, torch.Tensor]) -> str:
    keys = ", ".join(repr(key) for key in list(ckpt)[:2])
    return f"a {kind} checkpoint (keys {keys}, ...)"


def _first_lines(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])[:400].rstrip(".")


def _kind(exc: BaseException) -> str:
    return exc.short_type if isinstance(exc, LearnerRaised) else type(exc).__name__


def _load(learner: Any, model: Any, ckpt: Any, described: str) -> None:
    """load_weights, with an error of the learner's code said as a failed check."""
    try:
        learner.load_weights(model, ckpt)
    except LearnerRaised as exc:
        raise AssertionError(
            f"load_weights(model, {described}) raised {_kind(exc)}: {_first_lines(exc)}. "
            "The keys passed to load_state_dict must be exactly the model's: remove the prefix "
            "at the start of each key only, and only where every key has it (a plain "
            "checkpoint has none; `submodule.weight` contains `module.` but does not start "
            "with it)"
        ) from None


def _state(remote: Remote, model: Any) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = remote.fetch(
        "{k: v.detach().clone() for k, v in model.state_dict().items()}", model=model
    )
    return state


def _check_loaded(
    remote: Remote, model: Any, source: _Net, described: str, device: torch.device
) -> None:
    got = _state(remote, model)
    expected = source.state_dict()
    stale = [key for key in expected if key in got and not torch.equal(got[key], expected[key])]
    assert not stale, (
        f"after load_weights(model, {described}), the model's {', '.join(stale)} "
        f"{'do' if len(stale) > 1 else 'does'} not hold the checkpoint's values: "
        f"{'they were' if len(stale) > 1 else 'it was'} not loaded, and the model keeps its "
        f"random initial weights. {STRICT}"
    )
    torch.manual_seed(11)
    for batch in (1, 4):
        x = (torch.randn(batch, 5) * 2 + 0.3).to(device)
        with torch.no_grad():
            expected_out = source(x)
        assert_close(
            model(x),
            expected_out,
            what=f"model(x) after load_weights(model, {described})",
            inputs=f"x of shape ({batch}, 5)",
        )


def _loads(learner: Any, remote: Remote, kind: str, device: torch.device) -> None:
    for seed in (1, 2):
        source = _source(seed, device)
        ckpt = _checkpoint(source, KINDS[kind])
        model = _fresh(remote, seed + 100, device)
        described = _describe(kind, ckpt)
        _load(learner, model, remote.tensor(ckpt), described)
        _check_loaded(remote, model, source, described, device)


def test_plain(learner: Any, remote: Remote, device: torch.device) -> None:
    """a plain checkpoint loads, and the model reproduces the one it was saved from"""
    _loads(learner, remote, "plain", device)


def test_ddp(learner: Any, remote: Remote, device: torch.device) -> None:
    """a DDP checkpoint (keys start with module.) loads, and the model reproduces its source"""
    _loads(learner, remote, "DDP", device)


def test_compiled(learner: Any, remote: Remote, device: torch.device) -> None:
    """a torch.compile checkpoint (keys start with _orig_mod.) loads and reproduces its source"""
    _loads(learner, remote, "torch.compile", device)


def test_strict(learner: Any, remote: Remote, device: torch.device) -> None:
    """a checkpoint with a missing or an unknown key raises an error"""
    source = _source(3, device)
    for kind, prefix in KINDS.items():
        full = _checkpoint(source, prefix)
        missing = dict(full)
        del missing[prefix + "submodule.bias"]
        extra = dict(full)
        extra[prefix + "head.weight"] = torch.randn(2, 3).to(device)
        cases = [
            (missing, f"without its key {prefix}submodule.bias", "missing"),
            (extra, f"with an extra key {prefix}head.weight", "unexpected"),
        ]
        for ckpt, change, which in cases:
            model = _fresh(remote, 4, device)
            try:
                learner.load_weights(model, remote.tensor(ckpt))
            except LearnerRaised:
                continue
            raise AssertionError(
                f"load_weights(model, a {kind} checkpoint {change}) returned without an error, "
                f"expected load_state_dict's 'Error(s) in loading state_dict' for the {which} "
                f"key. A checkpoint that does not fit the model must fail loudly. {STRICT}"
            )


def test_caller_dict_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """the caller's checkpoint dict keeps its keys and values"""
    source = _source(5, device)
    for kind, prefix in KINDS.items():
        ckpt = _checkpoint(source, prefix)
        theirs = remote.tensor(ckpt)
        described = _describe(kind, ckpt)
        with contextlib.suppress(LearnerRaised):  # a loading error: the checks above say why
            learner.load_weights(_fresh(remote, 6, device), theirs)
        after = remote.fetch("{k: v.detach().clone() for k, v in ckpt.items()}", ckpt=theirs)
        assert list(after) == list(ckpt), (
            f"load_weights(model, {described}) changed the keys of the dict it was given: "
            f"{list(ckpt)} became {list(after)}. The script loads the same dict into a second "
            "model afterwards; build a new dict with the stripped keys instead"
        )
        for key, value in ckpt.items():
            assert torch.equal(plain(after[key], f"ckpt[{key!r}]"), value), (
                f"load_weights(model, {described}) changed the values of ckpt[{key!r}]"
            )
