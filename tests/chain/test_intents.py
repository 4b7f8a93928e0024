"""chain.intents: type strings, digests held equal to eth-account's, and strict JSON decoding."""

import json
import re
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from chain.intents import (
    INTENT_TYPES,
    ZERO_ADDRESS,
    Anchor,
    BridgeBatch,
    CustodyTransfer,
    Intent,
    IntentError,
    Permit,
    TreasuryTx,
    decode_intent,
)

VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
uint8s = st.integers(0, 2**8 - 1)
uint64s = st.integers(0, 2**64 - 1)
uint256s = st.integers(0, 2**256 - 1)
bytes32s = st.binary(min_size=32, max_size=32)

treasury_txs = st.builds(
    TreasuryTx,
    to=addresses,
    token=st.one_of(st.just(ZERO_ADDRESS), addresses),
    amount=uint256s,
    data=st.binary(max_size=300),
    nonce=uint256s,
    deadline=uint256s,
)
custody_transfers = st.builds(
    CustodyTransfer,
    to=addresses,
    token=st.one_of(st.just(ZERO_ADDRESS), addresses),
    amount=uint256s,
    nonce=uint256s,
    deadline=uint256s,
)
anchors = st.builds(
    Anchor, kind=uint8s, seq=uint64s, root=bytes32s, count=uint64s, total=uint256s, prev_root=bytes32s
)
bridge_batches = st.builds(
    BridgeBatch,
    src_chain_id=uint256s,
    dst_chain_id=uint256s,
    src_bridge=addresses,
    dst_bridge=addresses,
    seq=uint64s,
    root=bytes32s,
    count=uint64s,
    prev_root=bytes32s,
)
permits = st.builds(
    Permit, owner=addresses, spender=addresses, value=uint256s, nonce=uint256s, deadline=uint256s
)
intents = st.one_of(treasury_txs, custody_transfers, anchors, bridge_batches, permits)
domains = st.fixed_dictionaries(
    {
        "chain_id": uint256s,
        "verifying_contract": addresses,
        "name": st.text(min_size=1, max_size=30),
        "version": st.text(min_size=1, max_size=5),
    }
)


def eth_account_digest(signable: Any) -> bytes:
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sample_anchor(**changes: Any) -> Anchor:
    fields: dict[str, Any] = {
        "kind": 1,
        "seq": 7,
        "root": b"\x11" * 32,
        "count": 3,
        "total": 10**24,
        "prev_root": b"\x22" * 32,
    }
    fields.update(changes)
    return Anchor(**fields)


