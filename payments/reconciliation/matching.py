"""The matcher: the ledger's lines of a day against each rail's, every difference a typed break.

Lines pair up by (rail, kind, reference): the rail echoes our intent or refund id, so that is the one key
both sides share (the rail's own `external_id` is unknown to the ledger). A paired line is then compared:
mode first (live money never meets sandbox money), then currency, then amount (only within one currency:
amounts of two currencies are not comparable). A reference the rail reports more than once is a
duplicate at the rail, each extra line its own break, the first one still compared. Pure: no I/O.
"""

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from payments.intents.model import RailKind
from payments.reconciliation.ledger_lines import LedgerLine
from payments.reconciliation.lines import ExternalLine, LineKind


class BreakKind(enum.StrEnum):
    """Why a line did not reconcile."""

    MISSING_AT_RAIL = "missing_at_rail"
    """The ledger posted it; the rail's record of the day has no such line."""
    MISSING_IN_LEDGER = "missing_in_ledger"
    """The rail moved it; the ledger posted nothing for this reference that day."""
    DUPLICATE_AT_RAIL = "duplicate_at_rail"
    """The rail reports the reference again (the extra line is `external`)."""
    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    MODE_MISMATCH = "mode_mismatch"
    """One side is live money, the other sandbox."""


@dataclass(frozen=True, slots=True)
class Break:
    """One difference, with both sides as far as they exist."""

    kind: BreakKind
    rail: RailKind
    line_kind: LineKind
    reference: str
    ledger: LedgerLine | None
    external: ExternalLine | None


Key = tuple[RailKind, LineKind, str]


def _compared(ledger: LedgerLine, external: ExternalLine) -> list[BreakKind]:
    found = []
    if ledger.livemode != external.livemode:
        found.append(BreakKind.MODE_MISMATCH)
    if ledger.currency != external.currency:
        found.append(BreakKind.CURRENCY_MISMATCH)
    elif ledger.amount != external.amount:
        found.append(BreakKind.AMOUNT_MISMATCH)
    return found


def _breaks_of(key: Key, ledger: LedgerLine | None, external: list[ExternalLine]) -> list[Break]:
    def found(kind: BreakKind, line: ExternalLine | None) -> Break:
        return Break(kind, key[0], key[1], key[2], ledger, line)

    if ledger is None:
        return [found(BreakKind.MISSING_IN_LEDGER, line) for line in external]
    if not external:
        return [found(BreakKind.MISSING_AT_RAIL, None)]
    first, *extra = external
    return [found(kind, first) for kind in _compared(ledger, first)] + [
        found(BreakKind.DUPLICATE_AT_RAIL, line) for line in extra
    ]


def match(ledger: Iterable[LedgerLine], external: Iterable[ExternalLine]) -> list[Break]:
    """Every break between the two sides, ordered by (rail, kind, reference), then the rail's line ids."""
    ours = {(line.rail, line.kind, line.reference): line for line in ledger}
    theirs: dict[Key, list[ExternalLine]] = defaultdict(list)
    for line in sorted(external, key=lambda line: line.external_id):
        theirs[(line.rail, line.kind, line.reference)].append(line)
    breaks = []
    for key in sorted(ours.keys() | theirs.keys()):
        breaks.extend(_breaks_of(key, ours.get(key), theirs.get(key, [])))
    return breaks
