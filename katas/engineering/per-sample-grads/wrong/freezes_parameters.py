"""WRONG: to keep the per-sample gradients free of any graph, turns off requires_grad on the
model's own parameters and hands those to torch.func: the values are right and nothing is
attached, but the model is left frozen, so the training loop's backward() no longer reaches
a single parameter.
Caught by: the model's parameters and .grad are left as they were (and so is its mode)."""

import torch.nn.functional as F
from torch.func import functional_call, grad, vmap


def per_sample_grads(model, x, labels):
    model.requires_grad_(False)
    params = dict(model.named_parameters())

    def loss_of_one(params, xi, yi):
        logits = functional_call(model, params, (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, labels)
