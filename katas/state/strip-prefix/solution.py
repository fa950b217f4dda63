"""Load a checkpoint from any training run: single-GPU, DistributedDataParallel or compiled."""

import torch
from torch import nn

# What DistributedDataParallel (its child `module`) and torch.compile (`_orig_mod`) add in
# front of every key when their own state_dict() is saved.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def load_weights(model: nn.Module, ckpt: dict[str, torch.Tensor]) -> None:
    """Load the state dict ``ckpt`` into ``model``, whichever kind of run saved it."""
    state = dict(ckpt)  # a new dict: the caller's keeps its keys
    for prefix in WRAPPER_PREFIXES:
        if state and all(key.startswith(prefix) for key in state):
            # removeprefix touches the start of the key only: `submodule.weight` is safe
            state = {key.removeprefix(prefix): value for key, value in state.items()}
    # strict (the default): a missing or unknown key is an error, not a silent no-op
    model.load_state_dict(state)


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
