"""What subscribers sign, the way a wallet would: an EIP-2612 `Permit` for the plan's token (domain: the
token's name, version "1") and a `SubscribeAuthorization` for the manager (domain "TPWallet"/"1"), whose
digest is the one the contract checks.
"""

from dataclasses import dataclass
from typing import ClassVar

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from chain.intents import DOMAIN_NAME, Address, Intent, Permit, Uint256
from chain.subscriptions.terms import (
    Plan,
    SubscriptionError,
)


@dataclass(frozen=True)
class SubscribeAuthorization(Intent):
    """A subscriber's gasless consent to subscribe to plan `plan_id`, whose terms (`token`, `amount` per
    `period` seconds) the wallet shows; valid for the subscriber's authorization nonce until `deadline`."""

    PRIMARY_TYPE: ClassVar[str] = "SubscribeAuthorization"

    subscriber: Address
    plan_id: Uint256
    token: Address
    amount: Uint256
    period: Uint256
    nonce: Uint256
    deadline: Uint256


@dataclass(frozen=True)
class Signature:
    """A split secp256k1 signature as the contracts take it."""

    v: int
    r: bytes
    s: bytes


@dataclass(frozen=True)
class SignedAuthorization:
    """A `SubscribeAuthorization` and its signature: what a relayer needs to subscribe someone."""

    authorization: SubscribeAuthorization
    signature: Signature


def authorization_for(plan: Plan, subscriber: str, nonce: int, deadline: int) -> SubscribeAuthorization:
    """The authorization `subscriber` signs to join `plan` with authorization nonce `nonce`."""
    return SubscribeAuthorization(
        subscriber=to_checksum_address(subscriber),
        plan_id=plan.plan_id,
        token=plan.token,
        amount=plan.amount,
        period=plan.period,
        nonce=nonce,
        deadline=deadline,
    )


def sign_intent(
    signer: LocalAccount, intent: Intent, chain_id: int, verifying_contract: str, name: str
) -> Signature:
    """`signer`'s EIP-712 signature of `intent` for domain (`name`, "1", `chain_id`, `verifying_contract`)."""
    typed_data = intent.typed_data(chain_id, to_checksum_address(verifying_contract), name=name)
    signed = signer.sign_typed_data(full_message=typed_data)
    return Signature(v=signed.v, r=signed.r.to_bytes(32, "big"), s=signed.s.to_bytes(32, "big"))


def sign_authorization(
    signer: LocalAccount, authorization: SubscribeAuthorization, chain_id: int, manager: str
) -> SignedAuthorization:
    """The subscriber's signature of `authorization` for the manager at `manager` on chain `chain_id`."""
    if authorization.subscriber != signer.address:
        raise SubscriptionError("an authorization is signed by its own subscriber")
    signature = sign_intent(signer, authorization, chain_id, manager, DOMAIN_NAME)
    return SignedAuthorization(authorization, signature)


def sign_permit(
    signer: LocalAccount,
    token_name: str,
    token: str,
    chain_id: int,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> Signature:
    """`signer`'s EIP-2612 permit letting `spender` spend `value` of `token` (named `token_name`)."""
    permit = Permit(
        owner=signer.address,
        spender=to_checksum_address(spender),
        value=value,
        nonce=nonce,
        deadline=deadline,
    )
    return sign_intent(signer, permit, chain_id, token, token_name)
