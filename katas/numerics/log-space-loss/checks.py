"""Hidden checks for log-space-loss: ``training_loss(model, x, y)`` is the exact mean negative
log-likelihood even for confident logits, and ``Classifier`` still serves probabilities."""

from typing import Any

import torch
import torch.nn.functional as F

from trainer.checks import Remote, assert_close, plain

N_IN, N_CLASSES = 5, 7
# (batch, largest gap between two logits of a row)
CASES = [(6, 3.0), (1, 60.0), (6, 500.0), (4, 1000.0)]
LOGITS = (
    "Compute the loss from the logits with F.cross_entropy(model.linear(x), y), which works "
    "in log space"
)


def _problem(batch: int, spread: float, device: torch.device) -> dict[str, torch.Tensor]:
    """Weights whose logits differ by up to ``spread`` within a row, inputs, and labels: half
    the rows labelled with their least likely class (the largest loss), the others random."""
    x = torch.randn(batch, N_IN)
    weight = torch.randn(N_CLASSES, N_IN)
    bias = torch.randn(N_CLASSES) * 0.5
    logits = F.linear(x, weight, bias)
    scale = spread / float((logits.amax(1) - logits.amin(1)).max())
    weight, bias = weight * scale, bias * scale
    logits = F.linear(x, weight, bias)
    y = torch.randint(0, N_CLASSES, (batch,))
    y[::2] = logits[::2].argmin(1)
    return {
        name: value.to(device)
        for name, value in (("x", x), ("weight", weight), ("bias", bias), ("y", y))
    }


def _model(learner: Any, remote: Remote, problem: dict[str, torch.Tensor]) -> Any:
    """Classifier(N_IN, N_CLASSES) with the problem's weights, on the problem's device."""
    model = learner.Classifier(N_IN, N_CLASSES).to(problem["x"].device)
    with remote.torch.no_grad():
        model.linear.weight.copy_(problem["weight"])
        model.linear.bias.copy_(problem["bias"])
    return model


