"""chain/vesting.py: grant ids and schedules as the contract computes them, and the web3 face of the escrow.

The schedule twin is held equal to `VestingEscrow.vested_amount` over random schedules, amounts and times
(boundaries included); the web3 face creates, claims, hands over and revokes grants on py-evm and reads
them back, by id and by beneficiary.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from hypothesis import given
from hypothesis import strategies as st
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

from chain.artifacts import contract, deploy
from chain.transactions import TransactionFailed
from chain.vesting import (
    MAX_AMOUNT,
    MAX_SPAN,
    MAX_TIMESTAMP,
    Schedule,
    VestingError,
    VestingEscrow,
    check_amount,
    create_grant_arguments,
    decode_grant_id,
    grant_id,
    vested_amount,
)

DAY = 86_400
REFERENCE = b"\x07" * 32
CREATE_GRANT_GAS = 200_000  # a creation takes about 100,000; naming the limit skips a costly estimate
# A refusal found when estimating gas: `send_call` turns a node's answer into TransactionFailed, while
# web3's in-process tester provider raises eth-tester's own exception, with the same revert reason.
REVERTED = (TransactionFailed, EthTesterTransactionFailed)


@st.composite
def schedules(draw: st.DrawFn, max_span: int = MAX_SPAN) -> Schedule:
    """Any schedule the escrow accepts: every period, tranche count, cliff and start in range."""
    period = draw(st.one_of(st.just(1), st.integers(min_value=1, max_value=max_span)))
    duration = period * draw(st.integers(min_value=1, max_value=max_span // period))
    start = draw(st.integers(min_value=0, max_value=MAX_TIMESTAMP - duration))
    return Schedule(
        start=start,
        cliff=draw(st.integers(min_value=0, max_value=duration)),
        duration=duration,
        period=period,
    )


amounts = st.integers(min_value=1, max_value=MAX_AMOUNT)


def boundaries(schedule: Schedule) -> list[int]:
    """Where the vested amount jumps, or must not yet: just before and at the cliff and the end."""
    moments = [schedule.cliff_time - 1, schedule.cliff_time, schedule.end - 1, schedule.end]
    return [moment for moment in moments if moment >= 0]


# Pure: ids, schedules, amounts


@given(number=st.integers(min_value=0, max_value=2**95 - 1), schedule=schedules(), revocable=st.booleans())
def test_grant_id_round_trips(number: int, schedule: Schedule, revocable: bool) -> None:
    value = grant_id(number, schedule, revocable)
    assert 0 <= value < 2**256
    assert decode_grant_id(value) == (number, schedule, revocable)


def test_ids_put_the_number_on_top_so_they_grow_with_it() -> None:
    late_short = grant_id(1, Schedule(start=0, cliff=0, duration=1), False)
    early_long = grant_id(0, Schedule(start=MAX_TIMESTAMP - 1, cliff=1, duration=1), True)
    assert early_long < late_short


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"duration": 0, "cliff": 0}, "vesting: zero duration"),
        ({"period": 0}, "vesting: zero period"),
        ({"duration": 10, "period": 3, "cliff": 0}, "vesting: duration is not a whole number of periods"),
        ({"cliff": 101}, "vesting: cliff is after the end"),
        ({"start": MAX_TIMESTAMP - 99}, "vesting: end is after 2**64 - 1"),
        ({"start": MAX_TIMESTAMP + 1}, "vesting: start is after 2**64 - 1"),
        ({"duration": MAX_SPAN + 1}, "vesting: duration exceeds 2**32 - 1 seconds"),
        ({"start": -1}, "vesting: start -1 is not a non-negative integer"),
        ({"period": True}, "vesting: period True is not a non-negative integer"),
    ],
)
def test_schedules_the_escrow_refuses_are_refused_with_its_reason(
    fields: dict[str, int], reason: str
) -> None:
    with pytest.raises(VestingError) as raised:
        Schedule(**({"start": 1_000, "cliff": 10, "duration": 100, "period": 1} | fields))
    assert str(raised.value) == reason


@pytest.mark.parametrize("amount", [0, -1, MAX_AMOUNT + 1, True])
def test_amounts_out_of_range_are_refused(amount: int) -> None:
    with pytest.raises(VestingError):
        check_amount(amount)


def test_ids_no_grant_can_have_are_refused() -> None:
    with pytest.raises(VestingError, match="zero period"):
        decode_grant_id(grant_id(0, Schedule(start=0, cliff=0, duration=1), False) - 1)
    with pytest.raises(VestingError, match="uint256"):
        decode_grant_id(2**256)


def test_schedule_kinds() -> None:
    linear = Schedule(start=100, cliff=10, duration=1_000)
    monthly = Schedule(start=100, cliff=0, duration=12 * 30 * DAY, period=30 * DAY)
    assert (linear.kind, linear.tranches, linear.cliff_time, linear.end) == ("linear", 1_000, 110, 1_100)
    assert (monthly.kind, monthly.tranches) == ("tranche", 12)


@given(amount=amounts, schedule=schedules(), earlier=st.integers(0, 2**65), later=st.integers(0, 2**65))
def test_vesting_only_grows_and_ends_with_the_whole_amount(
    amount: int, schedule: Schedule, earlier: int, later: int
) -> None:
    earlier, later = sorted((earlier, later))
    assert (
        0 <= vested_amount(amount, schedule, False, earlier) <= vested_amount(amount, schedule, False, later)
    )
    assert vested_amount(amount, schedule, False, later) <= amount
    assert vested_amount(amount, schedule, False, schedule.cliff_time - 1) == 0
    assert vested_amount(amount, schedule, False, schedule.end) == amount
    assert (
        vested_amount(amount, schedule, True, earlier) == amount
    )  # a revoked grant holds only vested tokens


@given(amount=amounts, tranches=st.integers(1, 60), elapsed=st.integers(0, 60 * 30 * DAY))
def test_tranches_are_equal_steps_rounded_down(amount: int, tranches: int, elapsed: int) -> None:
    schedule = Schedule(start=0, cliff=0, duration=tranches * 30 * DAY, period=30 * DAY)
    due = min(elapsed // (30 * DAY), tranches)
    assert vested_amount(amount, schedule, False, elapsed) == amount * due // tranches


# On chain: the twin against the contract, and the web3 face


@dataclass(frozen=True)
class Deployed:
    """The chain, the escrow's face, and local keys: the escrow's admin (who holds TPW) and two others."""

    w3: Web3
    tester: EthereumTester
    escrow: VestingEscrow
    admin: LocalAccount
    beneficiary: LocalAccount
    heir: LocalAccount


@pytest.fixture
def deployed(tester_w3: Web3, compiled_manifest: Path) -> Deployed:
    """TPW and a VestingEscrow on py-evm, with fresh keys (`send_call` remembers nonces per address)."""
    w3 = tester_w3
    tester = cast(EthereumTesterProvider, w3.provider).ethereum_tester
    assert tester is not None
    funder = w3.eth.accounts[0]
    admin, beneficiary, heir = Account.create(), Account.create(), Account.create()
    for account in (admin, beneficiary, heir):
        tester.add_account(account.key.hex())
        w3.eth.send_transaction({"from": funder, "to": account.address, "value": Wei(10**20)})
    token_address, _ = deploy(w3, "Token", "TPWallet", "TPW", 18, sender=funder)
    escrow_address, receipt = deploy(w3, "VestingEscrow", token_address, sender=admin.address)
    tpw = contract(w3, "Token", token_address)
    tpw.functions.set_minter(funder, True).transact({"from": funder})
    tpw.functions.mint(admin.address, 2**200).transact({"from": funder})
    tpw.functions.approve(escrow_address, 2**256 - 1).transact({"from": admin.address})
    escrow = VestingEscrow(w3, escrow_address, from_block=receipt["blockNumber"])
    return Deployed(w3, tester, escrow, admin, beneficiary, heir)


@given(amount=amounts, schedule=schedules(), revocable=st.booleans(), data=st.data())
def test_python_vesting_equals_the_contract(
    deployed: Deployed, amount: int, schedule: Schedule, revocable: bool, data: st.DataObject
) -> None:
    """Each chain read costs tens of milliseconds: the boundaries and two moments inside the schedule."""
    inside = st.integers(min_value=schedule.start, max_value=schedule.end)
    moments = [*boundaries(schedule), data.draw(inside), data.draw(inside)]
    escrow = deployed.escrow
    number = escrow.contract.functions.grant_count().call()
    arguments = create_grant_arguments(deployed.beneficiary.address, amount, schedule, revocable, REFERENCE)
    tx_hash = escrow.contract.functions.create_grant(*arguments).transact(
        {"from": deployed.admin.address, "gas": CREATE_GRANT_GAS}
    )
    deployed.w3.eth.wait_for_transaction_receipt(tx_hash)
    expected_id = grant_id(number, schedule, revocable)
    assert escrow.contract.functions.beneficiary_of(expected_id).call() == deployed.beneficiary.address
    for moment in moments:
        on_chain = escrow.contract.functions.vested_amount(expected_id, moment).call()
        assert on_chain == vested_amount(amount, schedule, False, moment), moment


def latest_timestamp(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def travel_to(deployed: Deployed, timestamp: int) -> None:
    """Make the next block (and so the next transaction) no earlier than `timestamp`."""
    deployed.tester.time_travel(timestamp)


def test_the_face_creates_claims_hands_over_and_revokes(deployed: Deployed) -> None:
    w3, escrow, admin = deployed.w3, deployed.escrow, deployed.admin
    beneficiary, heir = deployed.beneficiary, deployed.heir
    schedule = Schedule(start=latest_timestamp(w3) + 10, cliff=0, duration=400 * DAY)
    created = escrow.create_grant(
        admin, beneficiary.address, 4_000 * 10**18, schedule, revocable=True, reference=REFERENCE
    )
    assert created == grant_id(0, schedule, True)
    grant = escrow.grant(created)
    assert grant is not None
    assert (grant.number, grant.beneficiary, grant.amount, grant.claimed) == (
        0,
        beneficiary.address,
        4 * 10**21,
        0,
    )
    assert (grant.schedule, grant.revocable, grant.revoked) == (schedule, True, False)

    travel_to(deployed, schedule.start + 100 * DAY)
    paid = escrow.claim(beneficiary, created, heir.address)
    now = latest_timestamp(w3)
    assert paid == vested_amount(4_000 * 10**18, schedule, False, now) > 0
    after_claim = escrow.grant(created)
    assert after_claim is not None
    assert after_claim.claimed == paid
    assert after_claim.claimable(now) == 0

    escrow.transfer_grant(beneficiary, created, heir.address)
    assert [held.grant_id for held in escrow.grants_of(heir.address)] == [created]
    assert escrow.grants_of(beneficiary.address) == []
    (event,) = escrow.created_grants(references=[REFERENCE])
    assert (event.grant_id, event.beneficiary, event.amount) == (created, beneficiary.address, 4 * 10**21)
    assert (event.schedule, event.revocable) == (schedule, True)

    travel_to(deployed, schedule.start + 200 * DAY)
    returned = escrow.revoke(admin, created)
    revoked = escrow.grant(created)
    assert revoked is not None
    assert revoked.revoked
    assert returned == 4_000 * 10**18 - revoked.amount
    assert revoked.amount == vested_amount(4_000 * 10**18, schedule, False, latest_timestamp(w3))


def test_the_face_reads_grants_by_beneficiary_and_reference(deployed: Deployed) -> None:
    w3, escrow, admin = deployed.w3, deployed.escrow, deployed.admin
    beneficiary, heir = deployed.beneficiary, deployed.heir
    schedule = Schedule(start=latest_timestamp(w3), cliff=0, duration=DAY)
    first = escrow.create_grant(
        admin, beneficiary.address, 10, schedule, revocable=False, reference=REFERENCE
    )
    other = escrow.create_grant(admin, heir.address, 20, schedule, revocable=False)
    second = escrow.create_grant(admin, beneficiary.address, 30, schedule, revocable=True)
    assert [grant.grant_id for grant in escrow.grants_of(beneficiary.address)] == [first, second]
    assert [grant.grant_id for grant in escrow.grants_of(heir.address)] == [other]
    assert [event.grant_id for event in escrow.created_grants(references=[REFERENCE])] == [first]
    assert [event.grant_id for event in escrow.created_grants()] == [first, other, second]
    assert escrow.created_grants(references=[]) == []
    assert escrow.grant(first + 1) is None
    assert escrow.grant(2**256) is None


def test_refusals_come_back_with_the_contract_reason(deployed: Deployed) -> None:
    w3, escrow, admin = deployed.w3, deployed.escrow, deployed.admin
    beneficiary, heir = deployed.beneficiary, deployed.heir
    schedule = Schedule(start=latest_timestamp(w3), cliff=0, duration=DAY)
    created = escrow.create_grant(admin, beneficiary.address, 10, schedule, revocable=False)
    with pytest.raises(REVERTED, match="vesting: caller is not the beneficiary"):
        escrow.claim(heir, created)
    with pytest.raises(REVERTED, match="vesting: grant is irrevocable"):
        escrow.revoke(admin, created)
    with pytest.raises(VestingError, match="amount exceeds"):
        escrow.create_grant(admin, beneficiary.address, MAX_AMOUNT + 1, schedule, revocable=False)
    with pytest.raises(VestingError, match="32 bytes"):
        escrow.create_grant(admin, beneficiary.address, 1, schedule, revocable=False, reference=b"short")
