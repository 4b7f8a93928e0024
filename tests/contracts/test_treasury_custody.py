"""MultisigTreasury.vy, the custody key's side: transfers within the 24-hour limit, the queue, every refusal.

The custody group signs `CustodyTransfer`s with real FROST signatures (conftest `custody_key`, 2-of-3). The
limit rule under test: a transfer is immediate only if the custody outflow of the token on the previous and
the current day (timestamp // 86400), this transfer included, stays within the limit; otherwise it is queued
for `delay` seconds, executable by anyone after, cancellable by the owners, void after a custody key change.
The queue's execution window, frozen tokens and the queue's cap are in `test_treasury_queue.py`.
"""

import dataclasses
from typing import Any

import ape
import pytest

from chain.intents import ZERO_ADDRESS, TreasuryTx
from tests.chain.test_eip712_contract import executing_chain_id
from tests.helpers.frost_signing import fixed_key, sign_with_key
from tests.helpers.treasury import (
    DAY,
    ETHER_LIMIT,
    HOUR,
    QUEUE_DELAY,
    TOKEN_LIMIT,
    TreasuryDriver,
    deploy_twin,
    queue,
    travel_to,
)

pytestmark = pytest.mark.chain

NOT_CUSTODY = "treasury: not the custody key, or a token custody may not move"
DOES_NOT_VERIFY = "treasury: the custody signature does not verify"
WRONG_NONCE = "treasury: nonce is not the token's next custody nonce"
NO_SUCH_QUEUED = "treasury: no such queued transfer (never queued, executed or cancelled)"
FORK_CHAIN_ID = 4242
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_custody_moves_a_token_within_the_limit(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 400 * 10**6)
    receipt = treasury.custody_execute(transfer)
    contract = treasury.contract
    assert treasury_token.balanceOf(recipient) == 400 * 10**6
    assert receipt.events.filter(contract.CustodyTransferred) == [
        contract.CustodyTransferred(token=treasury_token.address, nonce=0)
    ]
    assert receipt.events.filter(treasury_token.Transfer) == [
        treasury_token.Transfer(sender=contract.address, receiver=recipient.address, value=400 * 10**6)
    ]
    assert contract.custody_nonce(treasury_token) == 1
    assert contract.custody_available(treasury_token) == TOKEN_LIMIT - 400 * 10**6
    assert contract.custody_state(treasury_token) == (
        True,
        1,
        at_noon // DAY,
        400 * 10**6,
        TOKEN_LIMIT - 400 * 10**6,
    )


def test_custody_sends_ether_within_the_limit(treasury: TreasuryDriver, recipient: Any, at_noon: int) -> None:
    before = recipient.balance
    receipt = treasury.custody_execute(
        treasury.custody_transfer(recipient.address, ZERO_ADDRESS, ETHER_LIMIT)
    )
    assert recipient.balance == before + ETHER_LIMIT
    assert receipt.events.filter(treasury.contract.CustodyTransferred) == [
        treasury.contract.CustodyTransferred(token=ZERO_ADDRESS, nonce=0)
    ]
    assert treasury.contract.custody_available(ZERO_ADDRESS) == 0


def test_each_token_has_its_own_nonces(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    """Payouts in different tokens can be signed concurrently: their nonces do not interfere."""
    token_transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 10)
    ether_transfer = treasury.custody_transfer(recipient.address, ZERO_ADDRESS, 10)
    assert token_transfer.nonce == ether_transfer.nonce == 0
    treasury.custody_execute(ether_transfer)
    treasury.custody_execute(token_transfer)
    assert treasury.contract.custody_nonce(treasury_token) == 1
    assert treasury.contract.custody_nonce(ZERO_ADDRESS) == 1


