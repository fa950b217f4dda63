"""WRONG: right per-sample gradients, but a reflexive model.zero_grad() first throws away the
gradient the training loop had accumulated in .grad.
Caught by: the model's parameters and .grad are left as they were."""

import torch.nn.functional as F
from torch.func import functional_call, grad, vmap


def per_sample_grads(model, x, labels):
    model.zero_grad()
    params = {name: p.detach() for name, p in model.named_parameters()}

    def loss_of_one(params, xi, yi):
        return F.cross_entropy(functional_call(model, params, (xi[None],)), yi[None])

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, labels)
