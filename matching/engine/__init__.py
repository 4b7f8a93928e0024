"""The matching engine: commands in, events out, one writer per book, integers only.

The public face: `Engine.process(command) -> events`, the command and event types, and the state
(snapshot form and hash) that the journal's replay is checked against.
"""

from matching.engine.book import Book, Level, Order
from matching.engine.commands import Amend, Cancel, Command, Place, Tick
from matching.engine.events import Accepted, Amended, Canceled, Decremented, Event, Rejected, Trade, Triggered
from matching.engine.matcher import Engine
from matching.engine.state import engine_state, restore, state_hash
from matching.engine.types import Done, Kind, Reject, Side, Stp, Tif

__all__ = [
    "Accepted",
    "Amend",
    "Amended",
    "Book",
    "Cancel",
    "Canceled",
    "Command",
    "Decremented",
    "Done",
    "Engine",
    "Event",
    "Kind",
    "Level",
    "Order",
    "Place",
    "Reject",
    "Rejected",
    "Side",
    "Stp",
    "Tick",
    "Tif",
    "Trade",
    "Triggered",
    "engine_state",
    "restore",
    "state_hash",
]
