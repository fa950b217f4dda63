"""Self-attention for a decoder-only language model trained on right-padded batches."""

import torch
import torch.nn.functional as F


def attend(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, lengths: torch.Tensor
) -> torch.Tensor:
    """Attention of q (B, H, T, D) over k (B, H, T, D) and v (B, H, T, Dv).

    lengths (B,) holds how many real tokens each sequence has; the positions after them
    are padding.
    """
    T = q.shape[-2]
    # real_key[b, j] is True where key j is a real token of sequence b
    real_key = torch.arange(T, device=q.device) < lengths[:, None]
    # causal[i, j] is True where query i may see key j: j <= i (True means "attend" in SDPA)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    mask = causal & real_key[:, None, None, :]  # (T, T) & (B, 1, 1, T) -> (B, 1, T, T)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


if __name__ == "__main__":
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 1, 4, 8) for _ in range(3))
    lengths = torch.tensor([4])
    before = attend(q, k, v, lengths)[0, 0, 0]
    k[..., 3, :] += 5.0  # change the last token only
    v[..., 3, :] += 5.0
    after = attend(q, k, v, lengths)[0, 0, 0]
    print("token 0's output moved by", (after - before).abs().max().item(), "(should be 0)")
