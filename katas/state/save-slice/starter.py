"""Save the first rows of a large tensor as a small test fixture."""

from pathlib import Path

import torch


def save_rows(x: torch.Tensor, n: int, path: str) -> None:
    """Write the first ``n`` rows of ``x`` to ``path``, for ``torch.load``."""
    # TODO: the file for 3 rows is as large as the whole of x.
    torch.save(x[:n], path)


if __name__ == "__main__":
    table = torch.randn(1000, 1000)
    for n in (3, 300):
        save_rows(table, n, "rows.pt")
        rows_kb = table[:n].nbytes / 1024
        size_kb = Path("rows.pt").stat().st_size / 1024
        print(f"{n} rows: {rows_kb:.0f} KiB of data, file {size_kb:.0f} KiB")
