"""WRONG: switches the model to eval mode "to get clean gradients" and never switches it back:
the values are right here, but the training loop goes on with dropout (and any other
train-mode behaviour) turned off.
Caught by: the model's parameters and .grad are left as they were (and so is its mode)."""

import torch.nn.functional as F
from torch.func import functional_call, grad, vmap


def per_sample_grads(model, x, labels):
    model.eval()
    params = {name: p.detach() for name, p in model.named_parameters()}

    def loss_of_one(params, xi, yi):
        logits = functional_call(model, params, (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, labels)
