"""The operators' kill switches behind `/v1/risk/kill-switches`: engage (audited, then every resting order
of the market or account canceled through the orders' own cancel, so each order's funds go back and its
row says `canceled`), release (audited), list.

Engaging commits the switch before the sweep: from that commit on, the gate refuses every new order of
the market or account, so the sweep's list of resting orders can only shrink. A crash mid-sweep leaves the
switch engaged and the Idempotency-Key's claim open; the retry engages nothing new and sweeps what is left.
The sweep reads the orders' projection (`spot_orders`): an order the projection lost to a crash (see
`api.orders.service`) is not found by it.
"""

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.errors import NotFound
from api.idempotency.progress import Progress
from api.orders import service
from api.orders.pretrade.schemas import KillSwitchCreate, KillSwitches, KillSwitchOut
from api.orders.runtime import SpotMarkets
from api.orders.table import spot_orders
from api.risk.service import invalid
from matching.markets import markets
from payments.merchants.schema import merchants
from payments.merchants.tenant import Tenant
from risk.pretrade import killswitch
from risk.pretrade.killswitch import KillSwitch, SwitchKind

RESTING = ("open", "partially_filled")


class KillSwitchNotEngaged(NotFound, problem="kill-switch-not-engaged", title="Kill switch not engaged"):
    """No switch of this kind on this target is engaged."""


def _out(switch: KillSwitch, canceled: int | None = None) -> KillSwitchOut:
    return KillSwitchOut(
        kind=switch.kind.value,
        target=switch.target,
        reason=switch.reason,
        engaged_by=switch.engaged_by,
        engaged_at=switch.engaged_at,
        canceled_orders=canceled,
    )


def _known_target(connection: Connection, kind: SwitchKind, target: str) -> None:
    if kind is SwitchKind.MARKET and target not in markets():
        raise invalid("target", f"no market {target!r}; known: {', '.join(markets())}")
    if kind is SwitchKind.ACCOUNT:
        found = connection.execute(select(merchants.c.id).where(merchants.c.id == target)).first()
        if found is None:
            raise invalid("target", f"no merchant {target!r}")


def sweep(spot_markets: SpotMarkets, session: Session, kind: SwitchKind, target: str) -> int:
    """Cancel every resting order of the market or account (both modes); how many were canceled."""
    c = spot_orders.c
    scope = c.market == target if kind is SwitchKind.MARKET else c.merchant_id == target
    rows = session.execute(
        select(c.id, c.merchant_id, c.livemode).where(scope, c.status.in_(RESTING)).order_by(c.id)
    ).all()
    session.rollback()
    canceled = 0
    for row in rows:
        view = service.cancel(spot_markets, session, Tenant(row.merchant_id, row.livemode), row.id)
        canceled += view.status == "canceled"
    return canceled


def engage(
    spot_markets: SpotMarkets,
    session: Session,
    client: ApiClient,
    body: KillSwitchCreate,
    now: int,
    progress: Progress,
) -> KillSwitchOut:
    """Engage the switch (with its audit record), then cancel what rests behind it."""
    kind = SwitchKind(body.kind)
    connection = session.connection()
    _known_target(connection, kind, body.target)
    switch, _ = killswitch.engage(
        connection, kind, body.target, actor=client.actor, reason=body.reason, now=now
    )
    session.commit()
    result = _out(switch, sweep(spot_markets, session, kind, body.target))
    progress.respond(result)
    return result


def release(session: Session, client: ApiClient, kind: str, target: str, now: int) -> KillSwitchOut:
    """Release the switch (with its audit record); 404 when it is not engaged."""
    connection = session.connection()
    switch = killswitch.get(connection, SwitchKind(kind), target)
    if switch is None or not killswitch.release(
        connection, SwitchKind(kind), target, actor=client.actor, now=now
    ):
        session.rollback()
        raise KillSwitchNotEngaged(f"no {kind} kill switch is engaged on {target}")
    session.commit()
    return _out(switch)


def listing(session: Session) -> KillSwitches:
    try:
        return KillSwitches(data=[_out(switch) for switch in killswitch.engaged(session.connection())])
    finally:
        session.rollback()
