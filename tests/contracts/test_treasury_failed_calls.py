"""MultisigTreasury.vy, owners' transactions whose call fails: Safe's semantics, and the relayer who starves.

A call or token transfer that fails consumes the owners' nonce and logs `OwnersExecutionFailed` with its
revert data, so the signed transaction can never run again (say, once the treasury holds enough for it, long
after the owners gave up on it). A call that fails having used up the gas it was given may only have been
starved by whoever sent it: that reverts the whole transaction, which can then be sent again with more gas; a
call that always burns all its gas is voided by a rejection, another transaction at the same nonce.
"""

from typing import Any

import ape
import pytest

from chain.intents import ZERO_ADDRESS
from tests.helpers.treasury import TOKEN_FUNDS, TreasuryDriver

pytestmark = pytest.mark.chain

WRONG_NONCE = "treasury: nonce is not the owners' next nonce"
STARVED = "treasury: the call ran out of gas; send the transaction again with a higher gas limit"
SLOTS = 20
"""What the hungry call writes: 20 fresh storage slots, about 450,000 gas."""
STARVING_GAS = 250_000
"""A gas limit that covers the treasury's own work but not the hungry call."""


@pytest.fixture
def hungry(project: Any, deployer: Any) -> Any:
    return project.GasHungryTarget.deploy(sender=deployer)


def test_a_failed_transfer_is_never_replayed(
    treasury: TreasuryDriver, treasury_token: Any, deployer: Any, recipient: Any
) -> None:
    """The reviewers' case: a transfer the treasury cannot cover fails; once it could, the same signatures
    still move nothing."""
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, TOKEN_FUNDS + 1)
    blob = treasury.owner_signatures(tx)
    args = (tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline, blob)
    assert treasury.contract.execute_with_owners.call(*args, sender=treasury.relayer) is False
    assert treasury.execute_failing(tx, blob) == "token: transfer amount exceeds balance"
    treasury_token.mint(treasury.contract, 1, sender=deployer)
    with ape.reverts(WRONG_NONCE):
        treasury.submit(tx, blob)
    assert treasury_token.balanceOf(recipient) == 0
    follow_up = treasury.transfer_tx(recipient.address, treasury_token.address, 1)
    assert follow_up.nonce == 1
    assert treasury.contract.execute_with_owners.call(
        follow_up.to,
        follow_up.token,
        follow_up.amount,
        follow_up.data,
        follow_up.nonce,
        follow_up.deadline,
        treasury.owner_signatures(follow_up),
        sender=treasury.relayer,
    )


def test_a_call_starved_of_gas_reverts_and_can_be_sent_again(treasury: TreasuryDriver, hungry: Any) -> None:
    tx = treasury.transfer_tx(hungry.address, ZERO_ADDRESS, 0, data=bytes(hungry.work.encode_input(SLOTS)))
    blob = treasury.owner_signatures(tx)
    with ape.reverts(STARVED):
        treasury.submit(tx, blob, gas=STARVING_GAS)
    assert treasury.contract.owners_nonce() == 0
    assert hungry.counter() == 0
    receipt = treasury.execute(tx, blob)
    assert receipt.events.filter(hungry.Worked) == [hungry.Worked(slots=SLOTS)]
    assert hungry.counter() == SLOTS


def test_a_call_starved_one_call_deeper_also_reverts(treasury: TreasuryDriver, hungry: Any) -> None:
    """The target catches its own starved inner call and reverts with a reason, handing back about 2/64 of
    the gas: still taken for starvation, not for a final failure."""
    data = bytes(hungry.work_through_self.encode_input(SLOTS))
    tx = treasury.transfer_tx(hungry.address, ZERO_ADDRESS, 0, data=data)
    blob = treasury.owner_signatures(tx)
    with ape.reverts(STARVED):
        treasury.submit(tx, blob, gas=STARVING_GAS)
    assert treasury.contract.owners_nonce() == 0
    treasury.execute(tx, blob)
    assert hungry.counter() == SLOTS


def test_a_call_that_burns_all_gas_is_voided_by_a_rejection(treasury: TreasuryDriver, hungry: Any) -> None:
    """No gas limit makes the call succeed or fail with gas to spare, so the transaction stays pending; the
    owners void it by executing a rejection (a no-op to the treasury) at its nonce."""
    tx = treasury.transfer_tx(hungry.address, ZERO_ADDRESS, 0, data=bytes(hungry.burn.encode_input()))
    blob = treasury.owner_signatures(tx)
    with ape.reverts(STARVED):
        treasury.submit(tx, blob, gas=2_000_000)
    rejection = treasury.transfer_tx(treasury.address, ZERO_ADDRESS, 0)
    assert rejection.nonce == tx.nonce
    receipt = treasury.execute(rejection)
    contract = treasury.contract
    assert receipt.events.filter(contract.OwnersExecuted) == [
        contract.OwnersExecuted(
            nonce=tx.nonce,
            digest=rejection.digest(treasury.chain_id, treasury.address),
            to=treasury.address,
            token=ZERO_ADDRESS,
            amount=0,
        )
    ]
    with ape.reverts(WRONG_NONCE):
        treasury.submit(tx, blob, gas=2_000_000)