def test_owners_and_custody_nonces_are_separate(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    """A hot-wallet payout never voids the owners' pending transaction, nor the reverse."""
    owners_tx = treasury.transfer_tx(recipient.address, treasury_token.address, 1)
    owners_blob = treasury.owner_signatures(owners_tx)
    treasury.custody_execute(treasury.custody_transfer(recipient.address, treasury_token.address, 2))
    treasury.execute(owners_tx, owners_blob)
    treasury.custody_execute(treasury.custody_transfer(recipient.address, treasury_token.address, 3))
    assert treasury_token.balanceOf(recipient) == 6


# the 24-hour limit


def test_a_transfer_beyond_the_limit_is_queued(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, receipt = queue(treasury, recipient.address, treasury_token.address, TOKEN_LIMIT + 1)
    contract = treasury.contract
    transfer_id = treasury.transfer_id(transfer)
    eta = receipt.timestamp + QUEUE_DELAY
    assert receipt.events.filter(contract.TransferQueued) == [
        contract.TransferQueued(
            transfer_id=transfer_id,
            token=treasury_token.address,
            to=recipient.address,
            amount=TOKEN_LIMIT + 1,
            nonce=0,
            eta=eta,
        )
    ]
    assert not receipt.events.filter(contract.CustodyTransferred)
    assert treasury_token.balanceOf(recipient) == 0
    assert contract.queued_eta(transfer_id) == eta
    assert contract.custody_nonce(treasury_token) == 1  # the signature is used up
    assert contract.custody_available(treasury_token) == TOKEN_LIMIT  # queued transfers do not count


def test_the_limit_counts_every_transfer_of_the_day(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    token = treasury_token.address
    for _ in range(4):
        treasury.custody_execute(treasury.custody_transfer(recipient.address, token, TOKEN_LIMIT // 4))
    queue(treasury, recipient.address, token, 1)
    assert treasury_token.balanceOf(recipient) == TOKEN_LIMIT


def test_yesterdays_outflow_still_counts_today(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    """The whole limit at 23:00 leaves nothing at 01:00 the next day (two hours later), all of it the day
    after: no 24 hours ever see more than the limit."""
    token = treasury_token.address
    day = treasury.chain.blocks.head.timestamp // DAY + 1
    travel_to(treasury.chain, day * DAY + 23 * HOUR)
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, TOKEN_LIMIT))
    travel_to(treasury.chain, (day + 1) * DAY + HOUR)
    assert treasury.contract.custody_available(token) == 0
    queue(treasury, recipient.address, token, 1)
    travel_to(treasury.chain, (day + 2) * DAY)
    assert treasury.contract.custody_available(token) == TOKEN_LIMIT
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, TOKEN_LIMIT))
    assert treasury_token.balanceOf(recipient) == 2 * TOKEN_LIMIT


def test_only_the_previous_day_carries_over(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    token = treasury_token.address
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, 600 * 10**6))
    travel_to(treasury.chain, at_noon + DAY)
    assert treasury.contract.custody_available(token) == TOKEN_LIMIT - 600 * 10**6
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, 300 * 10**6))
    travel_to(treasury.chain, at_noon + 2 * DAY)
    assert treasury.contract.custody_available(token) == TOKEN_LIMIT - 300 * 10**6
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, TOKEN_LIMIT - 300 * 10**6))
    queue(treasury, recipient.address, token, 1)


def test_lowering_the_limit_applies_at_once(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    token = treasury_token.address
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, 600 * 10**6))
    treasury.configure("set_custody_limit", token, 400 * 10**6)
    assert treasury.contract.custody_state(token)[4] == -200 * 10**6  # spent more than the new limit allows
    assert treasury.contract.custody_available(token) == 0
    queue(treasury, recipient.address, token, 1)
    treasury.configure("set_custody_limit", token, 700 * 10**6)
    assert treasury.contract.custody_available(token) == 100 * 10**6
    treasury.custody_execute(treasury.custody_transfer(recipient.address, token, 100 * 10**6))
    queue(treasury, recipient.address, token, 1)


# the queue


