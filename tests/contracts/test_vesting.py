"""VestingEscrow.vy: grant creation, linear and tranche claims, revocation, hand-over, the admin role, every
revert, and the gas targets of a claim and a grant creation.

Expected amounts come from `chain.vesting` (the Python twin of the schedule), so each test also checks the
twin; `tests/chain/test_vesting.py` compares the two over random schedules.
"""

from dataclasses import dataclass
from typing import Any

import ape
import pytest

from chain.vesting import (
    MAX_AMOUNT,
    MAX_TIMESTAMP,
    Schedule,
    create_grant_arguments,
    decode_grant_id,
    grant_id,
    vested_amount,
)
from tests.helpers.misbehaving_tokens import REFUSING_TOKEN, deploy_source

pytestmark = pytest.mark.chain

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DAY = 86_400
MONTH = 30 * DAY
YEAR = 365 * DAY
TPW = 10**18
REFERENCE = b"\x01" * 32
CLAIM_GAS_TARGET = 45_000
CREATE_GAS_TARGET = 120_000


@pytest.fixture(scope="module")
def beneficiary(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="module")
def heir(accounts: Any) -> Any:
    """Who a beneficiary hands its grant to."""
    return accounts[3]


@pytest.fixture(scope="module")
def attacker(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="module")
def receiver(accounts: Any) -> Any:
    """Where a beneficiary has its tokens paid (an exchange deposit address, say)."""
    return accounts[8]


@dataclass(frozen=True)
class Created:
    """A grant created in a test, with what the test asked for."""

    grant_id: int
    amount: int
    schedule: Schedule
    revocable: bool
    receipt: Any


def create(
    escrow: Any,
    admin: Any,
    beneficiary: Any,
    amount: int,
    schedule: Schedule,
    *,
    revocable: bool = True,
    reference: bytes = REFERENCE,
) -> Created:
    arguments = create_grant_arguments(beneficiary, amount, schedule, revocable, reference)
    receipt = escrow.create_grant(*arguments, sender=admin)
    (event,) = receipt.decode_logs(escrow.GrantCreated)
    return Created(event.grant_id, amount, schedule, revocable, receipt)


def paid(escrow: Any, receipt: Any) -> int:
    """What a claim paid, from its `Claimed` event.

    (Ape's `return_value` on the local provider re-runs the call after the transaction, so it would see
    the claim already made.)
    """
    (event,) = receipt.decode_logs(escrow.Claimed)
    return int(event.amount)


def claim(escrow: Any, grant: int, beneficiary: Any) -> int:
    """Claim `grant` as `beneficiary`, to itself; returns what was paid."""
    return paid(escrow, escrow.claim(grant, sender=beneficiary))


def revoke(escrow: Any, grant: int, admin: Any) -> int:
    """Revoke `grant` as `admin`; returns what came back."""
    return returned(escrow, escrow.revoke(grant, sender=admin))


def returned(escrow: Any, receipt: Any) -> int:
    """What a revocation sent back to the admin, from its `GrantRevoked` event."""
    (event,) = receipt.decode_logs(escrow.GrantRevoked)
    return int(event.returned)


def starting_soon(chain: Any, *, cliff: int = YEAR, duration: int = 4 * YEAR, period: int = 1) -> Schedule:
    """A schedule starting at the next block's timestamp."""
    return Schedule(start=chain.pending_timestamp, cliff=cliff, duration=duration, period=period)


def at(chain: Any, timestamp: int) -> None:
    """Make the next transaction run at `timestamp`."""
    chain.pending_timestamp = timestamp


# Deployment


def test_deployment_sets_token_and_admin(vesting_escrow: Any, tpw: Any, vesting_admin: Any) -> None:
    assert vesting_escrow.token() == tpw.address
    assert vesting_escrow.admin() == vesting_admin
    assert vesting_escrow.pending_admin() == ZERO_ADDRESS
    assert vesting_escrow.grant_count() == 0
    assert vesting_escrow.creation_metadata.receipt.events == [
        vesting_escrow.AdminTransferred(previous_admin=ZERO_ADDRESS, new_admin=vesting_admin)
    ]


def test_deployment_refuses_the_zero_token(project: Any, vesting_admin: Any) -> None:
    with ape.reverts("vesting: token is the zero address"):
        project.VestingEscrow.deploy(ZERO_ADDRESS, sender=vesting_admin)


# Creating grants


