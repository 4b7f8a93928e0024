"""scripts/allocate.py on Ape's local chain: a plan minted and granted once, however often it is run.

The script's `allocate` runs here inside the test's provider, with a deployments registry in a temporary
folder holding the test's TPW; `tests/devnet/test_allocate.py` runs the command itself against anvil.
"""

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chain.allocation import AllocationPlan, parse_plan
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.paths import PROJECT_ROOT
from chain.vesting import VestingEscrow

pytestmark = pytest.mark.chain

TPW = 10**18
PLAN = """\
name: allocate-test
total_supply: 1000
start: 2026-01-01
categories:
  team:
    percentage: 70
    kind: linear
    cliff: 365d
    duration: 1460d
    revocable: true
    beneficiaries:
      - address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
        share: 50
      - address: "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
        share: 50
  community:
    percentage: 30
    kind: tranche
    cliff: 0d
    period: 30d
    tranches: 12
    revocable: false
    beneficiaries:
      - address: "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
"""


def load_script() -> ModuleType:
    """scripts/allocate.py as a module (`ape run` loads it by path; scripts/ is no package)."""
    spec = importlib.util.spec_from_file_location("allocate_script", PROJECT_ROOT / "scripts" / "allocate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script()


@pytest.fixture(scope="module")
def allocator(accounts: Any) -> Any:
    """The account that runs the plan: a TPW minter holding no TPW yet."""
    return accounts[5]


@pytest.fixture
def plan() -> AllocationPlan:
    return parse_plan(PLAN, source="allocate-test.yaml")


@pytest.fixture
def deployments_dir(tmp_path: Path, tpw: Any, deployer: Any, allocator: Any, chain: Any) -> Path:
    """A registry for the `local` network that knows the test's TPW, of which `allocator` is a minter."""
    tpw.set_minter(allocator, True, sender=deployer)
    registry = Deployments.create("local", chain.chain_id, tmp_path)
    receipt = tpw.creation_metadata.receipt
    registry.record(
        "TPW",
        address=tpw.address,
        tx_hash=receipt.txn_hash,
        block_number=receipt.block_number,
        contract_type="Token",
    )
    registry.save()
    return tmp_path


def escrow_of(directory: Path, chain: Any) -> VestingEscrow:
    entry = Deployments.load("local", directory).get("VestingEscrow")
    return VestingEscrow(chain.provider.web3, entry.address, from_block=entry.block_number)


def test_a_run_deploys_the_escrow_mints_and_creates_every_grant(
    script: ModuleType, plan: AllocationPlan, deployments_dir: Path, tpw: Any, allocator: Any, chain: Any
) -> None:
    supply_before = tpw.totalSupply()
    created = script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir)

    escrow = escrow_of(deployments_dir, chain)
    assert escrow.contract.functions.admin().call() == allocator.address
    assert len(created) == len(plan.grants)
    assert tpw.totalSupply() == supply_before + 1_000 * TPW
    assert tpw.balanceOf(escrow.address) == 1_000 * TPW
    assert tpw.balanceOf(allocator) == 0
    for planned, grant_id in zip(plan.grants, created, strict=True):
        grant = escrow.grant(grant_id)
        assert grant is not None
        assert (grant.beneficiary, grant.amount, grant.schedule, grant.revocable) == (
            planned.beneficiary,
            planned.amount,
            planned.schedule,
            planned.revocable,
        )
    events = escrow.created_grants(references=[grant.reference for grant in plan.grants])
    assert [event.grant_id for event in events] == created


def test_a_second_run_creates_and_mints_nothing(
    script: ModuleType,
    plan: AllocationPlan,
    deployments_dir: Path,
    tpw: Any,
    allocator: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir)
    supply, nonce = tpw.totalSupply(), allocator.nonce
    assert script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir) == []
    assert (tpw.totalSupply(), allocator.nonce) == (supply, nonce)
    assert "0 grants to create" in capsys.readouterr().out


def test_a_run_cut_short_is_finished_without_minting_twice(
    script: ModuleType, plan: AllocationPlan, deployments_dir: Path, tpw: Any, allocator: Any, chain: Any
) -> None:
    """The first run minted everything but created one grant only (as if it died there)."""
    first_only = AllocationPlan(plan.name, plan.total_supply, plan.decimals, plan.grants[:1])
    script.allocate(first_only, "local", account=allocator, deployments_dir=deployments_dir)
    tpw.mint(allocator, plan.total_supply - plan.grants[0].amount, sender=allocator)  # the rest, minted too
    supply = tpw.totalSupply()

    created = script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir)
    assert len(created) == len(plan.grants) - 1
    assert tpw.totalSupply() == supply  # what it held was enough: nothing minted
    assert tpw.balanceOf(escrow_of(deployments_dir, chain).address) == plan.total_supply


def test_a_dry_run_sends_nothing(
    script: ModuleType,
    plan: AllocationPlan,
    deployments_dir: Path,
    allocator: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    nonce = allocator.nonce
    assert (
        script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir, dry_run=True) == []
    )
    assert allocator.nonce == nonce
    out = capsys.readouterr().out
    assert "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65" in out
    assert "tranche 12 x 30d" in out
    assert "3 grants to create (1,000 TPW); would mint 1,000 TPW" in out
    assert "VestingEscrow" not in Deployments.load("local", deployments_dir)


def test_the_plan_must_fit_what_was_created(
    script: ModuleType, plan: AllocationPlan, deployments_dir: Path, allocator: Any
) -> None:
    script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir)
    edited = parse_plan(
        PLAN.replace("share: 50\n      - address", "share: 40\n      - address").replace(
            "share: 50\n  community", "share: 60\n  community"
        ),
        source="edited.yaml",
    )
    with pytest.raises(ChainError, match="team #0: grant"):
        script.allocate(edited, "local", account=allocator, deployments_dir=deployments_dir)


def test_only_the_escrow_admin_and_a_minter_may_run_it(
    script: ModuleType,
    plan: AllocationPlan,
    deployments_dir: Path,
    tpw: Any,
    allocator: Any,
    vesting_admin: Any,
    accounts: Any,
) -> None:
    outsider = accounts[9]
    nonce = outsider.nonce
    with pytest.raises(ChainError, match="is not a TPW minter"):
        script.allocate(plan, "local", account=outsider, deployments_dir=deployments_dir)
    assert outsider.nonce == nonce  # refused before any transaction: no escrow deployed for it
    assert "VestingEscrow" not in Deployments.load("local", deployments_dir)

    script.allocate(plan, "local", account=allocator, deployments_dir=deployments_dir)
    tpw.transfer(outsider, plan.total_supply, sender=vesting_admin)  # it needs to mint nothing now
    another = parse_plan(PLAN.replace("allocate-test", "allocate-test-2"), source="another.yaml")
    with pytest.raises(ChainError, match="is not the admin"):
        script.allocate(another, "local", account=outsider, deployments_dir=deployments_dir)
    assert outsider.nonce == nonce


def test_nothing_deployed_means_deploy_first(
    script: ModuleType, plan: AllocationPlan, tmp_path: Path
) -> None:
    with pytest.raises(ChainError, match="ape run deploy"):
        script.allocate(plan, "local", deployments_dir=tmp_path)