def test_a_queued_transfer_runs_after_the_delay_for_anyone(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, treasury_outsider: Any, at_noon: int
) -> None:
    transfer, receipt = queue(treasury, recipient.address, treasury_token.address, 5_000 * 10**6)
    eta = receipt.timestamp + QUEUE_DELAY
    treasury.chain.pending_timestamp = eta - 1
    with ape.reverts("treasury: the queued transfer's time lock has not passed"):
        treasury.execute_queued(transfer)
    treasury.chain.pending_timestamp = eta
    executed = treasury.execute_queued(transfer, sender=treasury_outsider)
    contract = treasury.contract
    assert executed.events.filter(contract.QueuedTransferExecuted) == [
        contract.QueuedTransferExecuted(transfer_id=treasury.transfer_id(transfer))
    ]
    assert treasury_token.balanceOf(recipient) == 5_000 * 10**6
    assert contract.queued_eta(treasury.transfer_id(transfer)) == 0
    with ape.reverts(NO_SUCH_QUEUED):
        treasury.execute_queued(transfer)


def test_queued_ether_is_sent(treasury: TreasuryDriver, recipient: Any, at_noon: int) -> None:
    transfer, _ = queue(treasury, recipient.address, ZERO_ADDRESS, 2 * ETHER_LIMIT)
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    before = recipient.balance
    treasury.execute_queued(transfer)
    assert recipient.balance == before + 2 * ETHER_LIMIT


def test_only_a_queued_transfer_can_be_executed(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, _ = queue(treasury, recipient.address, treasury_token.address, 5_000 * 10**6)
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    for forged in (
        dataclasses.replace(transfer, amount=transfer.amount + 1),
        dataclasses.replace(transfer, to=treasury.relayer.address),
        dataclasses.replace(transfer, nonce=1),
    ):
        with ape.reverts(NO_SUCH_QUEUED):
            treasury.execute_queued(forged)


def test_owners_cancel_a_queued_transfer(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, _ = queue(treasury, recipient.address, treasury_token.address, 5_000 * 10**6)
    transfer_id = treasury.transfer_id(transfer)
    receipt = treasury.configure("cancel_queued", transfer_id)
    contract = treasury.contract
    assert receipt.events.filter(contract.QueuedTransferCancelled) == [
        contract.QueuedTransferCancelled(transfer_id=transfer_id)
    ]
    assert contract.queued_eta(transfer_id) == 0
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    with ape.reverts(NO_SUCH_QUEUED):
        treasury.execute_queued(transfer)
    assert treasury.configure_failing("cancel_queued", transfer_id) == NO_SUCH_QUEUED


def test_a_custody_key_change_voids_the_queue(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    transfer, _ = queue(treasury, recipient.address, treasury_token.address, 5_000 * 10**6)
    treasury.configure("set_custody_key", *fixed_key(31337)[1].group_public_key.coordinates())
    assert treasury.contract.queued_eta(treasury.transfer_id(transfer)) == 0
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    with ape.reverts("treasury: the queued transfer was voided by a custody key change"):
        treasury.execute_queued(transfer)


def test_the_delay_in_force_when_queued_applies(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, at_noon: int
) -> None:
    treasury.configure("set_delay", 3 * DAY)
    transfer, receipt = queue(treasury, recipient.address, treasury_token.address, 5_000 * 10**6)
    assert treasury.contract.queued_eta(treasury.transfer_id(transfer)) == receipt.timestamp + 3 * DAY


# refusals of the custody path, each with its reason


def test_an_expired_custody_transfer_is_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 1)
    signature = treasury.custody_sign(transfer)
    travel_to(treasury.chain, transfer.deadline + 1)
    with ape.reverts("treasury: the transfer's deadline has passed"):
        treasury.custody_execute(transfer, signature)


def test_another_groups_key_is_refused(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    """A valid FROST signature by a key the owners did not install finds no custody state."""
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 1)
    with ape.reverts(NOT_CUSTODY):
        treasury.custody_execute(transfer, key=fixed_key(666))


def test_the_key_with_the_wrong_parity_is_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, custody_key: Any
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 1)
    rx, ry, z = treasury.custody_sign(transfer)
    point = custody_key[1].group_public_key
    with ape.reverts(NOT_CUSTODY):
        treasury.contract.execute_with_custody(
            *transfer.to_message().values(), point.x, 1 - (point.y & 1), rx, ry, z, sender=treasury.relayer
        )


def test_an_unconfigured_token_is_refused(
    project: Any, deployer: Any, treasury: TreasuryDriver, recipient: Any
) -> None:
    other = project.Token.deploy("Other", "OTH", 18, sender=deployer)
    with ape.reverts(NOT_CUSTODY):
        treasury.custody_execute(treasury.custody_transfer(recipient.address, other.address, 1))


def test_a_wrong_custody_nonce_is_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    with ape.reverts(WRONG_NONCE):
        treasury.custody_execute(
            treasury.custody_transfer(recipient.address, treasury_token.address, 1, nonce=1)
        )


def test_a_signature_over_other_fields_does_not_verify(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 100)
    signature = treasury.custody_sign(transfer)
    for changed in (
        dataclasses.replace(transfer, amount=101),
        dataclasses.replace(transfer, to=treasury.relayer.address),
        dataclasses.replace(transfer, deadline=transfer.deadline + 1),
    ):
        with ape.reverts(DOES_NOT_VERIFY):
            treasury.custody_execute(changed, signature)


def test_malformed_custody_signatures_are_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 1)
    rx, ry, z = treasury.custody_sign(transfer)
    with ape.reverts("schnorr: z is not in [1, n)"):
        treasury.custody_execute(transfer, (rx, ry, 0))
    with ape.reverts("schnorr: z is not in [1, n)"):
        treasury.custody_execute(transfer, (rx, ry, N))
    with ape.reverts("schnorr: R is not on the curve"):
        treasury.custody_execute(transfer, (rx, ry + 1, z))


