"""WRONG: takes torch.func.grad of the whole batch's mean loss and copies it to every row: the
shapes are right, but the per-example differences were averaged away before anything could
see them.
Caught by: row i is the gradient of example i's loss alone."""

import torch.nn.functional as F
from torch.func import functional_call, grad


def per_sample_grads(model, x, labels):
    params = {name: p.detach() for name, p in model.named_parameters()}

    def batch_loss(params):
        return F.cross_entropy(functional_call(model, params, (x,)), labels)

    grads = grad(batch_loss)(params)
    return {name: g.expand(len(x), *g.shape) for name, g in grads.items()}
