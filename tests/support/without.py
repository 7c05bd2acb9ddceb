"""Python code run in a fresh interpreter where some packages cannot be
imported (a meta-path finder refusing them, as if not installed): what a user
without the extra ``ytlite[extract]`` meets."""

from __future__ import annotations

import subprocess
import sys

from support.paths import ROOT

BLOCKER = '''
import sys
class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NotInstalled())
'''


def run_without(blocked: tuple[str, ...], code: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """``python -c code`` (in the repository, so ``ytlite`` is this checkout's) with
    the top-level packages ``blocked`` not importable."""
    return subprocess.run([sys.executable, "-c", BLOCKER.format(blocked=set(blocked)) + code], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout)