def test_create_grant_takes_the_tokens_and_records_the_grant(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    schedule = starting_soon(chain)
    admin_before = tpw.balanceOf(vesting_admin)
    created = create(vesting_escrow, vesting_admin, beneficiary, 1_000 * TPW, schedule, revocable=True)

    assert created.grant_id == grant_id(0, schedule, True)
    assert decode_grant_id(created.grant_id) == (0, schedule, True)
    assert vesting_escrow.grant_count() == 1
    assert vesting_escrow.beneficiary_of(created.grant_id) == beneficiary
    assert vesting_escrow.grants(created.grant_id) == (
        0,
        beneficiary.address,
        1_000 * TPW,
        0,
        schedule.start,
        schedule.cliff,
        schedule.duration,
        schedule.period,
        True,
        False,
    )
    assert tpw.balanceOf(vesting_admin) == admin_before - 1_000 * TPW
    assert tpw.balanceOf(vesting_escrow) == 1_000 * TPW
    assert created.receipt.events == [
        tpw.Transfer(sender=vesting_admin, receiver=vesting_escrow, value=1_000 * TPW),
        vesting_escrow.GrantCreated(
            grant_id=created.grant_id, beneficiary=beneficiary, reference=REFERENCE, amount=1_000 * TPW
        ),
    ]


def test_grants_are_numbered_in_creation_order_and_ids_differ(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    schedule = starting_soon(chain)
    first = create(vesting_escrow, vesting_admin, beneficiary, TPW, schedule)
    second = create(vesting_escrow, vesting_admin, beneficiary, TPW, schedule)
    irrevocable = create(vesting_escrow, vesting_admin, beneficiary, TPW, schedule, revocable=False)
    assert [decode_grant_id(c.grant_id)[0] for c in (first, second, irrevocable)] == [0, 1, 2]
    assert len({first.grant_id, second.grant_id, irrevocable.grant_id}) == 3
    assert vesting_escrow.grants(irrevocable.grant_id).revocable is False
    assert vesting_escrow.grant_count() == 3


def test_the_largest_amount_and_the_latest_end_are_accepted(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any
) -> None:
    tpw.mint(vesting_admin, MAX_AMOUNT, sender=vesting_admin)
    schedule = Schedule(start=MAX_TIMESTAMP - 100, cliff=0, duration=100, period=1)
    created = create(vesting_escrow, vesting_admin, beneficiary, MAX_AMOUNT, schedule)
    assert vesting_escrow.grants(created.grant_id).amount == MAX_AMOUNT
    assert vesting_escrow.vested_amount(created.grant_id, MAX_TIMESTAMP) == MAX_AMOUNT
    assert vesting_escrow.vested_amount(created.grant_id, MAX_TIMESTAMP - 1) == MAX_AMOUNT * 99 // 100


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"beneficiary": ZERO_ADDRESS}, "vesting: beneficiary is the zero address"),
        ({"beneficiary": "escrow"}, "vesting: beneficiary is the escrow"),
        ({"amount": 0}, "vesting: zero amount"),
        ({"amount": MAX_AMOUNT + 1}, "vesting: amount exceeds 2**127 - 1"),
        ({"duration": 0, "cliff": 0}, "vesting: zero duration"),
        ({"period": 0}, "vesting: zero period"),
        ({"duration": 10 * MONTH + 1, "period": MONTH}, "vesting: duration is not a whole number of periods"),
        ({"cliff": 4 * YEAR + 1}, "vesting: cliff is after the end"),
        ({"start": MAX_TIMESTAMP - 4 * YEAR + 1}, "vesting: end is after 2**64 - 1"),
    ],
)
def test_create_grant_refuses_bad_terms(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, change: dict[str, Any], reason: str
) -> None:
    terms = {
        "beneficiary": beneficiary.address,
        "amount": TPW,
        "start": 1_700_000_000,
        "cliff": YEAR,
        "duration": 4 * YEAR,
        "period": 1,
    } | change
    if terms["beneficiary"] == "escrow":
        terms["beneficiary"] = vesting_escrow.address
    with ape.reverts(reason):
        vesting_escrow.create_grant(
            terms["beneficiary"],
            terms["amount"],
            terms["start"],
            terms["cliff"],
            terms["duration"],
            terms["period"],
            True,
            REFERENCE,
            sender=vesting_admin,
        )


def test_only_the_admin_creates_grants(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, attacker: Any, beneficiary: Any, chain: Any
) -> None:
    tpw.transfer(attacker, 10 * TPW, sender=vesting_admin)
    tpw.approve(vesting_escrow, 10 * TPW, sender=attacker)
    schedule = starting_soon(chain)
    with ape.reverts("vesting: caller is not the admin"):
        create(vesting_escrow, attacker, beneficiary, TPW, schedule)


