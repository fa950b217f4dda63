"""WRONG: a loop of backward() calls that reads each example's gradient out of .grad: it wipes
the gradient the training loop had accumulated (and runs the model N times).
Caught by: the model's parameters and .grad are left as they were."""

import torch


def per_sample_grads(model, x, labels):
    rows = {name: [] for name, _ in model.named_parameters()}
    for i in range(len(x)):
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x[i : i + 1]), labels[i : i + 1]).backward()
        for name, p in model.named_parameters():
            rows[name].append(p.grad.clone())
    model.zero_grad()
    return {name: torch.stack(row) for name, row in rows.items()}
