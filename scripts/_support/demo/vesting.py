"""Flow 6: the TPW allocation plan carried out, and a team grant claimed after its cliff."""

from typing import Any

from chain.allocation import TPW_DECIMALS, format_tokens, load_plan
from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.paths import PROJECT_ROOT
from chain.vesting import VestingEscrow, utc
from scripts._support.demo.report import DemoFailed, Summary, listed
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack
from scripts.allocate import allocate

DAY = 86_400
ALLOCATION_PLAN = PROJECT_ROOT / "config" / "allocation.example.yaml"


def allocation_vesting_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """Carry out the example allocation plan (`ape run allocate`'s engine), move the chain's clock past the
    team's cliff, and let alice claim her vested TPW; the API reads the grant before and after."""
    Progress.heading("flow 6: the TPW allocation plan, and a team grant claimed after its cliff")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    alice = dev_accounts()[1]
    plan = load_plan(ALLOCATION_PLAN)
    plan_name = ALLOCATION_PLAN.relative_to(PROJECT_ROOT)
    with progress.step(f"allocating {plan_name} on L1 (mint TPW, create grants)"):
        print(flush=True)
        with l1.ape_connection():
            created = allocate(plan, l1.network, deployments_dir=stack.settings.deployments_dir)
    if len(created) != len(plan.grants):
        raise DemoFailed(f"{len(created)} grants created, the plan has {len(plan.grants)}")
    team = next(
        grant for grant in plan.grants if grant.category == "team" and grant.beneficiary == alice.address
    )
    path = f"/v1/vesting/beneficiaries/{alice.address}/grants"
    with progress.step("reading alice's team grant through the API"):
        before, grants = listed(stack, path)
    grant = _team_grant(grants, team.amount)
    claimable = format_tokens(int(grant["claimable"]), TPW_DECIMALS)
    progress.note(
        f"grant {str(grant['grant_id'])[:12]}…: {format_tokens(team.amount, TPW_DECIMALS)} TPW, cliff "
        f"{utc(int(grant['cliff_end'])):%Y-%m-%d}, claimable now {claimable}"
    )
    wait = int(grant["cliff_end"]) + 30 * DAY - int(before["block_timestamp"])
    if wait > 0:
        with progress.step(f"moving L1's clock {wait // DAY} days forward, past the cliff"):
            l1.node.increase_time(wait)
    escrow = VestingEscrow(w3, l1.deployments.get("VestingEscrow").address)
    tpw = contract(w3, "Token", l1.deployments.get("TPW").address)
    held = int(tpw.functions.balanceOf(alice.address).call())
    with progress.step("alice claims her vested TPW"):
        paid = escrow.claim(alice, int(grant["grant_id"]))
    after = _team_grant(listed(stack, path)[1], team.amount)
    now_held = int(tpw.functions.balanceOf(alice.address).call())
    if paid <= 0 or int(after["claimed"]) != paid or now_held != held + paid:
        raise DemoFailed(f"alice's claim paid {paid}; the API says claimed {after['claimed']}")
    whole_tokens = f"{paid // 10**TPW_DECIMALS:,}"
    progress.note(f"paid {format_tokens(paid, TPW_DECIMALS)} TPW; the API now shows it claimed")
    supply = format_tokens(plan.total_supply, TPW_DECIMALS)
    summary.add("allocation plan", f"{len(created)} grants, {supply} TPW minted into VestingEscrow")
    summary.add("vesting claim", f"alice claimed {whole_tokens} TPW after the team cliff")


def _team_grant(grants: list[dict[str, Any]], amount: int) -> dict[str, Any]:
    """The one grant of `amount` among a beneficiary's grants."""
    matching = [grant for grant in grants if grant["amount"] == str(amount)]  # uint256: a string
    if len(matching) != 1:
        raise DemoFailed(f"the API lists {grants!r}, expected one grant of {amount}")
    found: dict[str, Any] = matching[0]
    return found
