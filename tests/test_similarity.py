"""``katas similarity``: planted copies rank first, starter code is no evidence, hostile code is
shown as text. A graded folder is written here with ``write_outputs``, so nothing is graded."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest

from trainer.batch.model import (
    AssignmentInfo,
    BatchResults,
    GradeStatus,
    KataColumn,
    KataResult,
    LearnerResult,
)
from trainer.batch.publish import write_outputs
from trainer.batch.similarity import (
    KataSimilarity,
    Pair,
    SimilarityReport,
    compare_kata,
    html_page,
    similarity,
)
from trainer.cli.app import main

MLP_STARTER = '''"""Train a small MLP: write `train_step` and `accuracy`."""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, inputs: int, hidden: int, outputs: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(inputs, hidden)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


def make_optimizer(model: nn.Module, lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def train_step(model, optimizer, x, y):
    """One epoch of training in batches; returns the mean loss."""
    raise NotImplementedError


def accuracy(model, x, y):
    """The share of rows whose largest logit is the label."""
    raise NotImplementedError
'''
MLP_HEAD, _, _ = MLP_STARTER.partition("def train_step")

MLP_EVE = """def _batches(x, y, size):
    for start in range(0, len(x), size):
        yield x[start : start + size], y[start : start + size]


def _clip(model, limit):
    total = 0.0
    for p in model.parameters():
        if p.grad is not None:
            total += float(p.grad.pow(2).sum())
    scale = min(1.0, limit / (total**0.5 + 1e-12))
    for p in model.parameters():
        if p.grad is not None:
            p.grad.mul_(scale)


def train_step(model, optimizer, x, y):
    model.train()
    running = 0.0
    for xb, yb in _batches(x, y, 32):
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(xb), yb, label_smoothing=0.05)
        loss.backward()
        _clip(model, 5.0)
        optimizer.step()
        running += loss.item() * len(xb)
    return running / max(1, len(x))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        guesses = model(x).argmax(dim=1)
    return (guesses == y).float().mean().item()
"""

MLP_FAY = """def accuracy(net, inputs, labels):
    net.eval()
    with torch.no_grad():
        predicted = net(inputs).argmax(dim=1)
    return (predicted == labels).float().mean().item()


def train_step(net, opt, inputs, labels):
    net.train()
    acc_loss = 0.0
    for batch_in, batch_lab in chunks(inputs, labels, 32):
        opt.zero_grad(set_to_none=True)
        err = nn.functional.cross_entropy(net(batch_in), batch_lab, label_smoothing=0.05)
        err.backward()
        clip_grads(net, 5.0)
        opt.step()
        acc_loss += err.item() * len(batch_in)
    return acc_loss / max(1, len(inputs))


def clip_grads(net, cap):
    norm_sq = 0.0
    for w in net.parameters():
        if w.grad is not None:
            norm_sq += float(w.grad.pow(2).sum())
    factor = min(1.0, cap / (norm_sq**0.5 + 1e-12))
    for w in net.parameters():
        if w.grad is not None:
            w.grad.mul_(factor)


def chunks(inputs, labels, n):
    for i in range(0, len(inputs), n):
        yield inputs[i : i + n], labels[i : i + n]
"""

MLP_GUS = """def slices(a, b, width):
    for pos in range(0, len(a), width):
        yield a[pos : pos + width], b[pos : pos + width]


def train_step(m, o, a, b):
    m.train()
    s = 0.0
    for a1, b1 in slices(a, b, 32):
        o.zero_grad(set_to_none=True)
        l = nn.functional.cross_entropy(m(a1), b1, label_smoothing=0.05)
        l.backward()
        rescale(m, 5.0)
        o.step()
        s += l.item() * len(a1)
    return s / max(1, len(a))


def accuracy(m, a, b):
    m.eval()
    with torch.no_grad():
        g = m(a).argmax(dim=1)
    return (g == b).float().mean().item()


def rescale(m, mx):
    t = 0.0
    for q in m.parameters():
        if q.grad is not None:
            t += float(q.grad.pow(2).sum())
    k = min(1.0, mx / (t**0.5 + 1e-12))
    for q in m.parameters():
        if q.grad is not None:
            q.grad.mul_(k)
