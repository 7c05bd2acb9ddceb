"""The plumbing every build step shares: one logger, one command runner, one
cached folder made completely or not at all."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Callable

Log = Callable[[str], None]

#: marks a cached folder as complete (written last, before the rename)
COMPLETE = ".complete"


def printer(prefix: str) -> Log:
    """A logger printing ``[prefix] message`` at once (CI logs stay in order)."""
    return lambda msg: print(f"[{prefix}] {msg}", flush=True)


class step:
    """``with step("doing x", log):`` logs the step and how long it took."""

    def __init__(self, what: str, log: Log):
        self.what, self.log = what, log

    def __enter__(self):
        self.log(f"{self.what} ...")
        self.t0 = time.perf_counter()

    def __exit__(self, exc_type, exc, tb):
        self.log(f"{self.what}: {'done' if exc is None else 'FAILED'} in {time.perf_counter() - self.t0:.1f} s")


class CommandFailed(RuntimeError):
    pass


def run(cmd, log: Log | None = None, *, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` (any path-like items). With ``log``, the command is logged,
    its output captured and, when it fails, the last 8000 characters of it
    logged before :class:`CommandFailed`; without, its output streams."""
    cmd = [str(c) for c in cmd]
    if log is None:
        return subprocess.run(cmd, check=check, **kwargs)
    log("$ " + " ".join(cmd))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)
    if check and proc.returncode != 0:
        log(proc.stdout[-8000:])
        raise CommandFailed(f"command failed ({proc.returncode}): {' '.join(cmd[:4])} ...")
    return proc


def cached_dir(folder: Path, make: Callable[[Path], None], *, keep: int | None = None) -> Path:
    """``folder``, made by ``make(tmp)`` into a temporary folder beside it and
    renamed into place once complete, unless a complete one is there already
    (then only its time is touched: most recently used). A failed or
    interrupted ``make`` leaves nothing behind. ``keep``: of the complete
    folders beside it, keep only that many, the most recently used."""
    folder = Path(folder)
    if (folder / COMPLETE).is_file():
        os.utime(folder)
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        make(tmp)
        (tmp / COMPLETE).write_text(str(time.time()) + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if keep is not None:
        done = [p for p in folder.parent.iterdir() if p != folder and (p / COMPLETE).is_file()]
        for old in sorted(done, key=lambda p: p.stat().st_mtime, reverse=True)[max(keep - 1, 0):]:
            shutil.rmtree(old, ignore_errors=True)
    return folder