@pytest.mark.parametrize(
    ("intent_type", "type_string"),
    [
        (
            TreasuryTx,
            "TreasuryTx(address to,address token,uint256 amount,bytes data,uint256 nonce,uint256 deadline)",
        ),
        (
            CustodyTransfer,
            "CustodyTransfer(address to,address token,uint256 amount,uint256 nonce,uint256 deadline)",
        ),
        (Anchor, "Anchor(uint8 kind,uint64 seq,bytes32 root,uint64 count,uint256 total,bytes32 prevRoot)"),
        (
            BridgeBatch,
            "BridgeBatch(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,"
            "uint64 seq,bytes32 root,uint64 count,bytes32 prevRoot)",
        ),
        (Permit, "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
    ],
)
def test_type_strings_are_those_the_contracts_hash(intent_type: type[Intent], type_string: str) -> None:
    ((primary, fields),) = intent_type.eip712_types().items()
    assert f"{primary}({','.join(f'{typ} {name}' for name, typ in fields)})" == type_string


def test_registry_names_every_intent() -> None:
    assert set(INTENT_TYPES) == {"TreasuryTx", "CustodyTransfer", "Anchor", "BridgeBatch", "Permit"}
    assert all(name == cls.PRIMARY_TYPE for name, cls in INTENT_TYPES.items())


@given(intent=intents, domain=domains)
def test_digest_matches_eth_account(intent: Intent, domain: dict[str, Any]) -> None:
    expected = encode_typed_data(
        domain_data={
            "name": domain["name"],
            "version": domain["version"],
            "chainId": domain["chain_id"],
            "verifyingContract": domain["verifying_contract"],
        },
        message_types={
            name: [{"name": n, "type": t} for n, t in fields]
            for name, fields in intent.eip712_types().items()
        },
        message_data=intent.to_message(),
    )
    assert intent.digest(**domain) == eth_account_digest(expected)


@given(intent=intents, domain=domains)
def test_typed_data_json_hashes_to_the_digest(intent: Intent, domain: dict[str, Any]) -> None:
    typed_data = json.loads(json.dumps(intent.typed_data(**domain)))
    assert eth_account_digest(encode_typed_data(full_message=typed_data)) == intent.digest(**domain)


def test_a_wallet_signature_over_typed_data_recovers_to_its_signer() -> None:
    signer = Account.create()
    permit = Permit(owner=signer.address, spender=ALICE, value=5, nonce=0, deadline=2**40)
    signed = Account.sign_typed_data(signer.key, full_message=permit.typed_data(1, VERIFIER, name="Test USD"))
    digest = permit.digest(1, VERIFIER, name="Test USD")
    assert Account._recover_hash(digest, signature=signed.signature) == signer.address


@given(intent=intents)
def test_json_round_trip(intent: Intent) -> None:
    decoded = decode_intent(intent.PRIMARY_TYPE, json.loads(json.dumps(intent.to_json())))
    assert decoded == intent
    assert type(decoded) is type(intent)


@given(intent=intents)
def test_json_round_trip_with_uint256_as_decimal_strings(intent: Intent) -> None:
    """The API's spelling: every uint256 a decimal string (exact in any JSON parser), other uints numbers."""
    message = intent.to_json(uint256_as_string=True)
    (fields,) = intent.eip712_types().values()
    for name, solidity_type in fields:
        if solidity_type.startswith("uint"):
            assert isinstance(message[name], str if solidity_type == "uint256" else int)
    assert decode_intent(intent.PRIMARY_TYPE, json.loads(json.dumps(message))) == intent


def test_default_domain_is_tpwallet_version_1() -> None:
    anchor = sample_anchor()
    assert anchor.digest(31337, VERIFIER) == anchor.digest(31337, VERIFIER, name="TPWallet", version="1")
    assert anchor.typed_data(31337, VERIFIER)["domain"] == {
        "name": "TPWallet",
        "version": "1",
        "chainId": 31337,
        "verifyingContract": VERIFIER,
    }


def test_the_digest_binds_chain_contract_and_every_field() -> None:
    anchor = sample_anchor()
    digests = {
        anchor.digest(31337, VERIFIER),
        anchor.digest(31338, VERIFIER),
        anchor.digest(31337, ALICE),
        anchor.digest(31337, VERIFIER, name="Other"),
        anchor.digest(31337, VERIFIER, version="2"),
        sample_anchor(kind=2).digest(31337, VERIFIER),
        sample_anchor(seq=8).digest(31337, VERIFIER),
        sample_anchor(root=b"\x33" * 32).digest(31337, VERIFIER),
        sample_anchor(count=4).digest(31337, VERIFIER),
        sample_anchor(total=10**24 + 1).digest(31337, VERIFIER),
        sample_anchor(prev_root=b"\x44" * 32).digest(31337, VERIFIER),
    }
    assert len(digests) == 11


def test_string_integers_decode_like_json_integers() -> None:
    message = sample_anchor().to_json()
    as_strings = dict(message, seq="7", total=str(10**24))
    assert Anchor.from_json(as_strings) == sample_anchor()


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"kind": 256}, "Anchor.kind: 256 is out of range for uint8"),
        ({"seq": -1}, "Anchor.seq: -1 is out of range for uint64"),
        ({"count": 2**64}, f"Anchor.count: {2**64} is out of range for uint64"),
        ({"total": 2**256}, f"Anchor.total: {2**256} is out of range for uint256"),
        ({"seq": True}, "Anchor.seq: needs an integer, got bool"),
        ({"seq": 7.0}, "Anchor.seq: needs an integer, got float"),
        ({"seq": None}, "Anchor.seq: needs an integer, got NoneType"),
        ({"seq": "07"}, "Anchor.seq: a string integer must be at most 78 decimal digits, no leading zero"),
        ({"seq": "+7"}, "Anchor.seq: a string integer must be"),
        ({"seq": " 7"}, "Anchor.seq: a string integer must be"),
        ({"seq": "0x07"}, "Anchor.seq: a string integer must be"),
        ({"seq": "7" * 79}, "Anchor.seq: a string integer must be"),
        ({"root": "0x" + "11" * 31}, "Anchor.root: needs exactly 32 bytes"),
        ({"root": "0x" + "11" * 33}, "Anchor.root: needs exactly 32 bytes"),
        ({"root": "11" * 32}, "Anchor.root: needs a 0x-prefixed hex string of whole bytes"),
        ({"root": "0x" + "1" * 63}, "Anchor.root: needs a 0x-prefixed hex string of whole bytes"),
        ({"root": "0x" + "zz" * 32}, "Anchor.root: needs a 0x-prefixed hex string of whole bytes"),
        ({"prevRoot": 0}, "Anchor.prevRoot: needs a 0x-prefixed hex string of whole bytes"),
    ],
)
def test_malformed_json_values_are_refused(changes: dict[str, Any], error: str) -> None:
    message = dict(sample_anchor().to_json(), **changes)
    with pytest.raises(IntentError, match=re.escape(error)):
        Anchor.from_json(message)


