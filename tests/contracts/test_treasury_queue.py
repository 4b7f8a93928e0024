"""MultisigTreasury.vy's queue of custody transfers under the configuration in force when they run.

A queued transfer may be executed from its eta for QUEUE_WINDOW seconds, never after (cancelling stays
possible); a token whose limit is 0 is frozen: the custody key can neither move nor queue it, and nothing
queued of it runs until the limit is raised; at most MAX_QUEUED_TRANSFERS wait at once.
"""

from typing import Any

import ape
import pytest

from chain.intents import ZERO_ADDRESS
from tests.helpers.frost_signing import fixed_key
from tests.helpers.treasury import (
    DAY,
    QUEUE_DELAY,
    TOKEN_LIMIT,
    TreasuryDriver,
    queue,
    travel_to,
)

pytestmark = pytest.mark.chain

QUEUE_WINDOW = 14 * DAY
MAX_QUEUED_TRANSFERS = 64
EXPIRED = "treasury: the queued transfer's execution window has passed (it can only be cancelled)"
FROZEN = "treasury: custody transfers of the token are frozen (its limit is 0)"
FULL = "treasury: the queue is full (MAX_QUEUED_TRANSFERS wait); execute or cancel queued transfers first"
LARGE = 5_000 * 10**6
"""Five times the daily limit: always queued."""


def test_the_window_and_the_cap_are_published(treasury: TreasuryDriver) -> None:
    assert treasury.contract.QUEUE_WINDOW() == QUEUE_WINDOW
    assert treasury.contract.MAX_QUEUED_TRANSFERS() == MAX_QUEUED_TRANSFERS


def test_a_queued_transfer_runs_until_the_end_of_its_window(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, receipt = queue(treasury, recipient.address, treasury_token.address, LARGE)
    treasury.chain.pending_timestamp = receipt.timestamp + QUEUE_DELAY + QUEUE_WINDOW
    treasury.execute_queued(transfer)
    assert treasury_token.balanceOf(recipient) == LARGE


def test_a_queued_transfer_expires_and_can_still_be_cancelled(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, receipt = queue(treasury, recipient.address, treasury_token.address, LARGE)
    assert treasury.contract.queued_count() == 1
    travel_to(treasury.chain, receipt.timestamp + QUEUE_DELAY + QUEUE_WINDOW + 1)
    with ape.reverts(EXPIRED):
        treasury.execute_queued(transfer)
    transfer_id = treasury.transfer_id(transfer)
    cancelled = treasury.configure("cancel_queued", transfer_id)
    assert cancelled.events.filter(treasury.contract.QueuedTransferCancelled) == [
        treasury.contract.QueuedTransferCancelled(transfer_id=transfer_id)
    ]
    assert treasury.contract.queued_count() == 0
    assert treasury_token.balanceOf(recipient) == 0


def test_a_transfer_400_days_late_with_the_limit_at_zero_is_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    """The reviewers' case: queued, the token then frozen, executed 400 days later."""
    transfer, _ = queue(treasury, recipient.address, treasury_token.address, LARGE)
    treasury.configure("set_custody_limit", treasury_token.address, 0)
    travel_to(treasury.chain, transfer.deadline + 400 * DAY)
    with ape.reverts(EXPIRED):
        treasury.execute_queued(transfer)
    assert treasury_token.balanceOf(recipient) == 0


def test_a_frozen_token_can_be_neither_moved_nor_queued(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    token = treasury_token.address
    treasury.configure("set_custody_limit", token, 0)
    assert treasury.contract.custody_available(token) == 0
    for amount in (0, 1, LARGE):
        transfer = treasury.custody_transfer(recipient.address, token, amount)
        with ape.reverts(FROZEN):
            treasury.custody_execute(transfer)
    assert treasury.contract.custody_nonce(token) == 0  # the signatures stay unused
    treasury.configure("set_custody_limit", token, TOKEN_LIMIT)
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, 1))
    assert treasury_token.balanceOf(recipient) == 1


def test_a_frozen_token_holds_its_queued_transfers_until_the_limit_is_raised(
    treasury: TreasuryDriver, recipient: Any, at_noon: int
) -> None:
    transfer, _ = queue(treasury, recipient.address, ZERO_ADDRESS, 5 * 10**18)
    treasury.configure("set_custody_limit", ZERO_ADDRESS, 0)
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    with ape.reverts(FROZEN):
        treasury.execute_queued(transfer)
    treasury.configure("set_custody_limit", ZERO_ADDRESS, 1)
    before = recipient.balance
    treasury.execute_queued(transfer)
    assert recipient.balance == before + 5 * 10**18


@pytest.mark.slow
def test_the_queue_is_capped(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    """A full queue refuses more; executing or cancelling frees a place, a key change frees them all."""
    token = treasury_token.address
    queued = [
        queue(treasury, recipient.address, token, LARGE + index)[0] for index in range(MAX_QUEUED_TRANSFERS)
    ]
    contract = treasury.contract
    assert contract.queued_count() == MAX_QUEUED_TRANSFERS
    extra = treasury.custody_transfer(recipient.address, token, LARGE)
    signature = treasury.custody_sign(extra)
    with ape.reverts(FULL):
        treasury.custody_execute(extra, signature)
    treasury.configure("cancel_queued", treasury.transfer_id(queued[0]))
    treasury.custody_execute(extra, signature)  # queued in the freed place
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    treasury.execute_queued(queued[1])
    assert contract.queued_count() == MAX_QUEUED_TRANSFERS - 1
    queue(treasury, recipient.address, token, LARGE)
    with ape.reverts(FULL):
        treasury.custody_execute(treasury.custody_transfer(recipient.address, token, LARGE))
    treasury.configure("set_custody_key", *fixed_key(31337)[1].group_public_key.coordinates())
    assert contract.queued_count() == 0
    treasury.configure("cancel_queued", treasury.transfer_id(queued[2]))  # voided: frees nothing more
    assert contract.queued_count() == 0
