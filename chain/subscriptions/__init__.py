"""The SubscriptionManager contract's Python face: plans, subscribing three ways, charging, and reading state.

Subscribers sign two kinds of typed data here, the way a wallet would: an EIP-2612 `Permit` for the plan's
token (domain: the token's name, version "1") and a `SubscribeAuthorization` for the manager (domain
"TPWallet"/"1"), whose digest is the one the contract checks. `next_paid_through` is the contract's billing
rule line for line, so the keeper and the tests can say what a charge will do without asking the chain.

Transactions are sent from local keys with `chain.transactions.send_call`; a contract revert surfaces as
`TransactionFailed` carrying the contract's reason ("subscriptions: ...").

Modules: `terms` (limits, statuses, plans, the billing rule), `authorization` (what subscribers sign),
`manager` (the contract through web3); their public names are imported from here.
"""

from chain.subscriptions.authorization import (
    Signature,
    SignedAuthorization,
    SubscribeAuthorization,
    authorization_for,
    sign_authorization,
    sign_intent,
    sign_permit,
)
from chain.subscriptions.manager import (
    CONTRACT_TYPE,
    LOG_WINDOW_BLOCKS,
    SubscriptionManager,
)
from chain.subscriptions.terms import (
    BPS,
    LIVE_STATUSES,
    MAX_AMOUNT,
    MAX_GRACE,
    MAX_PERIOD,
    MAX_PERIODS,
    ChargeReport,
    Plan,
    SubscribeMethod,
    Subscription,
    SubscriptionError,
    SubscriptionStatus,
    UnknownPlan,
    UnknownSubscription,
    check_plan_terms,
    next_paid_through,
)

__all__ = [
    "BPS",
    "CONTRACT_TYPE",
    "LIVE_STATUSES",
    "LOG_WINDOW_BLOCKS",
    "MAX_AMOUNT",
    "MAX_GRACE",
    "MAX_PERIOD",
    "MAX_PERIODS",
    "ChargeReport",
    "Plan",
    "Signature",
    "SignedAuthorization",
    "SubscribeAuthorization",
    "SubscribeMethod",
    "Subscription",
    "SubscriptionError",
    "SubscriptionManager",
    "SubscriptionStatus",
    "UnknownPlan",
    "UnknownSubscription",
    "authorization_for",
    "check_plan_terms",
    "next_paid_through",
    "sign_authorization",
    "sign_intent",
    "sign_permit",
]
