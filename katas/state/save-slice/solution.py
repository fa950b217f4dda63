"""Save the first rows of a large tensor as a small test fixture."""

from pathlib import Path

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    """Write the first ``n`` rows of ``x`` to ``path``, for ``torch.load``."""
    # x[:n] is a view: torch.save would write the whole storage it looks into. clone()
    # copies just these rows into a storage of their own.
    torch.save(x[:n].clone(), path)


if __name__ == "__main__":
    table = torch.randn(1000, 1000)
    for n in (3, 300):
        save_rows(table, n, "rows.pt")
        rows_kb = table[:n].nbytes / 1024
        size_kb = Path("rows.pt").stat().st_size / 1024
        print(f"{n} rows: {rows_kb:.0f} KiB of data, file {size_kb:.0f} KiB")