def test_create_grant_needs_the_allowance(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    tpw.approve(vesting_escrow, TPW - 1, sender=vesting_admin)
    with ape.reverts("token: insufficient allowance"):
        create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))


def test_a_token_that_keeps_a_fee_is_refused(
    project: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    fee_token = project.FeeOnTransferToken.deploy(100, sender=vesting_admin)  # 1 %
    escrow = project.VestingEscrow.deploy(fee_token, sender=vesting_admin)
    fee_token.mint(vesting_admin, 1_000 * TPW, sender=vesting_admin)
    fee_token.approve(escrow, 1_000 * TPW, sender=vesting_admin)
    with ape.reverts("vesting: token delivered another amount"):
        create(escrow, vesting_admin, beneficiary, 1_000 * TPW, starting_soon(chain))


@pytest.fixture
def refusing_token(vesting_admin: Any) -> Any:
    return deploy_source(REFUSING_TOKEN, vesting_admin)


def test_token_answers_of_false_are_refused(
    project: Any, refusing_token: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    escrow = project.VestingEscrow.deploy(refusing_token, sender=vesting_admin)
    refusing_token.mint(vesting_admin, 1_000 * TPW, sender=vesting_admin)
    refusing_token.approve(escrow, 1_000 * TPW, sender=vesting_admin)
    schedule = starting_soon(chain, cliff=0)
    refusing_token.set_refuse(True, sender=vesting_admin)
    with ape.reverts("vesting: transferFrom failed"):
        create(escrow, vesting_admin, beneficiary, TPW, schedule)
    refusing_token.set_refuse(False, sender=vesting_admin)
    created = create(escrow, vesting_admin, beneficiary, TPW, schedule)
    refusing_token.set_refuse(True, sender=vesting_admin)
    at(chain, schedule.start + YEAR)
    with ape.reverts("vesting: transfer failed"):
        escrow.claim(created.grant_id, sender=beneficiary)
    with ape.reverts("vesting: transfer failed"):
        escrow.revoke(created.grant_id, sender=vesting_admin)


# Claiming: linear


def test_nothing_is_claimable_before_the_cliff(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, 4_000 * TPW, starting_soon(chain))
    at(chain, created.schedule.cliff_time - 1)
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)


def test_linear_claims_pay_what_has_vested(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    amount = 4_000 * TPW + 7  # not a multiple of the duration: amounts round down until the end
    created = create(vesting_escrow, vesting_admin, beneficiary, amount, starting_soon(chain))
    schedule = created.schedule
    total_paid = 0
    for moment in (schedule.cliff_time, schedule.cliff_time + 12_345, schedule.start + 3 * YEAR + 1):
        at(chain, moment)
        receipt = vesting_escrow.claim(created.grant_id, sender=beneficiary)
        expected = vested_amount(amount, schedule, False, moment) - total_paid
        assert expected > 0
        assert paid(vesting_escrow, receipt) == expected
        assert receipt.events == [
            tpw.Transfer(sender=vesting_escrow, receiver=beneficiary, value=expected),
            vesting_escrow.Claimed(grant_id=created.grant_id, receiver=beneficiary, amount=expected),
        ]
        total_paid += expected
        assert vesting_escrow.grants(created.grant_id).claimed == total_paid
    assert total_paid < amount
    assert tpw.balanceOf(beneficiary) == total_paid
    assert tpw.balanceOf(vesting_escrow) == amount - total_paid


def test_the_whole_amount_is_paid_at_the_end_and_no_more(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    amount = 1_000_003  # three base units of rounding to recover at the end
    created = create(vesting_escrow, vesting_admin, beneficiary, amount, starting_soon(chain, cliff=0))
    at(chain, created.schedule.end - 1)
    before_end = claim(vesting_escrow, created.grant_id, beneficiary)
    assert before_end == amount * (created.schedule.duration - 1) // created.schedule.duration
    at(chain, created.schedule.end)
    assert claim(vesting_escrow, created.grant_id, beneficiary) == amount - before_end
    assert tpw.balanceOf(vesting_escrow) == 0
    at(chain, created.schedule.end + YEAR)
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)


def test_a_second_claim_in_the_same_second_has_nothing_to_pay(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain, cliff=0))
    chain.mine(timestamp=created.schedule.start + DAY)
    at(chain, created.schedule.start + 2 * DAY)
    vesting_escrow.claim(created.grant_id, sender=beneficiary)
    assert vesting_escrow.claimable_amount(created.grant_id) == 0


def test_the_beneficiary_claims_to_any_receiver(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, receiver: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, 100 * TPW, starting_soon(chain, cliff=0))
    at(chain, created.schedule.start + YEAR)
    receipt = vesting_escrow.claim(created.grant_id, receiver, sender=beneficiary)
    assert paid(vesting_escrow, receipt) == 25 * TPW
    assert tpw.balanceOf(receiver) == 25 * TPW
    assert tpw.balanceOf(beneficiary) == 0
    assert receipt.events[-1] == vesting_escrow.Claimed(
        grant_id=created.grant_id, receiver=receiver, amount=25 * TPW
    )


@pytest.mark.parametrize(
    ("receiver_name", "reason"),
    [("zero", "vesting: receiver is the zero address"), ("escrow", "vesting: receiver is the escrow")],
)
def test_claim_refuses_receivers_that_lose_the_tokens(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any, receiver_name: str, reason: str
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain, cliff=0))
    at(chain, created.schedule.start + YEAR)
    target = ZERO_ADDRESS if receiver_name == "zero" else vesting_escrow.address
    with ape.reverts(reason):
        vesting_escrow.claim(created.grant_id, target, sender=beneficiary)


