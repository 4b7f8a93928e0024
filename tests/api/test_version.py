"""/version and the build information behind it."""

import subprocess
from importlib.metadata import PackageNotFoundError
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web3 import Web3

from api.version import service as version_service
from api.version.service import git_commit, package_version
from chain.paths import PROJECT_ROOT


def _head_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def test_version_reports_package_commit_and_reachable_chains(client: TestClient, l1_in_process: Web3):
    body = client.get("/version").json()
    assert body == {
        "name": "tpwallet",
        "version": package_version(PROJECT_ROOT),
        "git_commit": _head_commit(),
        "chain_ids": {"l1": str(l1_in_process.eth.chain_id), "l2": None},
    }
    assert body["version"] is not None


def test_git_commit_follows_loose_and_packed_refs_and_detached_heads(tmp_path: Path):
    git_dir = tmp_path / ".git"
    (git_dir / "refs" / "heads").mkdir(parents=True)
    loose, packed, detached = "a" * 40, "b" * 40, "c" * 40

    (git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    (git_dir / "refs" / "heads" / "main").write_text(loose + "\n")
    assert git_commit(tmp_path) == loose

    (git_dir / "HEAD").write_text("ref: refs/heads/release\n")
    (git_dir / "packed-refs").write_text(
        f"# pack-refs with: peeled fully-peeled sorted\n{packed} refs/heads/release\n"
    )
    assert git_commit(tmp_path) == packed

    (git_dir / "HEAD").write_text(detached + "\n")
    assert git_commit(tmp_path) == detached


def test_git_commit_is_none_outside_a_checkout_or_for_an_unborn_branch(tmp_path: Path):
    assert git_commit(tmp_path) is None
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert git_commit(tmp_path) is None


def test_package_version_falls_back_to_pyproject_when_not_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    def not_installed(name: str) -> str:
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version_service, "version", not_installed)
    assert package_version(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "tpwallet"\nversion = "9.8.7"\n')
    assert package_version(tmp_path) == "9.8.7"
