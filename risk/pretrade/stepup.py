"""Step-up on large derivative changes: an order that raises a derivative position's notional above its
market's threshold asks the risk engine (issue 9), and is refused with a challenge until a factor confirms
it, as a payment intent's confirmation is held for `verify_factor`.

Why a challenge bound to the order: the step-up authorizes this change, not the account for a while. The
challenge row names the order exactly (account, market, side, lots, price); the order sent again with the
challenge's id passes once, and only if the row is confirmed, unexpired and still names that order (the
row is marked `used` in the same statement that checks it, so two retries cannot both spend it). What the
engine answers decides: `allow` (no rule asked for more) lets the order through, `step_up` and `review`
hold it for a factor (the factors the decision lists), `deny` refuses it outright.

The engine is reached through `Assess` (the API builds the `Assessment` from what it knows of the
merchant), and the gate through the `StepUp` protocol, so a perpetual or option market plugs in by
handing the gate its `DerivativeChange`s; the market kind comes from the limits file (`derivative: true`).
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from sqlalchemy import Connection, Engine, insert, update

from risk.audit import append
from risk.decisions import record_decision
from risk.engine import Assessment, Decision, Kind, KycTier, Outcome, RiskEngine
from risk.pretrade.errors import PretradeRefused, StepUpRequired
from risk.pretrade.schema import pretrade_step_ups

CHALLENGE_SECONDS: Final = 600
"""How long a challenge may wait for its factor and then for its order."""


@dataclass(frozen=True, slots=True)
class DerivativeChange:
    """A derivative order as the step-up sees it: who, where, which way, how much and at what price (the
    protection price for a market order), and the position's notional before and after it (quote minor
    units), against the market's `threshold`."""

    account: int
    market: str
    direction: int
    lots: int
    price: int
    notional_before: int
    notional_after: int
    threshold: int

    @property
    def needs_step_up(self) -> bool:
        return self.notional_after > self.threshold and self.notional_after > self.notional_before


class StepUp(Protocol):
    """What the pre-trade gate asks of a derivative order."""

    def require(self, change: DerivativeChange, confirmation: str | None, now: int) -> None:
        """Return if the change may go ahead; `StepUpRequired` or `PretradeRefused` otherwise."""
        ...


Assess = Callable[[DerivativeChange, int], tuple[Decision, str | None]]
"""The risk engine's decision on a change at `now`, and the stored decision's id (None if not stored)."""


def engine_assess(
    database: Engine, engine: RiskEngine, currency: Callable[[str], str], actor: str = "pretrade-gate"
) -> Assess:
    """`Assess` by `engine`, each decision stored and audited (`risk.decisions.record_decision`) so an
    operator reads why an order was held. The assessment: subject `trader:<account>` (the engine's account
    number: the trading account), kind `derivative_order`, the position's notional after the order in the
    market's quote currency (`currency(market)`), the trader taken as fully verified (it was approved to
    trade) and of no country the rules know (`ZZ`): the rules decide on the change, not on a payer."""

    def assess(change: DerivativeChange, now: int) -> tuple[Decision, str | None]:
        asked = Assessment(
            subject=f"trader:{change.account}",
            kind=Kind.DERIVATIVE_ORDER,
            amount=change.notional_after,
            currency=currency(change.market),
            at=now,
            customer_country="ZZ",
            kyc_tier=KycTier.FULL,
            account_age_days=0,
        )
        decision = engine.decide(asked)
        with database.begin() as connection:
            record = record_decision(connection, asked, decision, now=now, actor=actor)
        return decision, record.id

    return assess


