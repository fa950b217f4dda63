"""RMSNorm, the normalisation layer of LLaMA-style transformers."""

import torch
from torch import nn


class RMSNorm(nn.Module):
    """Scales each vector along the last dim to unit root mean square, then by a learned gain."""

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # float32 at least for the statistic: in float16, x**2 overflows above 256
        wide = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
        # no mean subtraction (that would be LayerNorm); eps inside the square root
        mean_square = wide.pow(2).mean(dim=-1, keepdim=True)
        normed = wide * torch.rsqrt(mean_square + self.eps)
        return (normed * self.weight.to(wide.dtype)).to(x.dtype)


if __name__ == "__main__":
    import torch.nn.functional as F

    norm = RMSNorm(4, eps=1e-2)
    small = torch.tensor([[0.05, -0.1, 0.2, 0.15]])
    print("yours:      ", norm(small))
    print("F.rms_norm: ", F.rms_norm(small, (4,), norm.weight, 1e-2))
    large = torch.tensor([[300.0, -500.0, 20.0, 900.0]], dtype=torch.float16)
    print("float16:    ", norm.half()(large), "(expected about [0.56, -0.93, 0.037, 1.68])")