def treasury_tx_json(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "to": ALICE,
        "token": ZERO_ADDRESS,
        "amount": 10**18,
        "data": "0x",
        "nonce": 0,
        "deadline": 2**32,
    }
    message.update(changes)
    return message


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (treasury_tx_json(to=ALICE.lower()), "TreasuryTx.to: not an EIP-55 checksummed address"),
        (treasury_tx_json(to=ALICE.upper().replace("0X", "0x")), "TreasuryTx.to: not an EIP-55 checksummed"),
        (treasury_tx_json(to=ALICE[:-1]), "TreasuryTx.to: not an EIP-55 checksummed address"),
        (treasury_tx_json(token=None), "TreasuryTx.token: not an EIP-55 checksummed address"),
        (treasury_tx_json(data="0x0"), "TreasuryTx.data: needs a 0x-prefixed hex string of whole bytes"),
        (treasury_tx_json(data=[]), "TreasuryTx.data: needs a 0x-prefixed hex string of whole bytes"),
        ({k: v for k, v in treasury_tx_json().items() if k != "nonce"}, "missing fields ['nonce']"),
        (treasury_tx_json(chainId=1), "TreasuryTx: missing fields [], unknown fields ['chainId']"),
    ],
)
def test_malformed_treasury_txs_are_refused(message: dict[str, Any], error: str) -> None:
    with pytest.raises(IntentError, match=re.escape(error)):
        TreasuryTx.from_json(message)


def test_call_data_decodes_from_hex_in_either_case() -> None:
    assert TreasuryTx.from_json(treasury_tx_json(data="0xA9059cbb")).data == bytes.fromhex("a9059cbb")


def test_a_json_message_must_be_an_object() -> None:
    with pytest.raises(IntentError, match="the message must be a JSON object"):
        BridgeBatch.from_json([1, 2, 3])  # type: ignore[arg-type]


def test_unknown_intent_types_are_refused() -> None:
    with pytest.raises(IntentError, match="unknown intent type 'Transfer'"):
        decode_intent("Transfer", {})


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: sample_anchor(root=b"\x11" * 31), "Anchor.root: needs exactly 32 bytes"),
        (lambda: sample_anchor(root="0x" + "11" * 32), "Anchor.root: needs exactly 32 bytes"),
        (lambda: sample_anchor(kind=-1), "Anchor.kind: -1 is out of range for uint8"),
        (lambda: sample_anchor(total="1"), "Anchor.total: needs an int, got str"),
        (
            lambda: TreasuryTx(to=ALICE.lower(), token=ZERO_ADDRESS, amount=1, data=b"", nonce=0, deadline=1),
            "TreasuryTx.to: not an EIP-55 checksummed address",
        ),
        (
            lambda: TreasuryTx(
                to=ALICE,
                token=ZERO_ADDRESS,
                amount=1,
                data="0x",  # type: ignore[arg-type]
                nonce=0,
                deadline=1,
            ),
            "TreasuryTx.data: needs bytes, got str",
        ),
    ],
)
def test_constructing_an_invalid_intent_fails(build: Any, error: str) -> None:
    with pytest.raises(IntentError, match=re.escape(error)):
        build()


@pytest.mark.parametrize(
    ("domain", "error"),
    [
        ({"chain_id": -1, "verifying_contract": VERIFIER}, "domain.chainId: -1 is out of range for uint256"),
        ({"chain_id": 1, "verifying_contract": VERIFIER.lower()}, "domain.verifyingContract: not an EIP-55"),
    ],
)
def test_a_malformed_domain_is_refused(domain: dict[str, Any], error: str) -> None:
    with pytest.raises(IntentError, match=re.escape(error)):
        sample_anchor().digest(**domain)
    with pytest.raises(IntentError, match=re.escape(error)):
        sample_anchor().typed_data(**domain)


def test_intents_are_immutable() -> None:
    anchor = sample_anchor()
    with pytest.raises(AttributeError):
        anchor.seq = 8  # type: ignore[misc]