def test_custody_cannot_send_to_the_zero_address(treasury: TreasuryDriver, treasury_token: Any) -> None:
    with ape.reverts("treasury: the recipient is the zero address"):
        treasury.custody_execute(treasury.custody_transfer(ZERO_ADDRESS, treasury_token.address, 1))


def test_ether_a_recipient_refuses_fails_the_transfer(
    treasury: TreasuryDriver, treasury_token: Any, at_noon: int
) -> None:
    with ape.reverts("treasury: the ether transfer failed"):  # Token.vy has no payable default function
        treasury.custody_execute(treasury.custody_transfer(treasury_token.address, ZERO_ADDRESS, 1))


# replay and purpose binding


def test_a_custody_signature_runs_once(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 100)
    signature = treasury.custody_sign(transfer)
    treasury.custody_execute(transfer, signature)
    with ape.reverts(WRONG_NONCE):
        treasury.custody_execute(transfer, signature)
    with ape.reverts(DOES_NOT_VERIFY):
        treasury.custody_execute(dataclasses.replace(transfer, nonce=1), signature)
    assert treasury_token.balanceOf(recipient) == 100


def test_a_signature_for_one_token_does_not_move_another(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 100)
    with ape.reverts(DOES_NOT_VERIFY):
        treasury.custody_execute(
            dataclasses.replace(transfer, token=ZERO_ADDRESS), treasury.custody_sign(transfer)
        )


