"""Second solution for balanced-sampler: a two-step draw, without weights. Each draw picks a
class uniformly, then a sample of that class uniformly, both from the generator."""

import torch
from torch.utils.data import Sampler


class ClassThenSample(Sampler[int]):
    def __init__(self, labels, num_samples, generator):
        self.members = [(labels == c).nonzero().flatten() for c in labels.unique()]
        self.num_samples = num_samples
        self.generator = generator

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        g = self.generator
        classes = torch.randint(len(self.members), (self.num_samples,), generator=g)
        picks = torch.rand(self.num_samples, dtype=torch.float64, generator=g)
        indices = []
        for c, members in enumerate(self.members):
            chosen = classes == c
            positions = (picks[chosen] * len(members)).long().clamp(max=len(members) - 1)
            indices.append((chosen.nonzero().flatten(), members[positions]))
        order = torch.empty(self.num_samples, dtype=torch.int64)
        for where, drawn in indices:
            order[where] = drawn
        return iter(order.tolist())


def balanced_sampler(labels, num_samples, generator):
    return ClassThenSample(labels, num_samples, generator)
