"""Hidden checks for renamed-keys: ``Classifier``'s `fc` is now `head`, and checkpoints with
the old keys load strictly through ``load_state_dict``, at the top and nested."""

import contextlib
import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainer.checks import Remote, assert_close, assert_same_names
from trainer.errors import LearnerRaised

SIZES = [(5, 9, 3), (4, 7, 1)]  # (dim, hidden, classes)
# where the classifiers sit in the model being loaded: (prefixes, described)
PLACES: dict[str, tuple[list[str], str]] = {
    "top": ([""], "{c}"),
    "sequential": (["0."], "nn.Sequential({c})"),
    "ensemble": (["members.0.", "members.1."], "an ensemble of two {c} and its own fc"),
}
HOOK = (
    "Translate the old keys inside Classifier, in a hook registered with "
    "register_load_state_dict_pre_hook (or an override of _load_from_state_dict): "
    "load_state_dict runs it wherever the Classifier sits, and passes its prefix"
)


class _MLP(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.proj = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.gelu(self.fc(x)))


class _Reference(nn.Module):
    """The Classifier as it must be: the judge's own copy, for keys, shapes and outputs."""

    def __init__(self, dim: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.body = _MLP(dim, hidden)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


class _Ensemble(nn.Module):
    """A larger model that holds two classifiers and a layer of its own named `fc`
    (defined in the learner process too)."""

    def __init__(self, first: nn.Module, second: nn.Module, classes: int) -> None:
        super().__init__()
        self.members = nn.ModuleList([first, second])
        self.fc = nn.Linear(2 * classes, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.cat([member(x) for member in self.members], dim=-1))


def _wrap(
    place: str, make: Any, sizes: tuple[int, int, int], sequential: Any, ensemble: Any
) -> Any:
    if place == "top":
        return make(*sizes)
    if place == "sequential":
        return sequential(make(*sizes))
    return ensemble(make(*sizes), make(*sizes), sizes[2])


def _theirs(
    learner: Any, remote: Remote, place: str, sizes: tuple[int, int, int], device: torch.device
) -> Any:
    """The model being loaded, in the learner process, with the learner's Classifier."""
    remote.torch.manual_seed(3)
    sequential, ensemble = remote.torch.nn.Sequential, remote.define(_Ensemble)
    return _wrap(place, learner.Classifier, sizes, sequential, ensemble).to(device)


def _ours(place: str, sizes: tuple[int, int, int], seed: int, device: torch.device) -> nn.Module:
    """The same model here, with random weights: its state_dict is what loading must give."""
    torch.manual_seed(seed)
    model = _wrap(place, _Reference, sizes, nn.Sequential, _Ensemble).to(device)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0).add_(0.3)
    return model


def _old(state: dict[str, torch.Tensor], place: str) -> dict[str, torch.Tensor]:
    """The checkpoint as saved before the rename: each classifier's head.* was fc.*."""
    renamed = {}
    for key, value in state.items():
        for prefix in PLACES[place][0]:
            if key.startswith(prefix + "head."):
                key = prefix + "fc." + key[len(prefix + "head.") :]
        renamed[key] = value.clone()
    return renamed


def _named(described: str, sizes: tuple[int, int, int]) -> str:
    return described.format(c=f"Classifier{sizes}")


def _first_lines(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])[:400].rstrip(".")


def _keys(ckpt: dict[str, torch.Tensor], place: str) -> str:
    """The checkpoint's keys for the classifiers' output layers, old or new."""
    starts = [p + name for p in PLACES[place][0] for name in ("fc.", "head.")]
    return ", ".join(key for key in ckpt if key.startswith(tuple(starts)))


def _load(model: Any, ckpt: dict[str, torch.Tensor], what: str, hint: str) -> None:
    try:
        model.load_state_dict(ckpt)
    except LearnerRaised as exc:
        raise AssertionError(
            f"load_state_dict({what}) raised {exc.short_type}: {_first_lines(exc)}. {hint}"
        ) from None


