"""Tests of operator approvals: the EIP-712 message, strict signatures, operator sets, domain separation."""

from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from chain.eip712 import domain_separator, struct_hash, typed_data_digest
from custody.policy.approvals import (
    SIGN_APPROVAL_FIELDS,
    ApprovalTally,
    OperatorApproval,
    approval_message,
    approval_typed_data,
    recover_signer,
    sign_approval,
    tally_approvals,
)
from custody.policy.errors import InvalidApproval
from tests.helpers.policy import ALICE, BOB, CAROL, L1, L2, OUTSIDER, TREASURY, payment, request_id

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
DIGEST = payment(1).digest(L1, TREASURY)
REQUEST = request_id("approved")
OPERATORS: dict[str, str] = {ALICE.address: "alice", BOB.address: "bob", CAROL.address: "carol"}


def approve(
    account: Any,
    digest: bytes = DIGEST,
    request: bytes = REQUEST,
    chain_id: int = L1,
    contract: str = TREASURY,
) -> OperatorApproval:
    return sign_approval(account, digest, request, chain_id, contract)


def tally(approvals: list[OperatorApproval]) -> ApprovalTally:
    return tally_approvals(
        approvals,
        intent_digest=DIGEST,
        request_id=REQUEST,
        chain_id=L1,
        verifying_contract=TREASURY,
        operators=OPERATORS,
    )


def test_message_is_sign_approval_in_the_intents_domain() -> None:
    type_string = b"SignApproval(bytes32 intentDigest,bytes32 requestId)"
    assert SIGN_APPROVAL_FIELDS == (("intentDigest", "bytes32"), ("requestId", "bytes32"))
    expected_struct = keccak(keccak(type_string) + DIGEST + REQUEST)
    message = approval_message(DIGEST, REQUEST, L1, TREASURY)
    assert message.header == domain_separator("TPWallet", "1", L1, TREASURY)
    assert (
        message.body
        == expected_struct
        == struct_hash(
            "SignApproval",
            {"SignApproval": SIGN_APPROVAL_FIELDS},
            {"intentDigest": DIGEST, "requestId": REQUEST},
        )
    )


def test_wallet_signature_over_the_typed_data_is_a_valid_approval() -> None:
    """An operator's wallet (eth_signTypedData_v4 over the JSON typed data) makes an approval that counts."""
    typed = approval_typed_data(DIGEST, REQUEST, L1, TREASURY)
    signable = encode_typed_data(full_message=typed)
    assert signable.header == domain_separator("TPWallet", "1", L1, TREASURY)
    assert typed_data_digest(signable.header, signable.body) == keccak(
        b"\x19\x01" + signable.header + signable.body
    )
    signed = Account.sign_message(signable, ALICE.key)
    approval = OperatorApproval(ALICE.address, bytes(signed.signature))
    assert tally([approval]).approvers == ("alice",)


def test_valid_approvals_count_each_operator() -> None:
    result = tally([approve(ALICE), approve(CAROL)])
    assert result == ApprovalTally(approvers=("alice", "carol"), rejections=())


def test_outsider_is_not_counted() -> None:
    result = tally([approve(OUTSIDER)])
    assert result.approvers == ()
    assert result.rejections == (
        f"approval 0 (claimed by {OUTSIDER.address}): {OUTSIDER.address} is not one of this rule's operators",
    )


def test_duplicate_operator_counts_once() -> None:
    first = approve(BOB)
    result = tally([first, first, approve(BOB)])
    assert result.approvers == ("bob",)
    assert len(result.rejections) == 2
    assert all("bob already approved; counted once" in reason for reason in result.rejections)


def test_approval_claiming_another_operator_is_not_counted() -> None:
    """The outsider signs and writes alice's address on it: the recovered signer decides, not the claim."""
    forged = OperatorApproval(ALICE.address, approve(OUTSIDER).signature)
    result = tally([forged])
    assert result.approvers == ()
    assert f"signed by {OUTSIDER.address}, not by the operator it names" in result.rejections[0]


@pytest.mark.parametrize(
    ("what", "overrides"),
    [
        ("another intent digest", {"digest": payment(2).digest(L1, TREASURY)}),
        ("another request", {"request": request_id("other")}),
        ("another chain", {"chain_id": L2}),
        ("another contract", {"contract": BOB.address}),
    ],
)
def test_approval_for_another_domain_or_request_is_not_counted(what: str, overrides: dict[str, Any]) -> None:
    result = tally([approve(ALICE, **overrides), approve(BOB, **overrides)])
    assert result.approvers == (), what
    assert len(result.rejections) == 2
    assert all("not by the operator it names" in reason for reason in result.rejections)


def high_s(approval: OperatorApproval) -> OperatorApproval:
    """The same signature's other valid-looking encoding: s -> n - s and the recovery id flipped."""
    signature = approval.signature
    s = int.from_bytes(signature[32:64], "big")
    flipped = signature[:32] + (N - s).to_bytes(32, "big") + bytes([55 - signature[64]])
    return OperatorApproval(approval.operator, flipped)


def test_high_s_signature_is_refused_though_it_recovers() -> None:
    approval = approve(ALICE)
    malleated = high_s(approval)
    message = approval_message(DIGEST, REQUEST, L1, TREASURY)
    assert (
        Account.recover_message(message, signature=malleated.signature) == ALICE.address
    )  # eth_account allows it
    with pytest.raises(InvalidApproval, match="EIP-2"):
        recover_signer(malleated, message)
    assert tally([malleated]).approvers == ()


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda sig: sig[:64] + bytes([sig[64] - 27]), "not 27 or 28"),
        (lambda sig: bytes(32) + sig[32:], "r is out of range"),
        (lambda sig: N.to_bytes(32, "big") + sig[32:], "r is out of range"),
        (lambda sig: sig[:32] + bytes(32) + sig[64:], "s is not in the lower half"),
    ],
)
def test_non_canonical_signatures_are_refused(mangle: Any, reason: str) -> None:
    approval = approve(ALICE)
    mangled = OperatorApproval(ALICE.address, mangle(approval.signature))
    result = tally([mangled])
    assert result.approvers == ()
    assert reason in result.rejections[0]


def test_unrecoverable_signature_is_refused() -> None:
    """An r that is no curve point's x coordinate recovers no key."""
    approval = approve(ALICE)
    r = 5  # 5^3 + 7 is not a square mod p: no point has x = 5
    mangled = OperatorApproval(ALICE.address, r.to_bytes(32, "big") + approval.signature[32:])
    result = tally([mangled])
    assert result.approvers == ()
    assert result.rejections == (
        f"approval 0 (claimed by {ALICE.address}): no public key recovers from this signature",
    )


def test_json_round_trip_and_strict_decoding() -> None:
    approval = approve(CAROL)
    assert OperatorApproval.from_json(approval.to_json()) == approval
    good = approval.to_json()
    for bad in (
        {**good, "extra": 1},
        {"operator": good["operator"]},
        {**good, "operator": good["operator"].lower()},
        {**good, "signature": good["signature"][2:]},
        {**good, "signature": good["signature"][:-2]},
        {**good, "signature": "0x" + "zz" * 65},
        {**good, "signature": 5},
        [good],
    ):
        with pytest.raises(InvalidApproval):
            OperatorApproval.from_json(bad)
