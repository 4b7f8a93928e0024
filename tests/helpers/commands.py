"""Commands of the project run to completion, as an operator would start them, for tests of how they start
or refuse to start."""

import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from chain.paths import PROJECT_ROOT


def run_in_project(
    argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 60, text: bool = True
) -> "subprocess.CompletedProcess[Any]":
    """Run `argv` from the project root with exactly `env`, its output captured (as text unless `text` is
    off); the exit status is the caller's to check."""
    return subprocess.run(
        argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=text, timeout=timeout, check=False
    )