class ThresholdStepUp:
    """`StepUp` over the risk engine (`assess`) and the challenges in `database`."""

    def __init__(self, database: Engine, assess: Assess) -> None:
        self.database = database
        self.assess = assess

    def require(self, change: DerivativeChange, confirmation: str | None, now: int) -> None:
        if not change.needs_step_up:
            return
        if confirmation is not None and self._spend(change, confirmation, now):
            return
        decision, decision_id = self.assess(change, now)
        if decision.outcome is Outcome.ALLOW:
            return
        if decision.outcome is Outcome.DENY:
            raise PretradeRefused(
                "risk-denied",
                "qty",
                f"the risk engine refused raising the position's notional to {change.notional_after}",
                change.threshold,
                change.notional_after,
                "quote_minor_units",
                {"decision": decision_id},
            )
        factors = decision.factors or decision.fallback_factors
        challenge = f"psu_{secrets.token_hex(12)}"
        with self.database.begin() as connection:
            connection.execute(
                insert(pretrade_step_ups).values(
                    id=challenge,
                    account=change.account,
                    market=change.market,
                    direction=change.direction,
                    lots=change.lots,
                    price=change.price,
                    notional=change.notional_after,
                    factors=",".join(factors),
                    decision_id=decision_id,
                    status="pending",
                    created_at=now,
                    expires_at=now + CHALLENGE_SECONDS,
                )
            )
        raise StepUpRequired(
            f"raising the position's notional to {change.notional_after} (above {change.threshold}) needs "
            f"a step-up: confirm challenge {challenge}, then send the order again with it",
            challenge,
            change.threshold,
            change.notional_after,
            tuple(factors),
        )

    def _spend(self, change: DerivativeChange, challenge: str, now: int) -> bool:
        """Mark the confirmed challenge of exactly this order used; whether it was."""
        table = pretrade_step_ups
        with self.database.begin() as connection:
            spent = connection.execute(
                update(table)
                .where(
                    table.c.id == challenge,
                    table.c.status == "confirmed",
                    table.c.expires_at > now,
                    table.c.account == change.account,
                    table.c.market == change.market,
                    table.c.direction == change.direction,
                    table.c.lots == change.lots,
                    table.c.price == change.price,
                )
                .values(status="used")
                .returning(table.c.id)
            ).first()
        return spent is not None


APPROVED: Final = "risk.step_up.approved"


@dataclass(frozen=True, slots=True)
class Challenge:
    """A step-up challenge as an approver sees it: the order it is for and where it stands."""

    id: str
    account: int
    market: str
    direction: int
    lots: int
    price: int
    notional: int
    status: str
    expires_at: int


def approve(connection: Connection, challenge: str, *, actor: str, reason: str, now: int) -> Challenge | None:
    """A risk desk's approval of a pending, unexpired challenge (audited on the risk log in the caller's
    transaction): its order may now go through once. None when no such challenge is pending.

    Why an operator: a trading account is a merchant's, and a merchant's API key has no factor of its own;
    the desk's approval, recorded with who gave it and why, is the second pair of eyes on a large change."""
    table = pretrade_step_ups
    row = connection.execute(
        update(table)
        .where(table.c.id == challenge, table.c.status == "pending", table.c.expires_at > now)
        .values(status="confirmed")
        .returning(*table.c)
    ).first()
    if row is None:
        return None
    found = Challenge(
        row.id,
        row.account,
        row.market,
        row.direction,
        row.lots,
        row.price,
        row.notional,
        row.status,
        row.expires_at,
    )
    append(
        connection,
        actor=actor,
        action=APPROVED,
        subject=f"trader:{found.account}",
        details={"challenge": found.id, "market": found.market, "notional": found.notional, "reason": reason},
        now=now,
    )
    return found


def confirm(database: Engine, challenge: str, account: int, now: int) -> bool:
    """The factor of `account`'s pending challenge verified: the challenge may now be spent by its order.
    False if no pending, unexpired challenge of this id is the account's."""
    table = pretrade_step_ups
    with database.begin() as connection:
        done = connection.execute(
            update(table)
            .where(
                table.c.id == challenge,
                table.c.account == account,
                table.c.status == "pending",
                table.c.expires_at > now,
            )
            .values(status="confirmed")
            .returning(table.c.id)
        ).first()
    return done is not None
