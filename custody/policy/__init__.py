"""The policy every custody signer node applies to the typed intents it is asked to sign.

`config` reads the policy file, `approvals` checks operators' EIP-712 approvals, `history` keeps the node's
durable record of what it signed, `engine` decides, rule by rule, with reasons (`context` is what it is
asked, `checks` the rules that need no history), and `builder` adds what a deployment made (e.g. a
treasury's CustodyTransfers) to a policy text, validated.
"""

from custody.policy.approvals import ApprovalTally, OperatorApproval, sign_approval, tally_approvals
from custody.policy.checks import RuleResult
from custody.policy.config import PolicyConfig, load_policy, parse_policy
from custody.policy.context import SignContext, request_id_from_hex
from custody.policy.engine import Decision, PolicyEngine
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
