"""Fixtures shared by the contract tests: role-named accounts and the deployed test harnesses."""

from typing import Any

import pytest


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    """The account that deploys contracts; it holds no role in them unless a test grants one."""
    return accounts[0]


@pytest.fixture(scope="session")
def schnorr_harness(project: Any, deployer: Any) -> Any:
    """`contracts/testing/SchnorrHarness.vy`: the schnorr module's functions as external calls."""
    return project.SchnorrHarness.deploy(sender=deployer)
