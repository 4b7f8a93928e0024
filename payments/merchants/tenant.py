"""The tenant: which merchant a request acts for, and in which mode. Every merchant-scoped query goes
through it, so no feature can forget half of the filter.

A merchant-scoped table carries both tenant columns (`tenant_columns`): `merchant_id`, and `livemode`,
false for sandbox rows and true for live ones. A request's tenant comes from its API key alone (a sandbox
key is sandbox, a live key live: `api.deps.TenantDep`), and `Tenant.select`, `update` and `delete` put
`merchant_id = :merchant AND livemode = :mode` on every statement, so a sandbox key never reads or touches
a live row nor one merchant another's. `Tenant.values` stamps the same two columns on an insert.
"""

from dataclasses import dataclass
from typing import Any, Final, Literal

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Delete,
    ForeignKey,
    Index,
    Select,
    Table,
    Update,
    and_,
    delete,
    select,
    update,
)

Mode = Literal["sandbox", "live"]
MODES: Final[tuple[Mode, ...]] = ("sandbox", "live")
TENANT_COLUMNS: Final = ("merchant_id", "livemode")


def tenant_columns(merchants: Table) -> tuple[Column[Any], Column[Any], Index]:
    """The two columns (and their index) a merchant-scoped table adds: pass `*tenant_columns(merchants)`
    to its `Table`."""
    return (
        Column("merchant_id", merchants.c.id.type, ForeignKey(merchants.c.id), nullable=False),
        Column("livemode", Boolean, nullable=False),
        Index(None, "merchant_id", "livemode"),
    )


def mode_of(livemode: bool) -> Mode:
    """`live` or `sandbox`."""
    return "live" if livemode else "sandbox"


@dataclass(frozen=True)
class Tenant:
    """One merchant in one mode: the only view of merchant-scoped rows a merchant's request gets."""

    merchant_id: str
    livemode: bool

    @property
    def mode(self) -> Mode:
        """`live` or `sandbox`."""
        return mode_of(self.livemode)

    def owns(self, table: Table) -> ColumnElement[bool]:
        """`table`'s rows of this tenant; TypeError if the table is not merchant-scoped."""
        missing = [name for name in TENANT_COLUMNS if name not in table.c]
        if missing:
            raise TypeError(f"{table.name} is not merchant-scoped: it lacks {missing}")
        return and_(table.c.merchant_id == self.merchant_id, table.c.livemode == self.livemode)

    def select(self, table: Table, *columns: ColumnElement[Any]) -> Select[Any]:
        """SELECT `columns` (default: all) of this tenant's rows of `table`."""
        return (select(*columns) if columns else select(table)).where(self.owns(table))

    def update(self, table: Table) -> Update:
        """UPDATE of this tenant's rows of `table` (add `.where(...)` and `.values(...)`)."""
        return update(table).where(self.owns(table))

    def delete(self, table: Table) -> Delete:
        """DELETE of this tenant's rows of `table`."""
        return delete(table).where(self.owns(table))

    def values(self) -> dict[str, Any]:
        """The tenant columns of a row this tenant inserts."""
        return {"merchant_id": self.merchant_id, "livemode": self.livemode}