"""

MLP_ADA = """def train_step(model, optimizer, x, y):
    model.train()
    optimizer.zero_grad()
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    loss.backward()
    optimizer.step()
    return loss.item()


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(-1) == y).sum().item() / y.numel()
"""

MLP_BEN = """LOSS = nn.CrossEntropyLoss()


def train_step(model, optimizer, x, y):
    losses = []
    perm = torch.randperm(x.shape[0])
    for idx in perm.split(16):
        out = model(x[idx])
        batch_loss = LOSS(out, y[idx])
        optimizer.zero_grad()
        batch_loss.backward()
        optimizer.step()
        losses.append(batch_loss.detach())
    return torch.stack(losses).mean().item()


def accuracy(model, x, y):
    model.eval()
    correct = 0
    for row, label in zip(x, y):
        if int(torch.argmax(model(row.unsqueeze(0)))) == int(label):
            correct += 1
    return correct / len(y)
"""

MLP_CAT = """def train_step(model, optimizer, x, y):
    dataset = torch.utils.data.TensorDataset(x, y)
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    seen, summed = 0, 0.0
    model.train(True)
    for features, target in loader:
        prediction = model(features)
        value = nn.functional.nll_loss(torch.log_softmax(prediction, dim=-1), target)
        optimizer.zero_grad()
        value.backward()
        optimizer.step()
        seen += target.shape[0]
        summed += value.item() * target.shape[0]
    return summed / seen


def accuracy(model, x, y):
    model.train(False)
    scores = model(x).detach()
    return torch.eq(torch.max(scores, 1).indices, y).to(torch.float32).mean().item()
"""

MLP_DAN = """import math


def train_step(model, optimizer, x, y, epochs=1):
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        probabilities = torch.softmax(model(x), dim=1)
        picked = probabilities[torch.arange(len(y)), y]
        objective = -(picked + 1e-9).log().mean()
        objective.backward()
        optimizer.step()
        history.append(float(objective))
    return history[-1] if history else math.nan


def accuracy(model, x, y):
    hits = model(x).max(dim=1)[1].eq(y)
    return hits.double().sum().item() / max(len(hits), 1)
"""

NORM_STARTER = '''"""Normalise a batch of feature vectors: write `normalise` and `denormalise`."""

import torch


def normalise(x, eps=1e-5):
    """Zero mean and unit variance per feature; returns (normalised, mean, std)."""
    raise NotImplementedError


def denormalise(z, mean, std):
    raise NotImplementedError
'''
NORM_HEAD, _, _ = NORM_STARTER.partition("def normalise")

NORM_ADA = """def _stats(x, eps):
    centre = x.mean(dim=0, keepdim=True)
    spread = (x - centre).pow(2).mean(dim=0, keepdim=True).add(eps).sqrt()
    return centre, spread


def normalise(x, eps=1e-5):
    if x.dim() != 2:
        raise ValueError(f"expected a matrix, got shape {tuple(x.shape)}")
    centre, spread = _stats(x, eps)
    return (x - centre) / spread, centre.squeeze(0), spread.squeeze(0)


def denormalise(z, mean, std):
    if z.dim() != 2:
        raise ValueError(f"expected a matrix, got shape {tuple(z.shape)}")
    return z * std.unsqueeze(0) + mean.unsqueeze(0)
"""

NORM_BEN = """def denormalise(values, mu, sigma):
    if values.dim() != 2:
        raise ValueError(f"expected a matrix, got shape {tuple(values.shape)}")
    return values * sigma.unsqueeze(0) + mu.unsqueeze(0)


def helper(values, tiny):
    mu = values.mean(dim=0, keepdim=True)
    sigma = (values - mu).pow(2).mean(dim=0, keepdim=True).add(tiny).sqrt()
    return mu, sigma


def normalise(values, eps=1e-5):
    if values.dim() != 2:
        raise ValueError(f"expected a matrix, got shape {tuple(values.shape)}")
    mu, sigma = helper(values, eps)
    return (values - mu) / sigma, mu.squeeze(0), sigma.squeeze(0)
"""

NORM_EVE = """def normalise(x, eps=1e-5):
    mean = x.mean(0)
    std = torch.sqrt(x.var(0, unbiased=False) + eps)
    return (x - mean) / std, mean, std


def denormalise(z, mean, std):
    return z * std + mean
