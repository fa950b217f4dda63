"""AdamW parameter groups: weight decay on the weight matrices, none on biases and norm gains."""

import torch
from torch import nn


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Parameter groups for torch.optim.AdamW: decay the weights that have 2 or more dims,
    and nothing else."""
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        # TODO: norm gains are decayed, and the no-decay group is decayed anyway.
        if "bias" in name:
            no_decay.append(param)
        else:
            decay.append(param)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay}]


class TinyLM(nn.Module):
    """A one-block language model whose output head shares the embedding's weight."""

    def __init__(self, vocab: int = 50, dim: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.ln_1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.ln_f = nn.RMSNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight  # tied: one Parameter, used twice

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens)
        h = h + self.mlp(self.ln_1(h))
        return self.head(self.ln_f(h))


if __name__ == "__main__":
    model = TinyLM()
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay=0.1), lr=1e-3)
    for name, param in model.named_parameters():
        group = next(g for g in optimizer.param_groups if any(p is param for p in g["params"]))
        print(f"{name:14} {param.ndim} dims  weight_decay={group['weight_decay']}")