def test_only_the_beneficiary_claims(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, attacker: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain, cliff=0))
    at(chain, created.schedule.start + YEAR)
    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.claim(created.grant_id, attacker, sender=attacker)
    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.claim(created.grant_id, sender=vesting_admin)


def test_an_id_without_a_grant_is_refused_even_with_a_real_number(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    """A forged id reusing grant 0's number with a shorter schedule finds no grant."""
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))
    forged = grant_id(0, Schedule(start=created.schedule.start, cliff=0, duration=1), True)
    at(chain, created.schedule.start + DAY)
    with ape.reverts("vesting: no such grant"):
        vesting_escrow.claim(forged, sender=beneficiary)
    assert vesting_escrow.grants(forged) == (0, ZERO_ADDRESS, 0, 0, 0, 0, 0, 0, False, False)
    assert vesting_escrow.vested_amount(forged, created.schedule.start + DAY) == 0
    assert vesting_escrow.claimable_amount(forged) == 0
    assert vesting_escrow.vested_amount(2**256 - 1 - 2**32 + 1, 2**63) == 0  # period 0: no division by it


# Claiming: tranches


def test_tranches_release_equal_parts_each_period(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    amount = 1_200 * TPW + 11
    schedule = starting_soon(chain, cliff=0, duration=12 * MONTH, period=MONTH)
    created = create(vesting_escrow, vesting_admin, beneficiary, amount, schedule)
    at(chain, schedule.start + MONTH - 1)
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)
    at(chain, schedule.start + MONTH)
    assert claim(vesting_escrow, created.grant_id, beneficiary) == amount // 12
    at(chain, schedule.start + 3 * MONTH + 5 * DAY)  # tranches 2 and 3, not part of the 4th
    assert claim(vesting_escrow, created.grant_id, beneficiary) == amount * 3 // 12 - amount // 12
    at(chain, schedule.end)
    vesting_escrow.claim(created.grant_id, sender=beneficiary)
    assert tpw.balanceOf(beneficiary) == amount


def test_tranches_due_before_the_cliff_are_released_at_the_cliff(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    schedule = starting_soon(chain, cliff=6 * MONTH, duration=24 * MONTH, period=MONTH)
    created = create(vesting_escrow, vesting_admin, beneficiary, 2_400 * TPW, schedule)
    at(chain, schedule.cliff_time - 1)
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)
    at(chain, schedule.cliff_time)
    assert claim(vesting_escrow, created.grant_id, beneficiary) == 600 * TPW


# Revoking