"""

NORM_FAY = """def normalise(batch, eps=1e-5):
    mu = torch.mean(batch, dim=0)
    centred = batch - mu
    sd = centred.square().mean(dim=0).clamp_min(0).add_(eps) ** 0.5
    out = centred.div(sd)
    return out, mu, sd


def denormalise(z, mean, std):
    restored = torch.addcmul(mean.expand_as(z), z, std.expand_as(z))
    return restored
"""

NORM_GUS = """import numpy as np


def normalise(x, eps=1e-5):
    arr = x.detach().cpu().numpy()
    m = arr.mean(axis=0)
    s = np.sqrt(((arr - m) ** 2).mean(axis=0) + eps)
    back = lambda a: torch.as_tensor(a, dtype=x.dtype, device=x.device)
    return back((arr - m) / s), back(m), back(s)


def denormalise(z, mean, std):
    return torch.stack([row * std + mean for row in z])
"""

EXTRA_X = """

def clipped(x, low, high):
    \"\"\"Clamp each feature to the range seen in training.\"\"\"
    return torch.maximum(torch.minimum(x, high.unsqueeze(0)), low.unsqueeze(0))


def ranges(x):
    return x.min(dim=0).values, x.max(dim=0).values
"""
EXTRA_Y = """

def bounds(data):
    return data.min(dim=0).values, data.max(dim=0).values


def limit(data, lo, hi):
    return torch.maximum(torch.minimum(data, hi.unsqueeze(0)), lo.unsqueeze(0))
