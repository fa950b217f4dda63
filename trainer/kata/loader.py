"""Load one kata folder into a :class:`~trainer.kata.model.Kata`, or say exactly what is wrong.

An author fixes a kata from the messages alone, so every problem carries the file, the line
and the YAML key (never pydantic's Python field names), and all problems are reported at
once rather than one per run.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from trainer.errors import KataLoadError
from trainer.kata.model import REQUIRED_FILES, Kata, KataSpec

if TYPE_CHECKING:
    import yaml

__all__ = [
    "LoadProblem",
    "load_kata",
    "load_yaml_model",
    "locate_key",
    "yaml_loader",
]


def yaml_loader() -> type[yaml.SafeLoader] | type[yaml.CSafeLoader]:
    """The libyaml loader when PyYAML was built with it: a big catalog loads several times faster.

    PyYAML is imported here, on first use, not with this module: a catalog served from its
    cache (:mod:`trainer.kata.pack_cache`) never parses YAML, and the trainer starts sooner for it.
    """
    import yaml

    loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
        yaml, "CSafeLoader", yaml.SafeLoader
    )
    return loader


M = TypeVar("M", bound=BaseModel)
Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class LoadProblem:
    """One thing wrong with a kata or pack, located as precisely as we can."""

    path: Path
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = _display(self.path) + (f":{self.line}" if self.line is not None else "")
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}: {what}{self.message}"


def _display(path: Path) -> str:
    """Paths relative to the current folder when they are under it: shorter, clickable."""
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):  # not under cwd, or cwd was deleted
        return str(path)


# --------------------------------------------------------------------------- YAML + nodes


@dataclass(frozen=True)
class _Parsed:
    data: object
    node: yaml.Node | None


def _parse(path: Path) -> _Parsed:
    """Parse once, keeping both the data and the node tree (the node tree knows the lines)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise KataLoadError([LoadProblem(path, None, None, "file is missing")]) from None
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (byte {exc.start})"
        raise KataLoadError([LoadProblem(path, None, None, msg)]) from None
    except OSError as exc:
        msg = f"cannot be read: {exc.strerror or exc}"
        raise KataLoadError([LoadProblem(path, None, None, msg)]) from None
    import yaml

    loader = yaml_loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = exc.problem or exc.context or "syntax error"
        if exc.context and exc.problem:
            started = exc.context_mark
            if started is not None and mark is not None and started.line != mark.line:
                detail = f"{exc.problem} ({exc.context} that starts on line {started.line + 1})"
            else:
                detail = f"{exc.problem} ({exc.context})"
        raise KataLoadError([LoadProblem(path, line, None, f"invalid YAML: {detail}")]) from None
    except yaml.YAMLError as exc:
        raise KataLoadError([LoadProblem(path, None, None, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return _Parsed(data, node)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _entries(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    yield from node.value


def _find(root: yaml.Node, loc: Loc) -> tuple[int, bool]:
    """The line that ``loc`` points at, and whether the whole path was found.

    A mapping entry answers with its key's line (that is where an author looks for
    ``hints:``); a sequence item with the item's own line. A path that runs out early (a
    missing field) answers with the line of the deepest mapping reached.
    """
    import yaml

    node = root
    line = _line(root)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in _entries(node):
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    line, node = _line(key), value
                    break
            else:
                return line, False
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                return line, False
            node = node.value[part]
            line = _line(node)
        else:
            return line, False
    return line, True


def _duplicate_keys(node: yaml.Node, path: Path, prefix: str = "") -> Iterator[LoadProblem]:
    """YAML silently keeps the last of two equal keys; an author almost never means that."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in _entries(node):
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if isinstance(name, str):
                field = f"{prefix}.{name}" if prefix else name
                if name in seen:
                    msg = f"appears twice (first on line {seen[name]}); YAML keeps only the last"
                    yield LoadProblem(path, _line(key), field, msg)
                else:
                    seen[name] = _line(key)
                yield from _duplicate_keys(value, path, field)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, path, f"{prefix}[{index}]")


# --------------------------------------------------------------------------- pydantic errors


def _loc_text(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _yaml_keys(model: type[BaseModel]) -> dict[str, str]:
    """YAML key -> Python field name (the key is the alias where there is one)."""
    return {(info.alias or name): name for name, info in model.model_fields.items()}


def _submodel(annotation: object) -> type[BaseModel] | None:
    """The pydantic model inside ``tuple[Reference, ...]``, ``Reference | None`` and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _submodel(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        name = _yaml_keys(current).get(part)
        if name is None:
            return None
        current = _submodel(current.model_fields[name].annotation)
    return current


def _unknown_key_message(model: type[BaseModel] | None, key: str) -> str:
    if model is None:
        return "unknown key"
    keys = _yaml_keys(model)
    by_python_name = {name: alias for alias, name in keys.items() if alias != name}
    if key in by_python_name:
        return f"unknown key; did you mean '{by_python_name[key]}'?"
    close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.6)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return "unknown key; allowed keys are " + ", ".join(sorted(keys))


def _error_message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "too_short" and "min_length" in ctx:
        return f"needs at least {ctx['min_length']} item(s)"
    if kind in {"tuple_type", "list_type"}:
        return f"should be a list, got {type(error['input']).__name__}"
    if kind == "model_type":
        return "should be a mapping of keys to values"
    message = str(error["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should"):
        message = "should" + message.removeprefix("Input should")
    return message


def _validation_problems(
    exc: ValidationError, model: type[BaseModel], node: yaml.Node, path: Path
) -> Iterator[LoadProblem]:
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        line, _ = _find(node, loc)
        field = _loc_text(loc) or None
        if error["type"] == "extra_forbidden" and loc:
            parent = _model_at(model, loc[:-1])
            yield LoadProblem(path, line, field, _unknown_key_message(parent, str(loc[-1])))
        else:
            yield LoadProblem(path, line, field, _error_message(error))


def _validate(
    path: Path, model: type[M], extra: Sequence[LoadProblem] = ()
) -> tuple[M | None, _Parsed, list[LoadProblem]]:
    """Parse and validate, collecting problems instead of stopping at the first."""
    parsed = _parse(path)
    if parsed.node is None:
        return None, parsed, [LoadProblem(path, 1, None, "file is empty; expected a mapping")]
    if not isinstance(parsed.data, dict):
        kind = type(parsed.data).__name__
        msg = f"the top level must be a mapping of keys to values, not a {kind}"
        return None, parsed, [LoadProblem(path, _line(parsed.node), None, msg)]
    problems = list(_duplicate_keys(parsed.node, path))
    problems.extend(extra)
    result: M | None = None
    try:
        result = model.model_validate(parsed.data)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, model, parsed.node, path))
    problems.sort(key=lambda p: p.line or 0)
    return result, parsed, problems


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Load a YAML file into a strict pydantic model; raise :class:`KataLoadError` with lines."""
    result, _, problems = _validate(path, model)
    if problems or result is None:
        raise KataLoadError(problems)
    return result


def locate_key(path: Path, loc: Sequence[int | str]) -> int | None:
    """The line of ``loc`` (e.g. ``("requires", 1)``) in a YAML file, for later problems.

    Checks that need the whole catalog (duplicate ids, unknown ``requires``) run after the
    kata loaded, so they ask here rather than keeping every node tree in memory.
    """
    try:
        parsed = _parse(path)
    except KataLoadError:
        return None
    if parsed.node is None:
        return None
    line, _ = _find(parsed.node, tuple(loc))
    return line


# --------------------------------------------------------------------------- katas


def _file_problems(kata_dir: Path, learner_copy: bool) -> Iterator[LoadProblem]:
    for name in REQUIRED_FILES:
        if learner_copy and name == "solution.py":
            continue  # kept back by the instructor (``katas handout``)
        file = kata_dir / name
        if not file.is_file():
            yield LoadProblem(file, None, None, f"missing: every kata needs {name}")
            continue
        try:
            empty = not file.read_bytes().strip()
        except OSError as exc:
            yield LoadProblem(file, None, None, f"cannot be read: {exc.strerror or exc}")
            continue
        if empty:
            yield LoadProblem(file, None, None, "is empty")


def _id_problem(kata_dir: Path, parsed: _Parsed, path: Path) -> LoadProblem | None:
    """The folder name is how authors and learners find a kata, so it must be the id."""
    if not isinstance(parsed.data, dict) or parsed.node is None:
        return None
    kata_id = parsed.data.get("id")
    if not isinstance(kata_id, str) or kata_id == kata_dir.name:
        return None
    line, _ = _find(parsed.node, ("id",))
    msg = f"{kata_id!r} does not match the folder name {kata_dir.name!r}; rename one of them"
    return LoadProblem(path, line, "id", msg)


def load_kata(kata_dir: Path, pack: Path) -> Kata:
    """Load the kata in ``kata_dir`` (part of ``pack``); raise :class:`KataLoadError` if broken."""
    yaml_path = kata_dir / "kata.yaml"
    try:
        spec, parsed, problems = _validate(yaml_path, KataSpec)
    except KataLoadError as exc:
        raise KataLoadError(exc.problems + list(_file_problems(kata_dir, False))) from None
    learner_copy = spec is not None and spec.instructor_kept is not None
    files = list(_file_problems(kata_dir, learner_copy))
    id_problem = _id_problem(kata_dir, parsed, yaml_path)
    if id_problem is not None:
        problems.append(id_problem)
        problems.sort(key=lambda p: p.line or 0)
    problems.extend(files)
    if problems or spec is None:
        raise KataLoadError(problems)
    return Kata(spec=spec, root=kata_dir, pack=pack)
