"""A multi-task network: a shared trunk of Linear layers, then one Linear head per task."""

from collections.abc import Mapping, Sequence
from itertools import pairwise

import torch
from torch import nn


class Net(nn.Module):
    """``sizes`` are the trunk widths; ``heads`` maps each task name to its output width."""

    def __init__(self, sizes: Sequence[int], heads: Mapping[str, int]) -> None:
        super().__init__()
        # TODO: the optimizer, .to(), .eval() and state_dict() never see these modules.
        self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes)]
        self.heads = {name: nn.Linear(sizes[-1], n_out) for name, n_out in heads.items()}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        for layer in self.layers:
            x = torch.relu(layer(x))
        return {name: head(x) for name, head in self.heads.items()}


if __name__ == "__main__":
    net = Net([16, 32, 8], {"cls": 10, "box": 4})
    print("parameter tensors:", len(list(net.parameters())))