def _reference(problem: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The loss and its gradients, in float64 from the same float32 weights."""
    weight = problem["weight"].double().requires_grad_()
    bias = problem["bias"].double().requires_grad_()
    logits = F.linear(problem["x"].double(), weight, bias)
    loss = (torch.logsumexp(logits, 1) - logits.gather(1, problem["y"][:, None])[:, 0]).mean()
    loss.backward()
    assert weight.grad is not None and bias.grad is not None
    return {"loss": loss.detach().float(), "weight": weight.grad.float(), "bias": bias.grad.float()}


def _describe(batch: int, spread: float) -> str:
    return (
        f"a batch of {batch}, {N_CLASSES} classes, logits up to {spread:g} apart, the least "
        "likely class as label in every other row"
    )


def _loss_hint(got: torch.Tensor, problem: dict[str, torch.Tensor]) -> str:
    """Names the formula the learner's loss matches, if it is one of the known patches."""
    if not bool(got.isfinite().all()):
        return (
            "Softmax gives exactly 0 for a class whose logit is more than about 104 below the "
            f"largest in float32 (745 in float64), and log(0) = -inf. {LOGITS}"
        )
    logits = F.linear(problem["x"], problem["weight"], problem["bias"])
    y = problem["y"]
    probs = torch.softmax(logits, 1)
    patterns = [
        (
            F.nll_loss(torch.log(probs + 1e-8), y),
            "It matches nll_loss(log(softmax + 1e-8)): an epsilon inside the log caps every "
            "loss at -log(eps), 18.4, and gives no gradient past it",
        ),
        (
            F.cross_entropy(probs, y),
            "It matches cross_entropy(probabilities, y): cross_entropy applies log_softmax "
            "itself, so on probabilities (all between 0 and 1) it squashes every loss into a "
            "narrow band",
        ),
        (
            F.nll_loss(logits, y),
            "It matches nll_loss(logits, y): nll_loss expects log-probabilities, and raw logits "
            "skip the normalisation (the logsumexp)",
        ),
    ]
    for value, why in patterns:
        if torch.allclose(got.reshape(()), value, rtol=1e-4, atol=1e-4):
            return f"{why}. {LOGITS}"
    return LOGITS


def test_loss(learner: Any, remote: Remote, device: torch.device) -> None:
    """training_loss is the exact mean negative log-likelihood, for logit gaps up to 1000"""
    torch.manual_seed(0)
    for batch, spread in CASES:
        problem = _problem(batch, spread, device)
        model = _model(learner, remote, problem)
        got = plain(learner.training_loss(model, problem["x"], problem["y"]), "training_loss")
        expected = _reference(problem)["loss"].to(device)
        if got.dtype == torch.float64:
            raise AssertionError(
                f"training_loss(model, x, y) returned a float64 loss for a float32 model "
                f"({_describe(batch, spread)}): computing softmax in float64 only moves the "
                f"underflow from a logit gap of about 104 to about 745. {LOGITS}"
            )
        assert_close(
            got,
            expected,
            what="training_loss(model, x, y)",
            inputs=_describe(batch, spread),
            rtol=1e-5,
            atol=1e-5,
            hint=_loss_hint(got, problem) if got.shape == expected.shape else "",
        )


def test_gradients(learner: Any, remote: Remote, device: torch.device) -> None:
    """the gradients of the loss for the weight and bias are finite and exact"""
    torch.manual_seed(1)
    for batch, spread in CASES:
        problem = _problem(batch, spread, device)
        model = _model(learner, remote, problem)
        loss = learner.training_loss(model, problem["x"], problem["y"])
        try:
            loss.backward()
        except RuntimeError as exc:
            raise AssertionError(
                f"training_loss(model, x, y).backward() raised ({_describe(batch, spread)}): "
                f"{str(exc).splitlines()[0]}. The loss must depend on the model's weights"
            ) from None
        reference = _reference(problem)
        weight_grad, bias_grad = remote.fetch(
            "(model.linear.weight.grad, model.linear.bias.grad)", model=model
        )
        for name, grad in (("weight", weight_grad), ("bias", bias_grad)):
            assert grad is not None, (
                f"model.linear.{name}.grad is None after training_loss(model, x, y).backward() "
                f"({_describe(batch, spread)}): the loss does not reach the layer"
            )
            grad = plain(grad, f"model.linear.{name}.grad")
            finite = bool(grad.isfinite().all())
            assert_close(
                grad,
                reference[name].to(device),
                what=f"model.linear.{name}.grad",
                inputs=_describe(batch, spread),
                rtol=1e-4,
                atol=1e-5,
                hint="log(0) = -inf in the forward pass gives 0 * inf = NaN in the backward "
                f"pass, and one NaN gradient ruins every weight at the next step. {LOGITS}"
                if not finite
                else "The gradient of the mean cross-entropy for the logits is "
                f"(softmax(logits) - onehot(y)) / batch. {LOGITS}",
            )


def test_probabilities(learner: Any, remote: Remote, device: torch.device) -> None:
    """Classifier(n_in, n_classes)(x) still returns probabilities, softmax(logits)"""
    torch.manual_seed(2)
    for batch, spread in ((3, 8.0), (1, 300.0)):
        problem = _problem(batch, spread, device)
        model = _model(learner, remote, problem)
        got = plain(model(problem["x"]), f"Classifier({N_IN}, {N_CLASSES})(x)")
        logits = F.linear(problem["x"], problem["weight"], problem["bias"])
        hint = ""
        if got.shape == logits.shape and bool((got < 0).any()):
            hint = (
                "These look like log-probabilities or logits. The serving code shows "
                "probabilities to users: keep forward returning softmax(logits), and compute "
                "the training loss from model.linear(x) instead"
            )
        assert_close(
            got,
            torch.softmax(logits, 1),
            what=f"Classifier({N_IN}, {N_CLASSES})(x)",
            inputs=f"x of shape {tuple(problem['x'].shape)}, logits up to {spread:g} apart",
            rtol=1e-4,
            atol=1e-6,
            hint=hint,
        )
