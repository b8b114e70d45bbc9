"""Mounts for tests of a lake on a read-only share or a full disk: the real thing where the test may mount.

``read_only_view(folder)`` shows a folder read-only at another path (a read-only bind mount, as a lake published on a
read-only share is seen); ``small_disk(size)`` is a tmpfs of a few megabytes that fills up like a real disk. Both
need the right to mount (root with CAP_SYS_ADMIN, as in CI here); elsewhere ``can_mount()`` is false and the tests
that need a mount skip, while the ones that simulate ``ENOSPC`` still run. As root, ``chmod -R a-w`` stops nothing,
so only a read-only mount makes a lake truly read-only.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _umount(target: Path) -> None:
    subprocess.run(["umount", "--lazy", str(target)], check=False, capture_output=True)


@cache
def can_mount() -> bool:
    """Whether this process may mount a tmpfs (tried once, on a scratch folder)."""
    if os.geteuid() != 0:
        return False
    probe = Path(f"/tmp/.lds-mount-probe-{uuid.uuid4().hex}")
    probe.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe))
    except (OSError, subprocess.CalledProcessError):
        return False
    else:
        _umount(probe)
        return True
    finally:
        probe.rmdir()


def require_mount() -> None:
    if not can_mount():
        pytest.skip("this machine does not let the tests mount (needs root with CAP_SYS_ADMIN)")


@contextmanager
def read_only_view(folder: Path, target: Path) -> Iterator[Path]:
    """folder, seen read-only at target (created): every write through target fails with EROFS."""
    require_mount()
    target.mkdir(parents=True)
    _mount("--bind", str(folder), str(target))
    try:
        _mount("-o", "remount,ro,bind", str(target))
        yield target
    finally:
        _umount(target)
        target.rmdir()


@contextmanager
def small_disk(target: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of the given size mounted at target (created): writes past it fail with ENOSPC."""
    require_mount()
    target.mkdir(parents=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target))
    try:
        yield target
    finally:
        _umount(target)
        target.rmdir()
