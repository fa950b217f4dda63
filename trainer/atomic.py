"""Crash-safe file writes, so a learner's file or state is either old or new, never half.

Both helpers write a temp file in the target's folder (same filesystem, so the final rename is
atomic), fsync it, then publish it with one rename and fsync the folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "fsync_dir", "write_new"]


def _temp_with(folder: Path, name: str, data: bytes) -> Path:
    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    path = Path(temp)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; on any failure the old file is untouched."""
    temp = _temp_with(path.parent, path.name, data)
    try:
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_new(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` only if it does not exist; return whether we created it.

    Publishing with a hard link fails instead of overwriting, so a file that appears between
    our check and our write (an editor saving) is kept, not clobbered.
    """
    temp = _temp_with(path.parent, path.name, data)
    try:
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network or FAT filesystems)
            if path.exists():
                return False
            temp.replace(path)
            fsync_dir(path.parent)
            return True
        fsync_dir(path.parent)
        return True
    finally:
        temp.unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable; filesystems that cannot fsync a folder are fine without it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