def test_revoke_returns_the_unvested_part_and_keeps_the_vested_claimable(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, 4_000 * TPW, starting_soon(chain, cliff=0))
    at(chain, created.schedule.start + YEAR)
    vesting_escrow.claim(created.grant_id, sender=beneficiary)  # 1,000 TPW
    admin_before = tpw.balanceOf(vesting_admin)
    at(chain, created.schedule.start + 2 * YEAR)
    receipt = vesting_escrow.revoke(created.grant_id, sender=vesting_admin)

    assert returned(vesting_escrow, receipt) == 2_000 * TPW
    assert tpw.balanceOf(vesting_admin) == admin_before + 2_000 * TPW
    assert receipt.events == [
        tpw.Transfer(sender=vesting_escrow, receiver=vesting_admin, value=2_000 * TPW),
        vesting_escrow.GrantRevoked(
            grant_id=created.grant_id, beneficiary=beneficiary, vested=2_000 * TPW, returned=2_000 * TPW
        ),
    ]
    grant = vesting_escrow.grants(created.grant_id)
    assert (grant.amount, grant.claimed, grant.revoked) == (2_000 * TPW, 1_000 * TPW, True)
    at(chain, created.schedule.start + 3 * YEAR)  # nothing more vests after a revocation
    assert claim(vesting_escrow, created.grant_id, beneficiary) == 1_000 * TPW
    assert tpw.balanceOf(vesting_escrow) == 0
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)


def test_a_revoked_grants_vested_amount_still_depends_on_the_timestamp(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    """Revoked at two years of four, a grant had vested 1,000 TPW after one year and nothing before its
    start; it used to answer 2,000 TPW for every moment."""
    created = create(vesting_escrow, vesting_admin, beneficiary, 4_000 * TPW, starting_soon(chain, cliff=0))
    start = created.schedule.start
    at(chain, start + 2 * YEAR)
    vesting_escrow.revoke(created.grant_id, sender=vesting_admin)
    moments = [start - 1, start + YEAR, start + 2 * YEAR - 1, start + 2 * YEAR, start + 3 * YEAR, 2**64]
    vested = [vesting_escrow.vested_amount(created.grant_id, moment) for moment in moments]
    expected = [vested_amount(4_000 * TPW, created.schedule, False, moment) for moment in moments[:3]]
    assert vested == [*expected, 2_000 * TPW, 2_000 * TPW, 2_000 * TPW]
    assert vested[:2] == [0, 1_000 * TPW]
    assert vesting_escrow.claimable_amount(created.grant_id) == 2_000 * TPW


def test_revoking_before_the_cliff_returns_everything(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, 4_000 * TPW, starting_soon(chain))
    at(chain, created.schedule.cliff_time - 1)
    assert revoke(vesting_escrow, created.grant_id, vesting_admin) == 4_000 * TPW
    assert tpw.balanceOf(vesting_escrow) == 0
    assert vesting_escrow.grants(created.grant_id).beneficiary == beneficiary  # the grant still exists
    at(chain, created.schedule.end)
    with ape.reverts("vesting: nothing to claim"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)
    with ape.reverts("vesting: grant is already revoked"):
        vesting_escrow.revoke(created.grant_id, sender=vesting_admin)


def test_an_irrevocable_grant_cannot_be_revoked(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain), revocable=False)
    with ape.reverts("vesting: grant is irrevocable"):
        vesting_escrow.revoke(created.grant_id, sender=vesting_admin)


def test_revoke_refusals(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, attacker: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain, cliff=0))
    with ape.reverts("vesting: caller is not the admin"):
        vesting_escrow.revoke(created.grant_id, sender=attacker)
    with ape.reverts("vesting: caller is not the admin"):
        vesting_escrow.revoke(created.grant_id, sender=beneficiary)
    with ape.reverts("vesting: no such grant"):
        vesting_escrow.revoke(created.grant_id + 1, sender=vesting_admin)
    at(chain, created.schedule.end)
    with ape.reverts("vesting: grant is fully vested"):
        vesting_escrow.revoke(created.grant_id, sender=vesting_admin)


# Handing a grant over


