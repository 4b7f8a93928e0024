"""MultisigTreasury.vy, the owners' side: TreasuryTx execution, refusals with their reasons, replay, EIP-1271.

The treasury under test is 2-of-3 (conftest `treasury`); owners sign in Python as a wallet would, a relayer
with no role submits. Configuration changes (owners, threshold, delay, limits, custody key) and the outsider's
attempts are in `test_treasury_admin.py`; the custody key's side in `test_treasury_custody.py`.
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import ape
import pytest
from eth_account import Account
from eth_utils import keccak

from chain.intents import ZERO_ADDRESS
from chain.treasury import TreasuryMessage, sign_digest
from tests.chain.test_eip712_contract import executing_chain_id
from tests.helpers.treasury import (
    ETHER_FUNDS,
    HOUR,
    OWNER_COUNT,
    THRESHOLD,
    TOKEN_FUNDS,
    TreasuryDriver,
    deploy_twin,
)

pytestmark = pytest.mark.chain

SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
EIP1271_MAGIC_VALUE = bytes.fromhex("1626ba7e")
FORK_CHAIN_ID = 4242
PAYOUT = 250 * 10**6

NOT_OWNER = "treasury: a signer is not an owner"
WRONG_NONCE = "treasury: nonce is not the owners' next nonce"
UNSORTED = "treasury: signers are not in ascending order (or one signed twice)"


def signature_parts(blob: bytes) -> list[bytes]:
    return [blob[index : index + 65] for index in range(0, len(blob), 65)]


def test_owners_transfer_a_token(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    receipt = treasury.execute(tx)
    contract = treasury.contract
    assert treasury_token.balanceOf(recipient) == PAYOUT
    assert treasury_token.balanceOf(contract) == TOKEN_FUNDS - PAYOUT
    assert contract.owners_nonce() == 1
    assert receipt.events.filter(contract.OwnersExecuted) == [
        contract.OwnersExecuted(
            nonce=0,
            digest=tx.digest(treasury.chain_id, treasury.address),
            to=recipient.address,
            token=treasury_token.address,
            amount=PAYOUT,
        )
    ]
    assert receipt.events.filter(treasury_token.Transfer) == [
        treasury_token.Transfer(sender=contract.address, receiver=recipient.address, value=PAYOUT)
    ]


def test_owners_send_ether(treasury: TreasuryDriver, recipient: Any) -> None:
    before = recipient.balance
    treasury.execute(treasury.transfer_tx(recipient.address, ZERO_ADDRESS, 3 * 10**18))
    assert recipient.balance == before + 3 * 10**18
    assert treasury.contract.balance == ETHER_FUNDS - 3 * 10**18


def test_owners_make_a_call_with_data(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    """With token = zero, `data` is a call: here the treasury approves a spender on the token."""
    approve = bytes(treasury_token.approve.encode_input(recipient.address, 77))
    treasury.execute(treasury.transfer_tx(treasury_token.address, ZERO_ADDRESS, 0, data=approve))
    assert treasury_token.allowance(treasury.contract, recipient) == 77


def test_a_failing_call_consumes_the_nonce_and_logs_its_reason(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    """Safe's semantics: the call fails, the signed transaction is spent all the same (nonce consumed,
    OwnersExecutionFailed with the revert data); the transfer-too-much call sends nothing."""
    too_much = bytes(treasury_token.transfer.encode_input(recipient.address, TOKEN_FUNDS + 1))
    tx = treasury.transfer_tx(treasury_token.address, ZERO_ADDRESS, 0, data=too_much)
    assert treasury.execute_failing(tx) == "token: transfer amount exceeds balance"
    assert treasury_token.balanceOf(recipient) == 0


def test_more_signatures_than_the_threshold_are_accepted(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    treasury.execute(tx, treasury.owner_signatures(tx, treasury.owners))
    assert treasury_token.balanceOf(recipient) == PAYOUT


def test_any_threshold_subset_of_owners_signs(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    for signers in ([0, 1], [0, 2], [1, 2]):
        tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
        treasury.execute(tx, treasury.owner_signatures(tx, [treasury.owners[index] for index in signers]))
    assert treasury_token.balanceOf(recipient) == 3 * PAYOUT


def test_the_relayer_needs_no_role(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, treasury_outsider: Any
) -> None:
    """Anyone may carry signed transactions: the signatures are the authority, not the sender."""
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    treasury.execute(tx, sender=treasury_outsider)
    assert treasury_token.balanceOf(recipient) == PAYOUT


# refusals of the owners' path, each with its reason


def test_an_expired_transaction_is_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    treasury.chain.mine(timestamp=tx.deadline + 1)
    with ape.reverts("treasury: the transaction's deadline has passed"):
        treasury.execute(tx)


def test_the_deadline_second_itself_is_still_valid(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    treasury.chain.pending_timestamp = tx.deadline
    treasury.execute(tx)
    assert treasury_token.balanceOf(recipient) == PAYOUT


def test_a_wrong_nonce_is_refused(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    with ape.reverts(WRONG_NONCE):
        treasury.execute(treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT, nonce=1))


def test_signatures_must_be_whole(treasury: TreasuryDriver, treasury_token: Any, recipient: Any) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    blob = treasury.owner_signatures(tx)
    with ape.reverts("treasury: signatures are not 65 bytes each"):
        treasury.execute(tx, blob[:-1])


def test_fewer_signatures_than_the_threshold_are_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts("treasury: fewer signatures than the threshold"):
        treasury.execute(tx, treasury.owner_signatures(tx, treasury.owners[:1]))
    with ape.reverts("treasury: fewer signatures than the threshold"):
        treasury.execute(tx, b"")


@pytest.mark.parametrize(
    "arrange",
    [lambda first, second: second + first, lambda first, second: first + first],
    ids=["signers out of order", "one owner signing twice"],
)
def test_signatures_not_strictly_ascending_are_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any, arrange: Callable[[bytes, bytes], bytes]
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    first, second = signature_parts(treasury.owner_signatures(tx))
    with ape.reverts(UNSORTED):
        treasury.execute(tx, arrange(first, second))


def test_a_non_owner_signature_is_refused(
    treasury: TreasuryDriver, treasury_owners: list[Any], treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    stranger = treasury_owners[OWNER_COUNT]  # an owner of nothing here
    with ape.reverts(NOT_OWNER):
        treasury.execute(tx, treasury.owner_signatures(tx, [treasury.owners[0], stranger]))


def test_a_signature_over_other_fields_recovers_no_owner(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    blob = treasury.owner_signatures(tx)
    for changed in (
        dataclasses.replace(tx, amount=PAYOUT + 1),
        dataclasses.replace(tx, to=treasury.address),
        dataclasses.replace(tx, deadline=tx.deadline + 1),
        dataclasses.replace(tx, token=ZERO_ADDRESS),
    ):
        with ape.reverts(NOT_OWNER):
            treasury.execute(changed, blob)


def test_malleable_and_malformed_signatures_are_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    first, second = signature_parts(treasury.owner_signatures(tx))
    r, s, v = first[:32], int.from_bytes(first[32:64], "big"), first[64]
    high_s = r + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - v])  # the valid twin, refused
    with ape.reverts("ecdsa: s is in the upper half of the order"):
        treasury.execute(tx, high_s + second if first < second else second + high_s)
    with ape.reverts("ecdsa: v is not 27 or 28"):
        treasury.execute(tx, first[:64] + bytes([v - 27]) + second)
    with ape.reverts("ecdsa: signature recovers no signer"):
        treasury.execute(tx, bytes(32) + first[32:] + second)


def test_a_transfer_to_the_zero_address_is_refused(treasury: TreasuryDriver, treasury_token: Any) -> None:
    with ape.reverts("treasury: the recipient is the zero address"):
        treasury.execute(treasury.transfer_tx(ZERO_ADDRESS, treasury_token.address, PAYOUT))


def test_a_token_transfer_carries_no_data(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    with ape.reverts("treasury: a token transfer carries no call data"):
        treasury.execute(
            treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT, data=b"\x01")
        )


def test_a_token_without_code_is_refused(
    treasury: TreasuryDriver, recipient: Any, treasury_outsider: Any
) -> None:
    with ape.reverts("treasury: the token has no code"):
        treasury.execute(treasury.transfer_tx(recipient.address, treasury_outsider.address, PAYOUT))


def test_ether_beyond_the_balance_fails_the_call(treasury: TreasuryDriver, recipient: Any) -> None:
    before = recipient.balance
    treasury.execute_failing(treasury.transfer_tx(recipient.address, ZERO_ADDRESS, ETHER_FUNDS + 1))
    assert recipient.balance == before
    assert treasury.contract.balance == ETHER_FUNDS


# tokens that do not follow ERC-20 to the letter


def test_a_token_that_returns_nothing_transfers(
    project: Any, deployer: Any, treasury: TreasuryDriver, recipient: Any
) -> None:
    usdt_like = project.NoReturnToken.deploy(sender=deployer)
    usdt_like.mint(treasury.contract, 1_000, sender=deployer)
    treasury.execute(treasury.transfer_tx(recipient.address, usdt_like.address, 400))
    assert usdt_like.balanceOf(recipient) == 400
    assert usdt_like.balanceOf(treasury.contract) == 600


def test_a_token_that_returns_false_fails_the_transfer(
    project: Any, deployer: Any, treasury: TreasuryDriver, recipient: Any
) -> None:
    """A `false` from the token is a failed transfer: the nonce is consumed and the failure logged with the
    token's answer (an ABI-encoded false) as its data."""
    false_token = project.FalseReturnToken.deploy(sender=deployer)
    false_token.mint(treasury.contract, 1_000, sender=deployer)
    failed = treasury.execute_failing(treasury.transfer_tx(recipient.address, false_token.address, 1_001))
    assert failed == "0x" + "00" * 32
    treasury.execute(treasury.transfer_tx(recipient.address, false_token.address, 1_000))
    assert false_token.balanceOf(recipient) == 1_000


