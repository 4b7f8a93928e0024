"""chain.treasury, the MultisigTreasury's Python face: digests equal to the contract's, owners' signatures
collected in the contract's order, and a relayer submitting through plain web3 on py-evm.
"""

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed as EthTesterTransactionFailed
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from web3 import EthereumTesterProvider, Web3

from chain import artifacts
from chain import treasury as treasury_module
from chain.eip712 import encode_type
from chain.intents import ZERO_ADDRESS, CustodyTransfer, IntentError, TreasuryTx, decode_intent
from chain.treasury import (
    SECP256K1_ORDER,
    CustodyTransferLog,
    OwnersCallFailed,
    SignatureError,
    Treasury,
    TreasuryError,
    TreasuryMessage,
    call_tx,
    check_onchain_signature,
    collect_signatures,
    rejection_tx,
    self_call_tx,
    sign_digest,
    signer_of,
    transfer_tx,
)
from tests.chain.test_intents import bytes32s, custody_transfers, treasury_txs
from tests.helpers.frost_signing import fixed_key, sign_with_key

pytestmark = pytest.mark.chain

DAY = 86_400
QUEUE_WINDOW = 14 * DAY
CUSTODY_LIMIT = 1_000
FUNDS = 10**9
OWNER_KEYS = [Account.from_key(keccak(text=f"chain treasury test owner {index}")) for index in range(4)]
CUSTODY_KEY = fixed_key(1_271)


@dataclasses.dataclass
class Deployed:
    w3: Web3
    treasury: Treasury
    token: Any
    owners: list[LocalAccount]
    relayer: LocalAccount


@pytest.fixture(scope="module")
def deployed(compiled_manifest: Path) -> Deployed:
    """A 2-of-3 treasury (owners: the first three OWNER_KEYS) on a fresh py-evm chain, holding a token, with
    the custody key allowed 1,000 base units a day, and a relayer that holds only gas money."""
    w3 = Web3(EthereumTesterProvider())
    funder = w3.eth.accounts[0]
    owners = OWNER_KEYS[:3]
    token_address, _ = artifacts.deploy(w3, "Token", "Test USD", "tUSD", 6, sender=funder)
    token = artifacts.contract(w3, "Token", token_address)
    point = CUSTODY_KEY[1].group_public_key
    treasury_address, _ = artifacts.deploy(
        w3,
        "MultisigTreasury",
        [owner.address for owner in owners],
        2,
        point.x,
        point.y,
        [(token_address, CUSTODY_LIMIT)],
        DAY,
        sender=funder,
    )
    token.functions.set_minter(funder, True).transact({"from": funder})
    token.functions.mint(treasury_address, FUNDS).transact({"from": funder})
    relayer = Account.from_key(keccak(text="chain treasury test relayer"))
    w3.eth.send_transaction({"from": funder, "to": relayer.address, "value": Web3.to_wei(100, "ether")})
    return Deployed(w3, Treasury(w3, treasury_address), token, owners, relayer)


# digests: Python == contract


@given(tx=treasury_txs)
def test_tx_digest_is_the_contracts(deployed: Deployed, tx: TreasuryTx) -> None:
    contract = deployed.treasury.contract.functions
    onchain = contract.tx_digest(tx.to, tx.token, tx.amount, tx.data, tx.nonce, tx.deadline).call()
    assert onchain == deployed.treasury.tx_digest(tx)


@given(transfer=custody_transfers)
def test_custody_digest_is_the_contracts(deployed: Deployed, transfer: CustodyTransfer) -> None:
    onchain = deployed.treasury.contract.functions.custody_digest(*transfer.to_message().values()).call()
    assert onchain == deployed.treasury.custody_digest(transfer)


@given(message_hash=bytes32s)
def test_message_digest_is_the_contracts(deployed: Deployed, message_hash: bytes) -> None:
    onchain = deployed.treasury.contract.functions.message_digest(message_hash).call()
    assert onchain == deployed.treasury.message_digest(message_hash)


def test_the_type_strings_bind_each_purpose() -> None:
    assert encode_type("CustodyTransfer", CustodyTransfer.eip712_types()) == (
        "CustodyTransfer(address to,address token,uint256 amount,uint256 nonce,uint256 deadline)"
    )
    assert encode_type("TreasuryMessage", TreasuryMessage.eip712_types()) == "TreasuryMessage(bytes32 hash)"
    fields: dict[str, Any] = {
        "to": ZERO_ADDRESS,
        "token": ZERO_ADDRESS,
        "amount": 1,
        "nonce": 2,
        "deadline": 3,
    }
    as_owners = TreasuryTx(data=b"", **fields).digest(1, ZERO_ADDRESS)
    assert CustodyTransfer(**fields).digest(1, ZERO_ADDRESS) != as_owners


