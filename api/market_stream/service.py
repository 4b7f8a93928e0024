"""The stream's messages as sent (`api.markets.schemas`): a snapshot, and an update encoded once for every
client of its market."""

from api.markets import schemas
from api.markets.service import Units, level_views, time_of, trade_view
from matching.engine import Side
from matching.spot.feed import Snapshot, Update


def snapshot_text(spec: Units, livemode: bool, snapshot: Snapshot) -> str:
    return schemas.StreamSnapshot(
        market=spec.id,
        livemode=livemode,
        seq=snapshot.seq,
        bids=level_views(spec, snapshot.bids),
        asks=level_views(spec, snapshot.asks),
    ).model_dump_json()


def update_text(spec: Units, update: Update) -> str:
    """The update's wire form, encoded once for every client of the market (`Update.wire`)."""
    if update.wire is None:
        update.wire = schemas.StreamUpdate(
            seq=update.seq,
            time=time_of(update.ts),
            changes=[
                schemas.LevelChange(
                    side="buy" if change.side is Side.BUY else "sell",
                    price=spec.price_text(change.price),
                    qty=spec.qty_text(change.qty) if change.qty else "0",
                )
                for change in update.changes
            ],
            trades=[trade_view(spec, trade) for trade in update.trades],
        ).model_dump_json()
    return update.wire