"""

FILES: dict[str, dict[str, str]] = {
    "ada": {"mlp": MLP_HEAD + MLP_ADA, "norm": NORM_HEAD + NORM_ADA},
    "ben": {"mlp": MLP_HEAD + MLP_BEN, "norm": NORM_HEAD + NORM_BEN},
    "cat": {"mlp": MLP_HEAD + MLP_CAT, "norm": NORM_STARTER},
    "dan": {"mlp": MLP_HEAD + MLP_DAN},
    "eve": {"mlp": MLP_HEAD + MLP_EVE, "norm": NORM_HEAD + NORM_EVE},
    "fay": {"mlp": MLP_HEAD + MLP_FAY, "norm": NORM_HEAD + NORM_FAY},
    "gus": {"mlp": MLP_HEAD + MLP_GUS, "norm": NORM_HEAD + NORM_GUS},
    "hal": {"mlp": MLP_STARTER, "norm": NORM_STARTER},
}
"""Who handed in what: dan has no norm file, cat and hal handed a starter in untouched."""
PLANTED = {
    "mlp": {frozenset(p) for p in combinations(("eve", "fay", "gus"), 2)},
    "norm": {frozenset(("ada", "ben"))},
}
STARTERS = {"mlp": MLP_STARTER, "norm": NORM_STARTER}
HOSTILE = '</script><script>alert(1)</script><img src=x onerror="alert(2)"> & <b>bold</b>'


def _graded(folder: Path, files: dict[str, dict[str, str]] = FILES) -> Path:
    """A folder as ``katas grade`` leaves it: results, feedback, handed-in files, starters."""
    assignment = AssignmentInfo(
        id="week-2",
        title="Week <2>",
        katas=(
            KataColumn(id="mlp", title="Train an MLP", points=1.0, fingerprint="m"),
            KataColumn(id="norm", title="Normalise", points=1.0, fingerprint="n"),
        ),
    )
    rows = []
    for learner, handed in files.items():
        katas = tuple(
            KataResult(
                kata_id=kata,
                status=GradeStatus.PASSED if kata in handed else GradeStatus.MISSING,
                points=1.0 if kata in handed else 0.0,
                max_points=1.0,
                summary="",
            )
            for kata in ("mlp", "norm")
        )
        rows.append(
            LearnerResult(
                learner=learner,
                archive=f"{learner}.zip",
                archive_sha256="0" * 64,
                katas=katas,
                feedback=f"feedback/{learner}.md",
            )
        )
    results = BatchResults(assignment=assignment, device="cpu", learners=tuple(rows))
    write_outputs(
        folder,
        results,
        dict.fromkeys(files, "feedback\n"),
        {learner: {k: v.encode() for k, v in handed.items()} for learner, handed in files.items()},
        {kata: text.encode() for kata, text in STARTERS.items()},
    )
    return folder


def _names(pair: Pair) -> frozenset[str]:
    return frozenset((pair.a.learner, pair.b.learner))


def test_every_planted_pair_ranks_above_every_independent_pair(tmp_path: Path) -> None:
    report = similarity(_graded(tmp_path / "graded"))
    assert [k.kata_id for k in report.katas] == ["mlp", "norm"]
    for kata in report.katas:
        planted = [p for p in kata.pairs if _names(p) in PLANTED[kata.kata_id]]
        others = [p for p in kata.pairs if _names(p) not in PLANTED[kata.kata_id]]
        assert len(planted) == len(PLANTED[kata.kata_id])
        assert kata.pairs[: len(planted)] == tuple(planted), kata.kata_id
        assert min(p.score for p in planted) >= 0.8, kata.kata_id
        assert max(p.score for p in others) < min(p.score for p in planted)
        for pair in planted:  # the matched code is where the solutions are, not the starter
            assert pair.a.lines and pair.b.lines
            head_lines = (MLP_HEAD if kata.kata_id == "mlp" else NORM_HEAD).count("\n")
            assert all(span.last > head_lines for span in pair.a.lines + pair.b.lines)


def test_untouched_starters_and_missing_files_are_left_out(tmp_path: Path) -> None:
    mlp, norm = similarity(_graded(tmp_path / "graded")).katas
    assert "hal" not in mlp.code and "cat" in mlp.code
    assert set(norm.code) == {"ada", "ben", "eve", "fay", "gus"}
    assert len(norm.pairs) == 10 and mlp.starter and norm.starter


def test_the_starter_does_not_make_two_learners_similar() -> None:
    """Two learners who each add one different line to a large starter share nothing."""
    starter = MLP_STARTER.encode()
    first = (MLP_STARTER + "\n\nSEED = torch.manual_seed(1234)\n").encode()
    second = (MLP_STARTER + "\n\ndef twice(values):\n    return [v * 2 for v in values]\n").encode()
    files = {"ann": first, "bob": second}
    (pair,) = compare_kata("mlp", "MLP", files, starter).pairs
    assert pair.score < 0.1
    assert pair.a.lines == () and pair.b.lines == ()
    (undiscounted,) = compare_kata("mlp", "MLP", files, None).pairs
    assert undiscounted.score > 0.8  # what the discount takes away
    report = SimilarityReport("a", "A", (compare_kata("mlp", "MLP", files, starter),))
    assert "No two files share code beyond the starter." in html_page(report)


def test_a_fix_most_of_a_large_class_shares_is_common_not_evidence() -> None:
    """Code in more than ``common`` files (the kata's one obvious fix) is discounted too."""
    starter = NORM_STARTER.encode()
    fixed = NORM_STARTER.replace(
        "    raise NotImplementedError\n\n\ndef denormalise(z, mean, std):\n    raise",
        "    mean = x.mean(0)\n    std = (x.var(0, unbiased=False) + eps).sqrt()\n"
        "    return (x - mean) / std, mean, std\n\n\ndef denormalise(z, mean, std):\n    raise",
    )
    files = {f"l{i:02}": fixed.encode() for i in range(12)}
    files["x"] = (fixed + EXTRA_X).encode()
    files["y"] = (fixed + EXTRA_Y).encode()
    kata = compare_kata("norm", "Normalise", files, starter)
    top, runner_up = kata.pairs[:2]
    assert _names(top) == {"x", "y"} and top.score > 0.5
    assert runner_up.score < 0.1
    everyone = compare_kata("norm", "Normalise", files, starter, common=100)
    assert all(p.score > 0.9 for p in everyone.pairs if _names(p) != {"x", "y"})


def test_highlights_are_whole_lines_of_both_files() -> None:
    kata = compare_kata(
        "mlp",
        "MLP",
        {"eve": (MLP_HEAD + MLP_EVE).encode(), "fay": (MLP_HEAD + MLP_FAY).encode()},
        MLP_STARTER.encode(),
    )
    (pair,) = kata.pairs
    for side in (pair.a, pair.b):
        lines = kata.code[side.learner].split("\n")
        for span in side.lines:
            assert 1 <= span.first <= span.last <= len(lines)
        hit = {n for s in side.lines for n in range(s.first, s.last + 1)}
        assert any("cross_entropy" in lines[n - 1] for n in hit)
        assert not any("class MLP" in lines[n - 1] for n in hit)


GATED = """class ResidualBlockWithGate(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.inner = nn.Linear(width, width)
        self.gate = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        return x + torch.sigmoid(self.gate) * torch.tanh(self.inner(x))
"""


def test_highlights_land_on_the_lines_after_blank_lines_crlf_and_a_class() -> None:
    """copydetect 0.5 alone shifts these: its lexer drops leading newlines, and a class name
    is mapped back by its length."""
    renamed = GATED.replace("ResidualBlockWithGate", "G").replace("inner", "lin")
    renamed = renamed.replace("gate", "g").replace("width", "w")
    first = "\n\n\n# notes\nimport torch\nfrom torch import nn\n\nVALUE = [1, 2, 3]\n\n\n" + GATED
    second = (
        "import torch\nfrom torch import nn\n\n" + renamed + "\n\ndef f(items):\n    return 1\n"
    )
    files = {"a": first.encode(), "b": second.replace("\n", "\r\n").encode()}
    kata = compare_kata("k", "K", files, None)
    (pair,) = kata.pairs
    assert pair.score > 0.9
    for side, copied in ((pair.a, GATED), (pair.b, renamed)):
        lines = kata.code[side.learner].split("\n")
        hit = {lines[n - 1] for s in side.lines for n in range(s.first, s.last + 1)}
        assert hit == {"import torch", "from torch import nn", *copied.split("\n")}


class _Tags(HTMLParser):
    """Every element and attribute of a page, and its text, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_shows_hostile_code_as_text(tmp_path: Path) -> None:
    hostile = dict(FILES)
    evil = MLP_HEAD + MLP_EVE + f"\n# {HOSTILE}\nNOTE = {HOSTILE!r}\n"
    hostile["eve"] = {"mlp": evil}
    hostile["<img src=x onerror=alert(3)>"] = {"mlp": evil.replace("_clip", "_cut")}
    page = html_page(similarity(_graded(tmp_path / "graded", hostile)))
    parsed = _Tags()
    parsed.feed(page)
    assert parsed.tags <= {
        *("html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p"),
        *("table", "thead", "tbody", "tr", "th", "td", "a", "div", "pre", "span", "strong"),
    }
    assert parsed.attributes <= {"lang", "charset", "name", "content", "href", "id", "class"}
    text = "".join(parsed.text)
    assert HOSTILE in text and "<img src=x onerror=alert(3)>" in text and "Week <2>" in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert len(re.findall(r'class="line hit"', page)) > 10


def test_top_limits_the_pairs_on_the_page(tmp_path: Path) -> None:
    report = similarity(_graded(tmp_path / "graded"))
    page = html_page(report, top=2)
    assert page.count('<div class="pair">') == 4
    assert 'id="k0-p1"' in page and 'id="k0-p3"' not in page


def test_the_command_prints_tables_and_writes_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _graded(tmp_path / "graded")
    assert main(["similarity", str(folder), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "mlp: Train an MLP" in out and "norm: Normalise" in out
    assert re.search(r"\b1\b.*\bada\b.*\bben\b", out)
    page = (folder / "similarity.html").read_text(encoding="utf-8")
    assert page.count('<div class="pair">') == 3 + 2  # norm: the others share nothing
    elsewhere = tmp_path / "out" / "page.html"
    elsewhere.parent.mkdir()
    assert main(["similarity", str(folder), "--html", str(elsewhere)]) == 0
    assert elsewhere.is_file()


@pytest.mark.parametrize("argv", [["--top", "0"], ["--common", "1"]])
def test_bad_options_are_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # a wide terminal: the error is one line, unwrapped
    folder = _graded(tmp_path / "graded")
    assert main(["similarity", str(folder), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1


def test_a_folder_without_results_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    assert main(["similarity", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error:") and "no graded batch here" in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""
    assert not (tmp_path / "similarity.html").exists()


def test_a_kata_with_one_file_has_no_pairs() -> None:
    kata: KataSimilarity = compare_kata("norm", "N", {"ada": b"x = 1\n"}, None)
    assert kata.pairs == () and set(kata.code) == {"ada"}