def _loads(learner: Any, remote: Remote, place: str, old: bool, device: torch.device) -> None:
    """A checkpoint in old or new names loads into the model at `place`, with its values."""
    prefixes, described = PLACES[place]
    for index, sizes in enumerate(SIZES):
        source = _ours(place, sizes, 10 + index, device)
        expected = {k: v.detach() for k, v in source.state_dict().items()}
        ckpt = _old(expected, place) if old else expected
        kind = "an old checkpoint" if old else "a new checkpoint"
        what = f"{kind} (keys {_keys(ckpt, place)}, ...) into {_named(described, sizes)}"
        model = _theirs(learner, remote, place, sizes, device)
        hint = (
            HOOK + f". The prefix here is {' and '.join(repr(p) for p in prefixes)}: compare "
            "keys with prefix + 'fc.', so that body.fc and other modules' fc keep their names"
            if old
            else "Rename only the keys that start with prefix + 'fc.': every other key, "
            "head.* and body.fc.* included, must stay as it is"
        )
        _load(model, ckpt, what, hint)
        got = remote.fetch("{k: v.detach().clone() for k, v in m.state_dict().items()}", m=model)
        for key, value in expected.items():
            loaded = got.get(key)
            assert isinstance(loaded, torch.Tensor) and torch.equal(loaded, value), (
                f"after load_state_dict({what}), the model's {key} does not hold the "
                "checkpoint's values"
                + (
                    f" (saved as {_old({key: value}, place).popitem()[0]}): load_state_dict "
                    "with strict=False drops the keys it does not know, and the layer keeps "
                    f"its random initial weights. {HOOK}"
                    if old and key not in ckpt
                    else ""
                )
            )
        torch.manual_seed(20 + index)
        for batch in (1, 4):
            x = (torch.randn(batch, sizes[0]) * 2 + 0.1).to(device)
            with torch.no_grad():
                expected_out = source(x)
            assert_close(
                model(x),
                expected_out,
                what=f"the model's output after load_state_dict({what})",
                inputs=f"x of shape {tuple(x.shape)}",
            )


def test_state_dict_keys(learner: Any, remote: Remote, device: torch.device) -> None:
    """state_dict() holds only the new names: head.*, never fc.*"""
    for place in PLACES:
        for sizes in SIZES:
            assert_same_names(
                list(_theirs(learner, remote, place, sizes, device).state_dict()),
                list(_ours(place, sizes, 0, device).state_dict()),
                what=f"the keys of {_named(PLACES[place][1], sizes)}.state_dict()",
                hint="An alias such as self.fc = self.head registers the layer twice, so "
                "state_dict() saves it under both names, and old checkpoints, which lack "
                "head.*, still fail to load",
            )


def test_old_top_level(learner: Any, remote: Remote, device: torch.device) -> None:
    """an old checkpoint (fc.*) loads strictly into a Classifier, its fc values in head"""
    _loads(learner, remote, "top", old=True, device=device)


def test_old_nested(learner: Any, remote: Remote, device: torch.device) -> None:
    """an old checkpoint loads into modules that contain Classifiers (prefixes 0., members.N.)"""
    _loads(learner, remote, "sequential", old=True, device=device)
    _loads(learner, remote, "ensemble", old=True, device=device)


def test_new_checkpoints(learner: Any, remote: Remote, device: torch.device) -> None:
    """a new checkpoint (head.*) loads, at the top and nested"""
    for place in PLACES:
        _loads(learner, remote, place, old=False, device=device)


def test_strict(learner: Any, remote: Remote, device: torch.device) -> None:
    """a checkpoint with a key missing, or with an unknown key, still raises"""
    sizes = SIZES[0]
    for place, (prefixes, described) in PLACES.items():
        into = _named(described, sizes)
        state = {k: v.detach() for k, v in _ours(place, sizes, 30, device).state_dict().items()}
        prefix = prefixes[-1]
        for old in (True, False):
            ckpt = _old(state, place) if old else dict(state)
            name = "fc" if old else "head"
            missing = {k: v for k, v in ckpt.items() if k != f"{prefix}{name}.bias"}
            extra = {**ckpt, f"{prefix}{name}.scale": torch.ones(sizes[2], device=device)}
            for bad, change in [
                (missing, f"without {prefix}{name}.bias"),
                (extra, f"with an extra key {prefix}{name}.scale"),
            ]:
                model = _theirs(learner, remote, place, sizes, device)
                try:
                    model.load_state_dict(bad)
                except LearnerRaised:
                    continue
                kind = "an old" if old else "a new"
                raise AssertionError(
                    f"load_state_dict({kind} checkpoint {change}) into {into} returned without "
                    "an error: loading must stay strict, so that a checkpoint that "
                    "does not fit fails loudly instead of leaving random weights. Rename the "
                    "old keys; do not load with strict=False"
                )


def test_caller_dict_unchanged(learner: Any, remote: Remote, device: torch.device) -> None:
    """load_state_dict leaves the caller's dict unchanged"""
    sizes = SIZES[1]
    for place, (_, described) in PLACES.items():
        into = _named(described, sizes)
        ckpt = _old(
            {k: v.detach() for k, v in _ours(place, sizes, 40, device).state_dict().items()}, place
        )
        theirs = remote.tensor(ckpt)
        with contextlib.suppress(LearnerRaised):  # a loading error: the checks above say why
            _theirs(learner, remote, place, sizes, device).load_state_dict(theirs)
        after = remote.fetch("{k: v.clone() for k, v in d.items()}", d=theirs)
        assert list(after) == list(ckpt), (
            f"load_state_dict(an old checkpoint) into {into} changed the keys of the "
            f"caller's dict: {list(ckpt)} became {list(after)}. The caller may load the same "
            "dict again; rename keys in load_state_dict's own copy (the dict a load "
            "pre-hook receives)"
        )
        for key, value in ckpt.items():
            assert torch.equal(after[key], value), (
                f"load_state_dict(an old checkpoint) into {into} changed the caller's {key}"
            )
