"""What every step runs with (the database, the rails, the clock) and the shape of a step's transaction.

A step reads the intent and checks the transition, asks the rail (outside any transaction: no row lock is
held while a rail answers), then in ONE transaction locks the intent, checks the transition again (another
step may have won the race meanwhile), writes the ledger's transfers and the intent's new state. So the
ledger and the intents agree after every commit, and a step that fails anywhere leaves neither changed.

The step's event (`events`) is written in that same transaction, so a merchant hears of exactly the
changes that committed, once each.

A call's last transaction (the one whose writes are its answer) may be the caller's instead (`joining`):
the step then writes on the caller's connection and leaves the commit to it, so the caller's own records
(the API's stored answer to an Idempotency-Key) commit with the step or not at all.
"""

import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy import Connection, Engine

from ledger.ids import now_ns
from ledger.store import begin_writing
from payments.intents import rendering, store
from payments.intents.errors import InvalidRequest, NotFound, UnexpectedState
from payments.intents.events import announce, intent_event
from payments.intents.guard.gate import RiskGate
from payments.intents.model import Action, PaymentIntent, RailKind
from payments.intents.rails import Rail, RailRequest
from payments.intents.transitions import require
from payments.merchants.tenant import Tenant

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Payments:
    """The payment intents' dependencies: `rails` by kind, `clock` in ns since the epoch."""

    engine: Engine
    rails: Mapping[RailKind, Rail]
    clock: Callable[[], int] = field(default=now_ns)
    caller: Callable[[], Connection] | None = None
    """The caller's open transaction (its connection), for a call's last transaction to join (`joining`)."""
    risk: RiskGate | None = None
    """The risk engine asked before a confirmation reaches the rail (`payments.intents.guard`); None: not
    asked."""

    def joining(self, connection: Callable[[], Connection]) -> "Payments":
        """These payments with each call's last transaction run on `connection()`, left uncommitted (and
        not rolled back on failure): the caller commits it with records of its own, or rolls it back."""
        return replace(self, caller=connection)

    @contextmanager
    def transaction(self, last: bool = True) -> Iterator[Connection]:
        """A writing transaction: the caller's for a call's `last` one when it gave one, else one of its own
        on the engine, committed at the end (rolled back if it fails). Writers are serialised first."""
        if last and self.caller is not None:
            connection = self.caller()
            begin_writing(connection)
            yield connection
            return
        with self.engine.begin() as connection:
            begin_writing(connection)
            yield connection

    def rail(self, kind: RailKind) -> Rail:
        rail = self.rails.get(kind)
        if rail is None:
            raise InvalidRequest(f"no {kind} rail is configured", field="rail")
        return rail

    def read(self, tenant: Tenant, intent_id: str, action: Action | None = None) -> PaymentIntent:
        """The intent as committed; with `action`, refused unless the action is allowed from its status."""
        with self.engine.connect() as connection:
            intent = store.load(connection, tenant, intent_id)
        if action is not None:
            require(intent, action)
        return intent

    def fetch(
        self, load: Callable[[Connection, Tenant, str], _T | None], tenant: Tenant, key: str, what: str
    ) -> _T:
        """The refund or dispute `key` of `tenant` as `load` reads it, or `NotFound` naming `what`."""
        with self.engine.connect() as connection:
            found = load(connection, tenant, key)
        if found is None:
            raise NotFound(f"no {what} {key}", field=what)
        return found

    @contextmanager
    def writing(
        self,
        tenant: Tenant,
        intent_id: str,
        action: Action,
        seen: PaymentIntent | None = None,
        *,
        last: bool = True,
    ) -> Iterator[tuple[Connection, PaymentIntent]]:
        """One transaction holding the intent's lock, the action checked against its current status
        (`last`: the call's last transaction, the caller's if it gave one, `transaction`).

        `seen` is the intent as it was when the rail was asked: if another step moved it since, the rail's
        answer is about a state that is gone, and the step is refused with the status it now has.
        """
        with self.transaction(last) as connection:
            intent = store.load(connection, tenant, intent_id, lock=True)
            require(intent, action)
            if seen is not None and (intent.status, intent.attempt) != (seen.status, seen.attempt):
                raise UnexpectedState(intent.id, str(intent.status), action)
            yield connection, intent

    def step(
        self,
        tenant: Tenant,
        intent_id: str,
        action: Action,
        change: Callable[[Connection, PaymentIntent], PaymentIntent],
        seen: PaymentIntent | None = None,
    ) -> PaymentIntent:
        """Apply `change` (which may write ledger transfers on the connection), store its result and
        announce it."""
        with self.writing(tenant, intent_id, action, seen) as (connection, intent):
            after = replace(change(connection, intent), updated_at=self.clock())
            store.save(connection, intent, after)
            event = intent_event(intent, after)
            if event is not None:
                announce(connection, tenant, event, rendering.payment_intent(after), after.updated_at)
        return after


def new_id(prefix: str) -> str:
    """An object id in Stripe's shape: `pi_`, `re_`, `dp_` then 24 random hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


def rail_request(intent: PaymentIntent, step: str, amount: int, *, capture: bool = False) -> RailRequest:
    """The rail's request for one step, keyed by (intent id, step) so a retry is the same request."""
    return RailRequest(
        idempotency_key=f"{intent.id}:{step}",
        payment_intent_id=intent.id,
        merchant_id=intent.merchant_id,
        livemode=intent.livemode,
        currency=intent.currency,
        amount=amount,
        payment_method=intent.payment_method,
        capture=capture,
    )
