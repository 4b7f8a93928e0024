"""The policy every custody signer node applies to the typed intents it is asked to sign.

`config` reads the policy file, `approvals` checks operators' EIP-712 approvals, `history` keeps the node's
durable record of what it signed, `engine` decides, rule by rule, with reasons, and `builder` adds what a
deployment made (e.g. a treasury's CustodyTransfers) to a policy text, validated.
"""

from custody.policy.approvals import ApprovalTally, OperatorApproval, sign_approval, tally_approvals
from custody.policy.config import PolicyConfig, load_policy, parse_policy
from custody.policy.engine import Decision, PolicyEngine, RuleResult, SignContext, request_id_from_hex
from custody.policy.history import SignedRecord, SpendHistory

__all__ = [
    "ApprovalTally",
    "Decision",
    "OperatorApproval",
    "PolicyConfig",
    "PolicyEngine",
    "RuleResult",
    "SignContext",
    "SignedRecord",
    "SpendHistory",
    "load_policy",
    "parse_policy",
    "request_id_from_hex",
    "sign_approval",
    "tally_approvals",
]