def test_a_signature_for_another_treasury_or_chain_does_not_verify(
    project: Any, deployer: Any, treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    twin_driver = deploy_twin(
        project, deployer, treasury, treasury_token, [(treasury_token.address, TOKEN_LIMIT)]
    )
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 100)
    with ape.reverts(DOES_NOT_VERIFY):
        twin_driver.custody_execute(transfer, treasury.custody_sign(transfer))
    with ape.reverts(DOES_NOT_VERIFY):
        treasury.custody_execute(transfer, treasury.custody_sign(transfer, chain_id=FORK_CHAIN_ID))
    with executing_chain_id(treasury.chain, FORK_CHAIN_ID):
        forked = treasury.contract.custody_digest(*transfer.to_message().values())
    assert forked == transfer.digest(FORK_CHAIN_ID, treasury.address)


def test_a_custody_signature_of_an_owners_order_moves_nothing(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, custody_key: Any
) -> None:
    """The custody key signing a TreasuryTx (say, a coordinator tricked it) authorises no custody transfer:
    the type hash binds each signature to its purpose."""
    transfer = treasury.custody_transfer(recipient.address, treasury_token.address, 100)
    owners_order = TreasuryTx(
        to=transfer.to,
        token=transfer.token,
        amount=transfer.amount,
        data=b"",
        nonce=transfer.nonce,
        deadline=transfer.deadline,
    )
    signature = sign_with_key(custody_key, owners_order.digest(treasury.chain_id, treasury.address)).onchain()
    with ape.reverts(DOES_NOT_VERIFY):
        treasury.custody_execute(transfer, signature)


# tokens that do not follow ERC-20 to the letter, and reentrancy


def test_custody_moves_a_token_that_returns_nothing(
    project: Any, deployer: Any, treasury: TreasuryDriver, recipient: Any
) -> None:
    usdt_like = project.NoReturnToken.deploy(sender=deployer)
    usdt_like.mint(treasury.contract, 1_000, sender=deployer)
    treasury.configure("set_custody_limit", usdt_like.address, 1_000)
    treasury.custody_execute(treasury.custody_transfer(recipient.address, usdt_like.address, 700))
    assert usdt_like.balanceOf(recipient) == 700


def test_custody_refuses_a_token_that_returns_false(
    project: Any, deployer: Any, treasury: TreasuryDriver, recipient: Any
) -> None:
    false_token = project.FalseReturnToken.deploy(sender=deployer)
    false_token.mint(treasury.contract, 10, sender=deployer)
    treasury.configure("set_custody_limit", false_token.address, 1_000)
    with ape.reverts("treasury: the token transfer returned false"):
        treasury.custody_execute(treasury.custody_transfer(recipient.address, false_token.address, 11))


def test_a_recipient_cannot_reenter(
    project: Any, deployer: Any, treasury: TreasuryDriver, at_noon: int
) -> None:
    """An ether recipient calling back into the treasury during its payment is refused by the guard, on the
    custody path and on the queue's; the payment itself goes through, and the queued transfer later too."""
    receiver = project.ReentrantReceiver.deploy(sender=deployer)
    queued, _ = queue(treasury, receiver.address, ZERO_ADDRESS, 2 * ETHER_LIMIT)
    travel_to(treasury.chain, at_noon + QUEUE_DELAY + 1)
    receiver.arm(treasury.contract, queued.to, queued.token, queued.amount, queued.nonce, sender=deployer)
    receipt = treasury.custody_execute(treasury.custody_transfer(receiver.address, ZERO_ADDRESS, 10))
    assert receipt.events.filter(receiver.ReentryAttempted) == [receiver.ReentryAttempted(succeeded=False)]
    assert receiver.balance == 10
    second, _ = queue(treasury, receiver.address, ZERO_ADDRESS, 3 * ETHER_LIMIT)
    receiver.arm(treasury.contract, second.to, second.token, second.amount, second.nonce, sender=deployer)
    receipt = treasury.execute_queued(queued)
    assert receipt.events.filter(receiver.ReentryAttempted) == [receiver.ReentryAttempted(succeeded=False)]
    assert receiver.balance == 10 + 2 * ETHER_LIMIT
    assert treasury.contract.queued_eta(treasury.transfer_id(second)) > 0
