"""Why an order is refused before entry: each refusal names the request's field and the limit it hit."""

import dataclasses
from dataclasses import dataclass


class PretradeError(Exception):
    """The package's root: every refusal before entry."""


@dataclass
class PretradeRefused(PretradeError):
    """An order over a limit. `code` is the problem's type (`position-limit`, `order-size`,
    `price-band`, `liquidation-cooldown`, `kill-switch-engaged`); `field` the body's field at fault;
    `limit` the configured figure it hit and `value` what the order would have made of it, both as
    integers in the unit `unit` names (lots, quote minor units, ticks, unix seconds)."""

    code: str
    field: str
    detail: str
    limit: int
    value: int
    unit: str
    extra: dict[str, object] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)


@dataclass
class StepUpRequired(PretradeError):
    """A derivative order that raises a position's notional above its threshold: refused until the
    step-up `challenge` is confirmed (then the same order, carrying the challenge, goes through)."""

    detail: str
    challenge: str
    limit: int
    value: int
    factors: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__init__(self.detail)
