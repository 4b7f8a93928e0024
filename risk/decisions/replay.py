"""Rebuilding an engine's velocity windows from the stored decisions: a restart forgets what it can know.

The windows (`risk.engine.velocity`) live in memory: a restarted API process, or a second one, would start
them empty and a velocity rule would under-count exactly when an attacker wants it to. Every action the
engine counted is also a stored decision (the payment guard records the decision in the transaction that
moves the intent, then calls `RiskEngine.record` for any outcome but `deny`), so replaying the enforced,
not-denied decisions within the rule file's longest window through `record` itself rebuilds the windows with
the same keys, amounts and times, in the order they were recorded (created_at, then id).

What is covered: the customer and device dimensions (their keys, the subject and device ids, are stored),
the per-currency sums, the KYC tier window, and the low-value exemption counters of the replayed span.
What is not: the IP, IBAN, card and address dimensions. A decision row keeps no IP address and no
beneficiary key (`risk.decisions.inputs`: personal data stays out of the decisions), so those windows start
empty after a restart; keeping them would need those keys stored, pseudonymised or sealed, for no longer
than the longest window. The low-value counters are not reset by SCA completions on replay (those are not
decisions), so they err towards more, never fewer, step-ups.

Several API processes: each rebuilds from the shared table when it starts, but after that each counts only
what it decided itself, so N processes behind a load balancer may each see 1/N of a burst. Live sharing
needs the windows in one place, e.g. Redis sorted sets per key (ZADD at record, ZREMRANGEBYSCORE + ZCARD or a
Lua sum at read), at the cost of a round trip per decision; not built here.
"""

import json
from typing import Any

from sqlalchemy import Connection, select

from risk.decisions.schema import risk_decisions
from risk.engine import Assessment, Decision, Exemption, Kind, KycTier, Outcome, RiskEngine
from risk.engine.model import SensitiveChange
from risk.engine.velocity import BUCKETS_PER_WINDOW

_OUTCOMES = {outcome.label: outcome for outcome in Outcome}


def replay_span(engine: RiskEngine) -> int:
    """Seconds back a rebuild reads: the longest window, plus one bucket (a bucket partly inside a window
    counts whole, so its oldest actions may sit up to a bucket before the window)."""
    longest = max((figure.span for figure in engine.windows.figures), default=0)
    return longest + max(1, longest // BUCKETS_PER_WINDOW)


def _assessment(facts: dict[str, Any]) -> Assessment:
    """The stored facts as an assessment: without the IP and the beneficiary, which were never stored."""
    change = facts.get("sensitive_change")
    return Assessment(
        subject=facts["subject"],
        kind=Kind(facts["kind"]),
        amount=facts["amount"],
        currency=facts["currency"],
        at=facts["at"],
        customer_country=facts["customer_country"],
        kyc_tier=KycTier(facts["kyc_tier"]),
        account_age_days=facts["account_age_days"],
        mcc=facts.get("mcc"),
        device_id=facts.get("device_id"),
        device_new=facts.get("device_new", False),
        device_verified=facts.get("device_verified", False),
        payee_new=facts.get("payee_new", False),
        sensitive_change=None if change is None else SensitiveChange(change),
    )


def _decision(row: Any) -> Decision:
    """Just what `record` reads of a decision: its outcome and exemption."""
    return Decision(
        outcome=_OUTCOMES[row.outcome],
        score=row.score,
        reasons=(),
        shadow=(),
        shadow_outcome=_OUTCOMES[row.shadow_outcome],
        factors=(),
        fallback_factors=(),
        exemption=None if row.exemption is None else Exemption(row.exemption),
        exemption_note="",
        rules_digest=row.rules_digest,
    )


def rebuild_windows(connection: Connection, engine: RiskEngine, *, now: int) -> int:
    """Feed `engine` (fresh, nothing recorded yet) the decisions that went ahead within its longest window
    before `now`; returns how many were replayed."""
    table = risk_decisions
    rows = connection.execute(
        select(
            table.c.facts,
            table.c.outcome,
            table.c.score,
            table.c.shadow_outcome,
            table.c.exemption,
            table.c.rules_digest,
        )
        .where(
            table.c.enforced.is_(True),
            table.c.outcome != Outcome.DENY.label,
            table.c.created_at >= now - replay_span(engine),
        )
        .order_by(table.c.created_at, table.c.id)
    )
    replayed = 0
    for row in rows:
        engine.record(_assessment(json.loads(row.facts)), _decision(row))
        replayed += 1
    return replayed