# replay


def test_an_executed_transaction_cannot_run_again(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    blob = treasury.owner_signatures(tx)
    treasury.execute(tx, blob)
    with ape.reverts(WRONG_NONCE):
        treasury.execute(tx, blob)
    with ape.reverts(NOT_OWNER):  # the same signatures do not cover the next nonce
        treasury.execute(dataclasses.replace(tx, nonce=1), blob)
    assert treasury_token.balanceOf(recipient) == PAYOUT


def test_signatures_for_another_treasury_are_refused(
    project: Any, deployer: Any, treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    """Same owners, nonce and fields: the digest binds the verifying contract, so nothing carries over."""
    twin = deploy_twin(project, deployer, treasury, treasury_token, []).contract
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    blob = treasury.owner_signatures(tx)
    with ape.reverts(NOT_OWNER):
        twin.execute_with_owners(
            tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline, blob, sender=deployer
        )
    treasury.execute(tx, blob)


def test_signatures_for_another_chain_are_refused(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    with ape.reverts(NOT_OWNER):
        treasury.execute(tx, treasury.owner_signatures(tx, chain_id=FORK_CHAIN_ID))
    with executing_chain_id(treasury.chain, FORK_CHAIN_ID):
        forked = treasury.contract.tx_digest(tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline)
    assert forked == tx.digest(FORK_CHAIN_ID, treasury.address)
    assert forked != tx.digest(treasury.chain_id, treasury.address)


def test_the_contract_digest_is_the_python_digest(treasury: TreasuryDriver, recipient: Any) -> None:
    tx = treasury.transfer_tx(recipient.address, ZERO_ADDRESS, 5, data=b"\xde\xad", nonce=9, deadline=123)
    onchain = treasury.contract.tx_digest(tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline)
    assert onchain == tx.digest(treasury.chain_id, treasury.address)


# EIP-1271


def test_owners_vouch_for_a_message(treasury: TreasuryDriver) -> None:
    message_hash = keccak(text="an order on some exchange")
    digest = TreasuryMessage(hash=message_hash).digest(treasury.chain_id, treasury.address)
    assert treasury.contract.message_digest(message_hash) == digest
    signatures = sorted(
        (sign_digest(bytes(owner.key), digest) for owner in treasury.owners[:THRESHOLD]),
        key=lambda signature: int(Account._recover_hash(digest, signature=signature), 16),
    )
    assert treasury.contract.isValidSignature(message_hash, b"".join(signatures)) == EIP1271_MAGIC_VALUE


def test_a_message_signature_needs_the_threshold(treasury: TreasuryDriver) -> None:
    message_hash = keccak(text="an order on some exchange")
    digest = treasury.contract.message_digest(message_hash)
    with ape.reverts("treasury: fewer signatures than the threshold"):
        treasury.contract.isValidSignature(message_hash, sign_digest(bytes(treasury.owners[0].key), digest))


def test_bare_hash_signatures_do_not_vouch(treasury: TreasuryDriver) -> None:
    """Owners who sign the bare hash (or a TreasuryTx digest) have not vouched for it: purposes stay apart."""
    message_hash = keccak(text="an order on some exchange")
    bare = b"".join(
        sorted(
            (sign_digest(bytes(owner.key), message_hash) for owner in treasury.owners[:THRESHOLD]),
            key=lambda signature: int(Account._recover_hash(message_hash, signature=signature), 16),
        )
    )
    with ape.reverts(NOT_OWNER):
        treasury.contract.isValidSignature(message_hash, bare)


def test_treasury_tx_signatures_do_not_vouch_for_its_digest(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    digest = tx.digest(treasury.chain_id, treasury.address)
    with ape.reverts(NOT_OWNER):
        treasury.contract.isValidSignature(digest, treasury.owner_signatures(tx))


def test_deadline_bounds_pending_signatures(
    treasury: TreasuryDriver, treasury_token: Any, recipient: Any
) -> None:
    """A signed but unsent transaction stops being executable at its deadline, without any owner acting."""
    tx = treasury.transfer_tx(recipient.address, treasury_token.address, PAYOUT)
    blob = treasury.owner_signatures(tx)
    treasury.chain.mine(deltatime=2 * HOUR)
    with ape.reverts("treasury: the transaction's deadline has passed"):
        treasury.execute(tx, blob)