def test_custody_transfers_decode_strictly() -> None:
    message = {"to": ZERO_ADDRESS, "token": ZERO_ADDRESS, "amount": "5", "nonce": 0, "deadline": 9}
    assert CustodyTransfer.from_json(message) == CustodyTransfer(ZERO_ADDRESS, ZERO_ADDRESS, 5, 0, 9)
    assert decode_intent("CustodyTransfer", message) == CustodyTransfer(ZERO_ADDRESS, ZERO_ADDRESS, 5, 0, 9)
    with pytest.raises(IntentError, match="unknown fields"):
        CustodyTransfer.from_json({**message, "data": "0x"})


def test_the_treasury_module_still_offers_the_custody_transfer_type() -> None:
    assert treasury_module.CustodyTransfer is CustodyTransfer


# owners' signatures


def test_sign_digest_makes_low_s_signatures_of_the_signer() -> None:
    for index in range(8):
        digest = keccak(index.to_bytes(32, "big"))
        signature = sign_digest(bytes(OWNER_KEYS[0].key), digest)
        assert len(signature) == 65
        assert int.from_bytes(signature[32:64], "big") <= SECP256K1_ORDER // 2
        assert signer_of(digest, signature) == OWNER_KEYS[0].address


def test_sign_digest_normalises_a_high_s_signature(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signing backend may return the high-s twin (r, n - s); the contract refuses it, so it is flipped."""
    digest = keccak(b"twin")
    low = Account.unsafe_sign_hash(digest, OWNER_KEYS[0].key)
    high = SimpleNamespace(r=low.r, s=SECP256K1_ORDER - low.s, v=55 - low.v)
    monkeypatch.setattr(Account, "unsafe_sign_hash", lambda *_: high)
    signature = sign_digest(bytes(OWNER_KEYS[0].key), digest)
    assert signature == low.r.to_bytes(32, "big") + low.s.to_bytes(32, "big") + bytes([low.v])


def test_signer_of_refuses_what_the_contract_refuses() -> None:
    digest = keccak(b"x")
    signature = sign_digest(bytes(OWNER_KEYS[0].key), digest)
    s = int.from_bytes(signature[32:64], "big")
    with pytest.raises(SignatureError, match="65 bytes"):
        signer_of(digest, signature[:64])
    with pytest.raises(SignatureError, match="v is 0"):
        signer_of(digest, signature[:64] + b"\x00")
    with pytest.raises(SignatureError, match="upper half"):
        signer_of(
            digest, signature[:32] + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([55 - signature[64]])
        )
    with pytest.raises(SignatureError, match="a digest is 32 bytes"):
        sign_digest(bytes(OWNER_KEYS[0].key), b"short")


def test_collect_sorts_by_signer_and_keeps_the_threshold() -> None:
    digest = keccak(b"tx")
    signatures = [sign_digest(bytes(owner.key), digest) for owner in OWNER_KEYS]
    owners = [owner.address for owner in OWNER_KEYS]
    blob = collect_signatures(digest, reversed(signatures), owners, 3)
    signers = [signer_of(digest, blob[index : index + 65]) for index in range(0, len(blob), 65)]
    assert (
        signers == sorted((owner.address for owner in OWNER_KEYS), key=lambda address: int(address, 16))[:3]
    )


def test_collect_refuses_strangers_repeats_and_shortfalls() -> None:
    digest = keccak(b"tx")
    owners = [owner.address for owner in OWNER_KEYS[:2]]
    first, second, stranger = (sign_digest(bytes(owner.key), digest) for owner in OWNER_KEYS[:3])
    with pytest.raises(SignatureError, match="is not an owner"):
        collect_signatures(digest, [first, stranger], owners, 2)
    with pytest.raises(SignatureError, match="signed twice"):
        collect_signatures(digest, [first, first], owners, 2)
    with pytest.raises(SignatureError, match="1 owners signed; the threshold is 2"):
        collect_signatures(digest, [second], owners, 2)


def test_orders_are_built_as_the_contract_reads_them(deployed: Deployed) -> None:
    transfer = transfer_tx(ZERO_ADDRESS, deployed.token.address, 5, 0, 10)
    assert (transfer.data, transfer.amount) == (b"", 5)
    call = call_tx(deployed.token.address, b"\x01\x02", 1, 10, value=7)
    assert (call.token, call.amount, call.data) == (ZERO_ADDRESS, 7, b"\x01\x02")
    threshold_call = deployed.treasury.contract.functions.set_threshold(1)
    own = self_call_tx(deployed.treasury.address, threshold_call, 2, 10)
    assert own.to == deployed.treasury.address
    assert own.data == bytes.fromhex(threshold_call._encode_transaction_data()[2:])
    with pytest.raises(TreasuryError, match="not to the treasury"):
        self_call_tx(deployed.token.address, threshold_call, 2, 10)


def test_onchain_signatures_are_three_ints() -> None:
    assert check_onchain_signature((1, 2, 3)) == (1, 2, 3)
    with pytest.raises(TreasuryError, match="three non-negative ints"):
        check_onchain_signature((1, 2))  # type: ignore[arg-type]


# submission by a relayer


def now(deployed: Deployed) -> int:
    return int(deployed.w3.eth.get_block("latest")["timestamp"])


def test_a_relayer_submits_the_owners_transfer(deployed: Deployed) -> None:
    face = deployed.treasury
    recipient = to_checksum_address("0x" + "ab" * 20)
    tx = transfer_tx(recipient, deployed.token.address, 300, face.owners_nonce(), now(deployed) + DAY)
    digest = face.tx_digest(tx)
    signatures = [sign_digest(bytes(owner.key), digest) for owner in deployed.owners]
    receipt = face.submit_with_owners(deployed.relayer, tx, face.collect(tx, signatures))
    (event,) = face.events(receipt)
    assert (event.event, event.args["nonce"], event.args["amount"]) == ("OwnersExecuted", tx.nonce, 300)
    assert event.args["digest"] == "0x" + digest.hex()
    assert deployed.token.functions.balanceOf(recipient).call() == 300
    assert face.owners_nonce() == tx.nonce + 1


def test_a_relayer_submits_and_queues_custody_transfers(deployed: Deployed) -> None:
    face = deployed.treasury
    token = deployed.token.address
    recipient = to_checksum_address("0x" + "cd" * 20)
    assert face.custody_key() == (CUSTODY_KEY[1].group_public_key.x, CUSTODY_KEY[1].group_public_key.y & 1)
    small = CustodyTransfer(recipient, token, 400, face.custody_nonce(token), now(deployed) + DAY)
    receipt = face.submit_with_custody(
        deployed.relayer, small, sign_with_key(CUSTODY_KEY, face.custody_digest(small)).onchain()
    )
    assert [event.event for event in face.events(receipt)] == ["CustodyTransferred"]
    assert face.custody_available(token) == CUSTODY_LIMIT - 400
    large = dataclasses.replace(small, amount=CUSTODY_LIMIT, nonce=small.nonce + 1)
    receipt = face.submit_with_custody(
        deployed.relayer, large, sign_with_key(CUSTODY_KEY, face.custody_digest(large)).onchain()
    )
    (queued,) = face.events(receipt)
    assert queued.event == "TransferQueued"
    assert face.queued_window(large) == (queued.args["eta"], queued.args["eta"] + QUEUE_WINDOW)
    with pytest.raises(EthTesterTransactionFailed, match="time lock has not passed"):
        face.submit_queued(deployed.relayer, large)
    deployed.w3.provider.ethereum_tester.time_travel(queued.args["eta"])  # type: ignore[attr-defined]
    receipt = face.submit_queued(deployed.relayer, large)
    assert [event.event for event in face.events(receipt)] == ["QueuedTransferExecuted"]
    assert deployed.token.functions.balanceOf(recipient).call() == 400 + CUSTODY_LIMIT
    assert face.queued_window(large) is None


def test_a_queued_transfer_past_its_window_is_refused(deployed: Deployed) -> None:
    face = deployed.treasury
    token = deployed.token.address
    late = CustodyTransfer(
        to_checksum_address("0x" + "ce" * 20),
        token,
        2 * CUSTODY_LIMIT,
        face.custody_nonce(token),
        now(deployed) + DAY,
    )
    face.submit_with_custody(
        deployed.relayer, late, sign_with_key(CUSTODY_KEY, face.custody_digest(late)).onchain()
    )
    window = face.queued_window(late)
    assert window is not None
    deployed.w3.provider.ethereum_tester.time_travel(window[1] + 1)  # type: ignore[attr-defined]
    with pytest.raises(EthTesterTransactionFailed, match="execution window has passed"):
        face.submit_queued(deployed.relayer, late)


def test_custody_transfers_are_read_back_with_the_tokens_own_amount(deployed: Deployed) -> None:
    face = deployed.treasury
    token = deployed.token.address
    deployed.w3.provider.ethereum_tester.time_travel(now(deployed) + DAY)  # type: ignore[attr-defined]
    first = int(deployed.w3.eth.block_number) + 1
    recipient = to_checksum_address("0x" + "c1" * 20)
    by_owners = transfer_tx(recipient, token, 300, face.owners_nonce(), now(deployed) + DAY)
    signatures = [sign_digest(bytes(owner.key), face.tx_digest(by_owners)) for owner in deployed.owners]
    face.submit_with_owners(deployed.relayer, by_owners, face.collect(by_owners, signatures))
    paid = CustodyTransfer(recipient, token, 250, face.custody_nonce(token), now(deployed) + DAY)
    receipt = face.submit_with_custody(
        deployed.relayer, paid, sign_with_key(CUSTODY_KEY, face.custody_digest(paid)).onchain()
    )
    (transferred,) = face.events(receipt)
    queued = dataclasses.replace(paid, amount=2 * CUSTODY_LIMIT, nonce=paid.nonce + 1)
    face.submit_with_custody(
        deployed.relayer, queued, sign_with_key(CUSTODY_KEY, face.custody_digest(queued)).onchain()
    )
    # the owners' transfer has no custody nonce and the queued one has moved nothing: neither is listed
    assert face.custody_transfers(token, first, int(deployed.w3.eth.block_number)) == [
        CustodyTransferLog(
            token=token,
            nonce=paid.nonce,
            to=recipient,
            amount=250,
            tx_hash=transferred.tx_hash,
            log_index=transferred.log_index,
            block_number=int(receipt["blockNumber"]),
        )
    ]
    assert (
        face.custody_transfers(token, int(receipt["blockNumber"]) + 1, int(deployed.w3.eth.block_number))
        == []
    )


def test_a_failed_owners_call_raises_and_spends_the_nonce(deployed: Deployed) -> None:
    face = deployed.treasury
    recipient = to_checksum_address("0x" + "ef" * 20)
    tx = transfer_tx(recipient, deployed.token.address, FUNDS * 2, face.owners_nonce(), now(deployed) + DAY)
    signatures = [sign_digest(bytes(owner.key), face.tx_digest(tx)) for owner in deployed.owners]
    with pytest.raises(OwnersCallFailed, match="token: transfer amount exceeds balance") as failed:
        face.submit_with_owners(deployed.relayer, tx, face.collect(tx, signatures))
    assert (failed.value.nonce, failed.value.reason) == (tx.nonce, "token: transfer amount exceeds balance")
    assert failed.value.receipt["status"] == 1
    assert face.owners_nonce() == tx.nonce + 1
    assert deployed.token.functions.balanceOf(recipient).call() == 0


def test_a_rejection_voids_a_signed_transaction(deployed: Deployed) -> None:
    face = deployed.treasury
    nonce, deadline = face.owners_nonce(), now(deployed) + DAY
    unwanted = transfer_tx(to_checksum_address("0x" + "fa" * 20), deployed.token.address, 1, nonce, deadline)
    rejection = rejection_tx(face.address, nonce, deadline)
    assert (rejection.to, rejection.token, rejection.amount, rejection.data) == (
        face.address,
        ZERO_ADDRESS,
        0,
        b"",
    )
    signed = {
        tx: face.collect(tx, [sign_digest(bytes(owner.key), face.tx_digest(tx)) for owner in deployed.owners])
        for tx in (unwanted, rejection)
    }
    receipt = face.submit_with_owners(deployed.relayer, rejection, signed[rejection])
    assert [event.event for event in face.events(receipt)] == ["Received", "OwnersExecuted"]
    with pytest.raises(EthTesterTransactionFailed, match="nonce is not the owners' next nonce"):
        face.submit_with_owners(deployed.relayer, unwanted, signed[unwanted])


def test_a_treasury_without_custody_key_is_refused_before_sending(compiled_manifest: Path) -> None:
    w3 = Web3(EthereumTesterProvider())
    funder = w3.eth.accounts[0]
    address, _ = artifacts.deploy(
        w3, "MultisigTreasury", [OWNER_KEYS[0].address], 1, 0, 0, [], DAY, sender=funder
    )
    transfer = CustodyTransfer(ZERO_ADDRESS, ZERO_ADDRESS, 1, 0, 1)
    with pytest.raises(TreasuryError, match="has no custody key"):
        Treasury(w3, address).execute_with_custody(transfer, (1, 2, 3))
