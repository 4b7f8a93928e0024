"""The risk engine's decisions, persisted: what was asked (its inputs' digest and the facts bar personal
data), under which rule file, what was answered (outcome, score, reasons, shadow findings, SCA exemption),
and whether it was enforced or an operator's test evaluation. Each one is also a record on the risk audit
log (`risk.audit`), written in the same transaction."""

from risk.decisions.inputs import assessment_facts, inputs_digest
from risk.decisions.replay import rebuild_windows, replay_span
from risk.decisions.store import DecisionRecord, get_decision, page_decisions, record_decision

__all__ = [
    "DecisionRecord",
    "assessment_facts",
    "get_decision",
    "inputs_digest",
    "page_decisions",
    "rebuild_windows",
    "record_decision",
    "replay_span",
]
