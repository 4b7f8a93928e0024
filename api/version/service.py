"""What is running: the package version and the git commit of the source tree, read once at start.

The commit is read from `.git` files directly (HEAD, then the ref it names, loose or packed), so no git
process runs and a checkout without git installed still reports it; an installed wheel reports none.
"""

import re
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DISTRIBUTION_NAME = "tpwallet"
COMMIT_PATTERN = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


@dataclass(frozen=True)
class BuildInfo:
    """The package's name and version, and the commit it was built from when known."""

    name: str
    version: str | None
    git_commit: str | None


def package_version(project_root: Path) -> str | None:
    """The installed distribution's version, else the one `pyproject.toml` declares in a source checkout."""
    try:
        return version(DISTRIBUTION_NAME)
    except PackageNotFoundError:
        pyproject = project_root / "pyproject.toml"
        if not pyproject.is_file():
            return None
        declared = tomllib.loads(pyproject.read_text())["project"].get("version")
        return str(declared) if declared is not None else None


def _resolve_ref(git_dir: Path, ref: str) -> str | None:
    loose = git_dir / ref
    if loose.is_file():
        return loose.read_text().strip()
    packed = git_dir / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            commit, _, name = line.partition(" ")
            if name == ref:
                return commit
    return None


def git_commit(project_root: Path) -> str | None:
    """The commit checked out in `project_root`, or None when it is not a git work tree."""
    head_file = project_root / ".git" / "HEAD"
    if not head_file.is_file():
        return None
    head = head_file.read_text().strip()
    commit = _resolve_ref(head_file.parent, head.removeprefix("ref: ")) if head.startswith("ref: ") else head
    return commit if commit is not None and COMMIT_PATTERN.fullmatch(commit) else None


def read_build_info(project_root: Path) -> BuildInfo:
    """Everything `/version` reports that cannot change while the process runs."""
    return BuildInfo(
        name=DISTRIBUTION_NAME, version=package_version(project_root), git_commit=git_commit(project_root)
    )
