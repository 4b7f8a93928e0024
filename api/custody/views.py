"""The public views of stored custody rows: what the routes answer (`api.custody.schemas`)."""

from api.custody.schemas import ApprovalOut, GroupKeyOut, KeyOut, SignatureOut, SignRequestOut
from api.custody.store import prefixed_hex
from api.models import CustodyKey, CustodySignRequest
from custody.frost import PublicKeyPackage, Signature
from custody.frost.group import scalar_to_bytes
from custody.protocol.signing import IntentEnvelope


def key_view(row: CustodyKey) -> KeyOut:
    """The public view of a stored key."""
    package = PublicKeyPackage.from_bytes(row.public_key_package)
    x, y = package.group_public_key.coordinates()
    assert package.min_signers is not None  # every package a ceremony makes has its threshold
    return KeyOut(
        key_id=row.key_id,
        group_public_key=GroupKeyOut(
            compressed=prefixed_hex(package.group_public_key.to_bytes()),
            x=prefixed_hex(scalar_to_bytes(x)),
            y=prefixed_hex(scalar_to_bytes(y)),
        ),
        threshold=package.min_signers,
        participants=list(package.verifying_shares),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def signature_view(serialized: str) -> SignatureOut:
    """A stored 65-byte signature, in every form callers use."""
    signature = Signature.from_bytes(bytes.fromhex(serialized[2:]))
    rx, ry, z = signature.onchain()
    return SignatureOut(
        R=prefixed_hex(signature.R.to_bytes()),
        z=prefixed_hex(scalar_to_bytes(z)),
        rx=prefixed_hex(scalar_to_bytes(rx)),
        ry=prefixed_hex(scalar_to_bytes(ry)),
        serialized=serialized,
    )


def sign_request_view(row: CustodySignRequest) -> SignRequestOut:
    """The view of a stored sign request."""
    return SignRequestOut(
        id=row.id,
        key_id=row.key_id,
        status=row.status,  # type: ignore[arg-type]  # only ever written from SignRequestStatus
        intent=IntentEnvelope.model_validate(row.intent),
        digest=row.digest,
        reasons=row.reasons,
        nodes=row.nodes,  # NodeFailure.to_json() per node, validated into NodeOutcome
        approvals=[ApprovalOut.model_validate(approval, from_attributes=True) for approval in row.approvals],
        signature=signature_view(row.signature) if row.signature is not None else None,
        attempts=row.attempts,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
