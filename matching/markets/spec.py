"""A market's contract between the book's integers and the ledger's minor units, exact by construction.

The book trades positive integer ticks (price) and lots (quantity). A market fixes two integers:

- `base_per_lot`: base-currency ledger units in one lot;
- `quote_per_tick_lot`: quote-currency ledger units one lot costs per tick of price.

So a trade of `qty` lots at `price` ticks moves exactly `qty * base_per_lot` base units one way and
`price * qty * quote_per_tick_lot` quote units (its notional) the other: products of integers, nothing to
round. Fees are basis points of the notional; the market refuses (at construction) a fee rate that would
make some notional's fee fractional, i.e. `quote_per_tick_lot * bps` must be a multiple of 10,000. That is
why no money is ever rounded: every amount the market names is an integer of its currency's ledger unit.

TPW/tUSD. TPW has 18 decimals on chain; the ledger holds int64 minor units, and 10^18 base units would
overflow int64 past ~9.2 TPW, so TPW's ledger unit is 10^-6 TPW (10^12 wei; 2^63 such units are 9.2
trillion TPW). A deposit or withdrawal of TPW is therefore a multiple of 10^12 wei (the rails' concern, as
for tUSD in `payments.rails.stablecoin.config`). tUSD has 6 decimals and its ledger code is "QTU" (as in
`payments.fx.currency`: the ledger keys a currency by three capitals), unit 10^-6 tUSD. The lot is 1 TPW
(10^6 TPW units) and the tick 0.01 tUSD per TPW: one lot at one tick is 0.01 tUSD = 10,000 QTU units, the
smallest step at which every whole-bps fee is an exact QTU amount (a finer tick or lot would need fees in
fractions of a basis point to stay exact).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from typing import Final

BPS_DENOMINATOR: Final = 10_000


class MarketSpecError(ValueError):
    """A market definition, or an amount given for it, that cannot be represented exactly."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One market: its id, its currencies (ledger codes), and how ticks and lots become ledger units.

    `base_decimals`/`quote_decimals` are the exponents of the ledger units (6: one unit is 10^-6), used only
    to read and write decimal strings; `max_fee_bps` is what a buy reserves on top of its notional.
    """

    id: str
    base: str
    quote: str
    base_decimals: int
    quote_decimals: int
    base_per_lot: int
    quote_per_tick_lot: int
    maker_fee_bps: int
    taker_fee_bps: int
    max_qty_lots: int = 1_000_000
    max_price_ticks: int = 100_000_000

    def __post_init__(self) -> None:
        for name in ("base_per_lot", "quote_per_tick_lot", "max_qty_lots", "max_price_ticks"):
            if getattr(self, name) <= 0:
                raise MarketSpecError(f"{name} must be positive", name)
        for name in ("maker_fee_bps", "taker_fee_bps"):
            bps = getattr(self, name)
            if not 0 <= bps < BPS_DENOMINATOR:
                raise MarketSpecError(f"{name} must be within 0..9999", name)
            if self.quote_per_tick_lot * bps % BPS_DENOMINATOR:
                raise MarketSpecError(f"{name} would make a fee fractional at this tick and lot", name)
        # The largest order's reservation must fit the ledger's int64 amounts.
        if self.reserve_quote(self.max_qty_lots, self.max_price_ticks) >= 2**63:
            raise MarketSpecError("the largest order's notional overflows int64", "max_qty_lots")

    @property
    def max_fee_bps(self) -> int:
        return max(self.maker_fee_bps, self.taker_fee_bps)

    # -- integers to ledger units ------------------------------------------------------------------

    def base_amount(self, lots: int) -> int:
        """Base ledger units in `lots` lots."""
        return lots * self.base_per_lot

    def notional(self, lots: int, price: int) -> int:
        """Quote ledger units `lots` lots cost at `price` ticks."""
        return lots * price * self.quote_per_tick_lot

    def fee(self, notional: int, bps: int) -> int:
        """`bps` of `notional`, exact: every notional is a multiple of `quote_per_tick_lot`, whose product
        with a fee rate is a multiple of 10,000 (checked at construction)."""
        fee, remainder = divmod(notional * bps, BPS_DENOMINATOR)
        assert remainder == 0, "a notional not made of ticks and lots"
        return fee

    def reserve_quote(self, lots: int, price: int) -> int:
        """What a buy of `lots` at limit `price` holds: its notional plus the highest fee it could pay."""
        notional = self.notional(lots, price)
        return notional + self.fee(notional, self.max_fee_bps)

    # -- decimal strings ---------------------------------------------------------------------------

    def price_ticks(self, text: str, field: str = "price") -> int:
        """`text` (quote per one base, e.g. "12.34") as ticks; refused unless a positive whole tick."""
        numerator = self.quote_per_tick_lot * 10**self.base_decimals
        return self._whole(
            text, field, numerator, self.base_per_lot * 10**self.quote_decimals, self.max_price_ticks
        )

    def qty_lots(self, text: str, field: str = "qty") -> int:
        """`text` (base, e.g. "1.5") as lots; refused unless a positive whole number of lots."""
        return self._whole(text, field, self.base_per_lot, 10**self.base_decimals, self.max_qty_lots)

    def price_text(self, ticks: int) -> str:
        """Ticks as a decimal string of quote per one base."""
        with localcontext() as context:
            context.prec = 80
            value = Decimal(ticks * self.quote_per_tick_lot * 10**self.base_decimals) / Decimal(
                self.base_per_lot * 10**self.quote_decimals
            )
        return _plain(value)

    def qty_text(self, lots: int) -> str:
        """Lots as a decimal string of base."""
        return units_text(self.base_amount(lots), self.base_decimals)

    @staticmethod
    def _whole(text: str, field: str, numerator: int, denominator: int, most: int) -> int:
        return whole_steps(text, field, numerator, denominator, most)


def whole_steps(text: str, field: str, numerator: int, denominator: int, most: int) -> int:
    """`text` divided by the value of one step (`numerator / denominator`): a whole number of steps
    within 1..`most`, or refused naming `field` (never rounded to the nearest step)."""
    value = parse_decimal(text, field)
    with localcontext() as context:
        context.prec = 80  # exact for any 40-character input times these integers
        steps = value * denominator / numerator
    if steps != steps.to_integral_value() or not 0 < steps <= most:
        raise MarketSpecError(f"{field} must be a whole number of the market's steps, at most {most}", field)
    return int(steps)


def parse_decimal(text: str, field: str) -> Decimal:
    """A plain decimal string ("12.5"; no exponent, sign, spaces or NaN) as an exact Decimal."""
    if (
        not isinstance(text, str)
        or not text
        or len(text) > 40
        or not all(c.isdigit() or c == "." for c in text)
    ):
        raise MarketSpecError(f'{field} must be a decimal string such as "12.5"', field)
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise MarketSpecError(f'{field} must be a decimal string such as "12.5"', field) from error
    if not value.is_finite():
        raise MarketSpecError(f'{field} must be a decimal string such as "12.5"', field)
    return value


def parse_units(text: str, decimals: int, field: str) -> int:
    """A plain decimal string of a currency with `decimals` as its ledger units, exactly (a digit below
    the unit is refused naming `field`, never rounded)."""
    with localcontext() as context:
        context.prec = 80
        units = parse_decimal(text, field).scaleb(decimals)
    if units != units.to_integral_value():
        raise MarketSpecError(f"{field} has more than {decimals} decimals", field)
    return int(units)


def units_text(units: int, decimals: int) -> str:
    """Ledger `units` of a currency with `decimals` as a decimal string ("1.5")."""
    return _plain(Decimal(units).scaleb(-decimals))


def _plain(value: Decimal) -> str:
    """No exponent and no trailing zeros: "12.5", "100"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


TPW_TUSD: Final = MarketSpec(
    id="TPW-tUSD",
    base="TPW",
    quote="QTU",
    base_decimals=6,
    quote_decimals=6,
    base_per_lot=1_000_000,  # 1 TPW
    quote_per_tick_lot=10_000,  # 0.01 tUSD per TPW, for one lot of 1 TPW
    maker_fee_bps=10,
    taker_fee_bps=20,
)


def markets() -> dict[str, MarketSpec]:
    """The markets served, by id."""
    return {TPW_TUSD.id: TPW_TUSD}