def test_the_beneficiary_hands_the_grant_over_with_what_it_holds(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, beneficiary: Any, heir: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, 4_000 * TPW, starting_soon(chain, cliff=0))
    at(chain, created.schedule.start + YEAR)
    vesting_escrow.claim(created.grant_id, sender=beneficiary)
    receipt = vesting_escrow.transfer_grant(created.grant_id, heir, sender=beneficiary)
    assert receipt.events == [
        vesting_escrow.GrantTransferred(
            grant_id=created.grant_id, previous_beneficiary=beneficiary, new_beneficiary=heir
        )
    ]
    assert vesting_escrow.beneficiary_of(created.grant_id) == heir
    grant = vesting_escrow.grants(created.grant_id)
    assert (grant.beneficiary, grant.claimed) == (heir.address, 1_000 * TPW)

    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.claim(created.grant_id, sender=beneficiary)
    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.transfer_grant(created.grant_id, beneficiary, sender=beneficiary)
    at(chain, created.schedule.start + 2 * YEAR)
    assert claim(vesting_escrow, created.grant_id, heir) == 1_000 * TPW
    assert tpw.balanceOf(heir) == 1_000 * TPW
    # The admin still finds the grant to revoke it, under its new beneficiary.
    at(chain, created.schedule.start + 3 * YEAR)
    assert revoke(vesting_escrow, created.grant_id, vesting_admin) == 1_000 * TPW
    assert vesting_escrow.grants(created.grant_id).beneficiary == heir


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("zero", "vesting: new beneficiary is the zero address"),
        ("escrow", "vesting: new beneficiary is the escrow"),
        ("self", "vesting: new beneficiary is the current one"),
    ],
)
def test_transfer_grant_refuses_bad_targets(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any, target: str, reason: str
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))
    new_beneficiary = {"zero": ZERO_ADDRESS, "escrow": vesting_escrow.address, "self": beneficiary.address}
    with ape.reverts(reason):
        vesting_escrow.transfer_grant(created.grant_id, new_beneficiary[target], sender=beneficiary)


def test_nobody_else_hands_a_grant_over(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, attacker: Any, chain: Any
) -> None:
    created = create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))
    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.transfer_grant(created.grant_id, attacker, sender=attacker)
    with ape.reverts("vesting: caller is not the beneficiary"):
        vesting_escrow.transfer_grant(created.grant_id, attacker, sender=vesting_admin)
    with ape.reverts("vesting: no such grant"):
        vesting_escrow.transfer_grant(created.grant_id + 1, attacker, sender=beneficiary)


# The admin role


def test_admin_moves_in_two_steps(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, heir: Any, attacker: Any, beneficiary: Any, chain: Any
) -> None:
    with ape.reverts("vesting: caller is not the admin"):
        vesting_escrow.transfer_admin(attacker, sender=attacker)
    receipt = vesting_escrow.transfer_admin(heir, sender=vesting_admin)
    assert receipt.events == [
        vesting_escrow.AdminTransferStarted(previous_admin=vesting_admin, new_admin=heir)
    ]
    assert (vesting_escrow.admin(), vesting_escrow.pending_admin()) == (vesting_admin, heir)
    with ape.reverts("vesting: caller is not the pending admin"):
        vesting_escrow.accept_admin(sender=attacker)
    receipt = vesting_escrow.accept_admin(sender=heir)
    assert receipt.events == [vesting_escrow.AdminTransferred(previous_admin=vesting_admin, new_admin=heir)]
    assert (vesting_escrow.admin(), vesting_escrow.pending_admin()) == (heir, ZERO_ADDRESS)
    with ape.reverts("vesting: caller is not the admin"):
        create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))
    tpw.transfer(heir, TPW, sender=vesting_admin)
    tpw.approve(vesting_escrow, TPW, sender=heir)
    create(vesting_escrow, heir, beneficiary, TPW, starting_soon(chain))


def test_proposing_the_zero_address_cancels_an_admin_transfer(
    vesting_escrow: Any, vesting_admin: Any, heir: Any
) -> None:
    vesting_escrow.transfer_admin(heir, sender=vesting_admin)
    receipt = vesting_escrow.transfer_admin(ZERO_ADDRESS, sender=vesting_admin)
    assert receipt.events == [
        vesting_escrow.AdminTransferStarted(previous_admin=vesting_admin, new_admin=ZERO_ADDRESS)
    ]
    with ape.reverts("vesting: caller is not the pending admin"):
        vesting_escrow.accept_admin(sender=heir)
    assert vesting_escrow.admin() == vesting_admin


# Gas (the contract's design targets: see its @dev)


def test_a_steady_state_claim_and_a_grant_creation_meet_their_gas_targets(
    vesting_escrow: Any, vesting_admin: Any, beneficiary: Any, chain: Any
) -> None:
    create(vesting_escrow, vesting_admin, beneficiary, TPW, starting_soon(chain))  # the escrow holds tokens
    created = create(vesting_escrow, vesting_admin, beneficiary, 1_000 * TPW, starting_soon(chain, cliff=0))
    assert created.receipt.gas_used <= CREATE_GAS_TARGET
    at(chain, created.schedule.start + DAY)
    vesting_escrow.claim(created.grant_id, sender=beneficiary)  # the beneficiary holds tokens
    at(chain, created.schedule.start + 2 * DAY)
    assert vesting_escrow.claim(created.grant_id, sender=beneficiary).gas_used <= CLAIM_GAS_TARGET
