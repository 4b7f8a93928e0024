"""`ape run allocate --plan FILE [--dry-run] --network ...`: mint TPW and create the vesting grants of a plan.

The plan (see config/allocation.example.yaml) is validated in full before anything is sent. Then the account
(the escrow's admin and a TPW minter) mints to itself what the missing grants need beyond the TPW it holds,
approves the escrow for that much, and creates each missing grant. Grants already created are found by the
reference the escrow logged for them, so running the same plan again creates nothing twice, and a run cut
short is finished by running it again. `--dry-run` prints the schedule table and what a run would do, and
sends nothing.

The escrow is looked up as `VestingEscrow` in deployments/<network>.json; if the registry has none, a run
(not a dry run) deploys one for the registry's TPW, with the account as admin, and records it.
On a local devnet the account defaults to Ape's first test account; anywhere else name one with `--account`.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option

from chain.allocation import (
    AllocationPlan,
    PlannedGrant,
    format_tokens,
    load_plan,
    pending_grants,
    schedule_table,
)
from chain.deploy import DEV_NETWORKS
from chain.deployments import Deployments
from chain.errors import ChainError, DeploymentsFileMissing
from chain.vesting import CONTRACT_TYPE, CreatedGrant, VestingEscrow, create_grant_arguments

ESCROW_NAME = "VestingEscrow"
TOKEN_NAME = "TPW"  # noqa: S105  (a registry name, not a secret)


@dataclass(frozen=True)
class Survey:
    """What the chain already holds of a plan, and what a run still has to do."""

    missing: list[PlannedGrant]
    created: list[tuple[PlannedGrant, CreatedGrant]]
    needed: int  # base units the missing grants take
    to_mint: int  # base units to mint on top of the account's balance


# No explicit `network_option()`: the one ConnectedProviderCommand adds itself also honours
# `--provider-settings` (e.g. '{"host": "http://127.0.0.1:18545"}' for an anvil on another port).
@click.command(cls=ConnectedProviderCommand, short_help="Mint TPW and create the vesting grants of a plan")
@account_option(prompt=False)
@click.option(
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The allocation plan (YAML), e.g. config/allocation.example.yaml.",
)
@click.option("--dry-run", is_flag=True, help="Print the schedule and what a run would do; send nothing.")
@click.option(
    "--deployments-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the deployments registry (default: deployments/).",
)
def cli(
    ecosystem: Any,
    network: Any,
    provider: Any,
    account: Any,
    plan_path: Path,
    dry_run: bool,
    deployments_dir: Path | None,
) -> None:
    """Mint TPW and create, once each, the vesting grants the plan calls for."""
    try:
        plan = load_plan(plan_path)
        allocate(plan, network.name, account=account, deployments_dir=deployments_dir, dry_run=dry_run)
    except ChainError as error:
        raise click.ClickException(str(error)) from error


def allocate(
    plan: AllocationPlan,
    network: str,
    *,
    account: Any = None,
    deployments_dir: Path | None = None,
    dry_run: bool = False,
) -> list[int]:
    """Carry `plan` out on the connected network (inside an Ape provider context); returns the ids of the
    grants created now (none on a dry run)."""
    from ape import accounts, chain, project

    click.echo(
        f"plan {plan.name}: {format_tokens(plan.total_supply, plan.decimals)} TPW "
        f"in {len(plan.grants)} grants"
    )
    click.echo(schedule_table(plan.grants, plan.decimals))
    if account is None:
        if network not in DEV_NETWORKS:
            raise ChainError(
                f"network {network!r} is not a devnet: name the allocating account with --account"
            )
        account = accounts.test_accounts[0]
    try:
        registry = Deployments.load(network, deployments_dir)
    except DeploymentsFileMissing as error:
        if dry_run:
            click.echo(f"{error}; a run needs `ape run deploy` there first")
            return []
        raise ChainError(f"{error}: run `ape run deploy --network ...` first") from None
    registry.check_chain_id(chain.provider.web3)
    token = project.Token.at(registry.get(TOKEN_NAME).address)
    if token.decimals() != plan.decimals:
        raise ChainError(
            f"{TOKEN_NAME} at {token.address} has {token.decimals()} decimals, the plan {plan.decimals}"
        )
    escrow: Any = None
    reader: VestingEscrow | None = None
    if ESCROW_NAME in registry:
        escrow = project.VestingEscrow.at(registry.get(ESCROW_NAME).address)
        if escrow.token() != token.address:
            raise ChainError(
                f"{ESCROW_NAME} at {escrow.address} vests {escrow.token()}, "
                f"not {TOKEN_NAME} at {token.address}"
            )
        reader = VestingEscrow(
            chain.provider.web3, escrow.address, from_block=registry.get(ESCROW_NAME).block_number
        )
    else:
        click.echo(f"no {ESCROW_NAME} in {registry.path} yet: a run deploys one, {account.address} its admin")
    survey = _survey(plan, reader, token.balanceOf(account))
    _report(survey, plan, dry_run=dry_run)
    if dry_run or not survey.missing:
        return []

    # Everything that could refuse is checked before the first transaction.
    if escrow is not None and escrow.admin() != account.address:
        raise ChainError(
            f"{account.address} is not the admin of {ESCROW_NAME} {escrow.address} ({escrow.admin()} is)"
        )
    if survey.to_mint and not token.is_minter(account):
        raise ChainError(f"{account.address} is not a {TOKEN_NAME} minter: the token's owner grants the role")
    if escrow is None:
        escrow = _deploy_escrow(registry, account, token)
    if survey.to_mint:
        token.mint(account, survey.to_mint, sender=account)
    if token.allowance(account, escrow) < survey.needed:
        token.approve(escrow, survey.needed, sender=account)
    created_ids = []
    for planned in survey.missing:
        arguments = create_grant_arguments(
            planned.beneficiary, planned.amount, planned.schedule, planned.revocable, planned.reference
        )
        receipt = escrow.create_grant(*arguments, sender=account)
        (event,) = receipt.decode_logs(escrow.GrantCreated)
        created_ids.append(int(event.grant_id))
        click.echo(
            f"  created {planned.category} #{planned.index} for {planned.beneficiary}: grant {event.grant_id}"
        )
    click.echo(f"done: {len(created_ids)} grants created, {len(survey.created)} were there already")
    return created_ids


def _survey(plan: AllocationPlan, escrow: VestingEscrow | None, balance: int) -> Survey:
    """Compare the plan with the escrow's `GrantCreated` events (none when there is no escrow yet)."""
    created: dict[bytes, CreatedGrant] = {}
    if escrow is not None:
        for event in escrow.created_grants(references=[grant.reference for grant in plan.grants]):
            if event.reference in created:
                raise ChainError(
                    f"two grants carry the reference 0x{event.reference.hex()}: "
                    f"{created[event.reference].grant_id} and {event.grant_id}; "
                    "the escrow's admin created one outside this plan's runs"
                )
            created[event.reference] = event
    missing, done = pending_grants(plan, created)
    needed = sum(grant.amount for grant in missing)
    return Survey(missing=missing, created=done, needed=needed, to_mint=max(needed - balance, 0))


def _report(survey: Survey, plan: AllocationPlan, *, dry_run: bool) -> None:
    for planned, event in survey.created:
        click.echo(f"  already created: {planned.category} #{planned.index} as grant {event.grant_id}")
    verb = "would" if dry_run else "will"
    click.echo(
        f"{len(survey.missing)} grants to create ({format_tokens(survey.needed, plan.decimals)} TPW); "
        f"{verb} mint {format_tokens(survey.to_mint, plan.decimals)} TPW"
    )


def _deploy_escrow(registry: Deployments, account: Any, token: Any) -> Any:
    """Deploy a VestingEscrow for `token` with `account` as admin and record it in the registry."""
    from ape import chain, project

    escrow = account.deploy(project.VestingEscrow, token.address)
    receipt = escrow.creation_metadata.receipt
    registry.record(
        ESCROW_NAME,
        address=escrow.address,
        tx_hash=receipt.txn_hash,
        block_number=receipt.block_number,
        contract_type=CONTRACT_TYPE,
        chain_id=chain.chain_id,
    )
    registry.save()
    click.echo(f"deployed {ESCROW_NAME} at {escrow.address}; recorded in {registry.path}")
    return escrow
