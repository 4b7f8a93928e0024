"""Operator approvals: EIP-712 signatures by named people that let a large intent past an approval rule.

An operator approves one request by signing the typed message ``SignApproval(bytes32 intentDigest, bytes32
requestId)`` in the intent's own domain (name "TPWallet", version "1", the intent's chainId and
verifyingContract), with an ordinary Ethereum account: a hardware wallet's ``eth_signTypedData_v4`` over
`approval_typed_data` or `sign_approval` in Python. Binding the intent's digest, the request id and the
domain means an approval counts for exactly one intent of one request on one contract of one chain: it cannot
be replayed for another amount, another request, or the same order on another chain or contract.

Checking (`tally_approvals`) is strict, because an approval is authority: the 65-byte signature must be
``r || s || v`` with ``v`` in {27, 28} and a low ``s`` (EIP-2: each approval has one valid encoding), the
recovered signer must be the operator the approval names, that operator must be in the rule's operator set,
and one operator approving twice counts once.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from eth_account import Account
from eth_account.messages import SignableMessage
from eth_account.signers.local import LocalAccount
from eth_utils import is_checksum_address

from chain.eip712 import DOMAIN_FIELDS, DOMAIN_TYPE, domain_separator, struct_hash
from chain.intents import DOMAIN_NAME, DOMAIN_VERSION
from custody.policy.errors import InvalidApproval

SIGN_APPROVAL_TYPE: Final = "SignApproval"
SIGN_APPROVAL_FIELDS: Final = (("intentDigest", "bytes32"), ("requestId", "bytes32"))
SIGNATURE_LENGTH: Final = 65

_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_EIP712_VERSION_BYTE: Final = b"\x01"


@dataclass(frozen=True)
class OperatorApproval:
    """One operator's signature approving one request: who claims to have signed it, and the signature."""

    operator: str
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.operator, str) or not is_checksum_address(self.operator):
            raise InvalidApproval("an approval's operator must be an EIP-55 checksummed address")
        if not isinstance(self.signature, bytes) or len(self.signature) != SIGNATURE_LENGTH:
            raise InvalidApproval(f"an approval's signature must be {SIGNATURE_LENGTH} bytes (r || s || v)")

    @classmethod
    def from_json(cls, data: Any) -> "OperatorApproval":
        """Decode `{"operator": "0x<checksummed>", "signature": "0x<130 hex digits>"}`, nothing looser."""
        if not isinstance(data, Mapping) or set(data) != {"operator", "signature"}:
            raise InvalidApproval('an approval is an object with exactly "operator" and "signature"')
        signature = data["signature"]
        if not isinstance(signature, str) or not signature.startswith("0x"):
            raise InvalidApproval("an approval's signature must be a 0x-prefixed hex string")
        try:
            raw = bytes.fromhex(signature[2:])
        except ValueError:
            raise InvalidApproval("an approval's signature is not hex") from None
        return cls(operator=data["operator"], signature=raw)

    def to_json(self) -> dict[str, str]:
        """The JSON form `from_json` reads."""
        return {"operator": self.operator, "signature": "0x" + self.signature.hex()}


def approval_message(
    intent_digest: bytes, request_id: bytes, chain_id: int, verifying_contract: str
) -> SignableMessage:
    """The EIP-712 message an operator signs to approve `request_id` for the intent with `intent_digest`."""
    separator = domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, verifying_contract)
    body = struct_hash(
        SIGN_APPROVAL_TYPE,
        {SIGN_APPROVAL_TYPE: SIGN_APPROVAL_FIELDS},
        {"intentDigest": intent_digest, "requestId": request_id},
    )
    return SignableMessage(version=_EIP712_VERSION_BYTE, header=separator, body=body)


def approval_typed_data(
    intent_digest: bytes, request_id: bytes, chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The same message as JSON typed data, for a wallet's ``eth_signTypedData_v4``."""
    types = {DOMAIN_TYPE: DOMAIN_FIELDS, SIGN_APPROVAL_TYPE: SIGN_APPROVAL_FIELDS}
    return {
        "types": {
            name: [{"name": field, "type": typ} for field, typ in fields] for name, fields in types.items()
        },
        "primaryType": SIGN_APPROVAL_TYPE,
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        "message": {"intentDigest": "0x" + intent_digest.hex(), "requestId": "0x" + request_id.hex()},
    }


def sign_approval(
    account: LocalAccount, intent_digest: bytes, request_id: bytes, chain_id: int, verifying_contract: str
) -> OperatorApproval:
    """Approve `request_id` for the intent with `intent_digest` as the operator holding `account`."""
    signed = account.sign_message(approval_message(intent_digest, request_id, chain_id, verifying_contract))
    return OperatorApproval(operator=account.address, signature=bytes(signed.signature))


def recover_signer(approval: OperatorApproval, message: SignableMessage) -> str:
    """The address that made `approval.signature` over `message`; InvalidApproval if it is not canonical."""
    signature = approval.signature
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    if v not in (27, 28):
        raise InvalidApproval(f"v is {v}, not 27 or 28")
    if not 0 < r < _SECP256K1_N:
        raise InvalidApproval("r is out of range")
    if not 0 < s <= _SECP256K1_N // 2:
        raise InvalidApproval("s is not in the lower half of the curve order (EIP-2)")
    try:
        signer: str = Account.recover_message(message, signature=signature)
    except Exception:  # eth_keys raises several types for an unrecoverable point
        raise InvalidApproval("no public key recovers from this signature") from None
    return signer


@dataclass(frozen=True)
class ApprovalTally:
    """Which operators validly approved (distinct names, sorted) and why each other approval did not count."""

    approvers: tuple[str, ...]
    rejections: tuple[str, ...]


def tally_approvals(
    approvals: Iterable[OperatorApproval],
    *,
    intent_digest: bytes,
    request_id: bytes,
    chain_id: int,
    verifying_contract: str,
    operators: Mapping[str, str],
) -> ApprovalTally:
    """Count the distinct operators of `operators` (address -> name) whose approvals verify here."""
    message = approval_message(intent_digest, request_id, chain_id, verifying_contract)
    approvers: set[str] = set()
    rejections: list[str] = []
    for index, approval in enumerate(approvals):
        label = f"approval {index} (claimed by {approval.operator})"
        try:
            signer = recover_signer(approval, message)
        except InvalidApproval as exc:
            rejections.append(f"{label}: {exc}")
            continue
        if signer != approval.operator:
            rejections.append(
                f"{label}: signed by {signer}, not by the operator it names "
                "(or signed for another intent, request, chain or contract)"
            )
        elif signer not in operators:
            rejections.append(f"{label}: {signer} is not one of this rule's operators")
        elif operators[signer] in approvers:
            rejections.append(f"{label}: {operators[signer]} already approved; counted once")
        else:
            approvers.add(operators[signer])
    return ApprovalTally(approvers=tuple(sorted(approvers)), rejections=tuple(rejections))
