"""Which statement source reads each rail's record: a registry of the rails' source builders, and the
configured sources built from it.

A rail's client package offers a builder taking one string, where its counterpart's record is read (a
URL, a directory of files): `BUILDERS[RailKind.BANK] = bank_statement_source`. The deployment says which
rails to reconcile and where (`TPW_RECONCILIATION_SOURCES='{"bank": "http://127.0.0.1:8601"}'` for the API,
`--source bank=http://...` for the command line). A rail configured without a builder, or an unknown rail,
is refused when the sources are built (at start), not discovered at the first run.
"""

from collections.abc import Callable, Mapping
from typing import Final

from payments.intents.model import RailKind
from payments.reconciliation.lines import StatementSource

SourceBuilder = Callable[[str], StatementSource]

BUILDERS: Final[dict[RailKind, SourceBuilder]] = {}
"""Each rail's builder, registered by the rail's client package (`payments.rails.<rail>`)."""


class SourceConfigError(ValueError):
    """A configured source names an unknown rail, or a rail no builder reads."""


def build_sources(
    locations: Mapping[str, str], builders: Mapping[RailKind, SourceBuilder] = BUILDERS
) -> dict[RailKind, StatementSource]:
    """The sources of the rails in `locations` (rail name -> where its record is read)."""
    sources = {}
    for name, location in locations.items():
        if name not in RailKind.__members__.values():
            known = ", ".join(RailKind)
            raise SourceConfigError(f"reconciliation source for unknown rail {name!r} (rails: {known})")
        rail = RailKind(name)
        builder = builders.get(rail)
        if builder is None:
            raise SourceConfigError(f"no statement source is registered for the {rail} rail")
        sources[rail] = builder(location)
    return sources
