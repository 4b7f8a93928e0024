"""What the rules read about one assessment: its own fields, and the signals only the engine's state knows.

Signals are computed on use, so a rule set that never reads the IP's country or a window pays nothing for
it (the IP's country is kept for the rest of the decision; a window read is already O(1)).
"""

from collections.abc import Callable
from functools import partial
from operator import attrgetter

from risk.engine.geo import CountryLookup
from risk.engine.model import Assessment, BeneficiaryKind
from risk.engine.velocity import Dimension, VelocityWindows

# Module constants: reading an enum member through its class costs more than a whole comparison (Python 3.11).
_CUSTOMER, _DEVICE, _IP = Dimension.CUSTOMER, Dimension.DEVICE, Dimension.IP


def dimension_key(assessment: Assessment, dimension: Dimension) -> str | None:
    """The value an assessment is counted under in one dimension, or None if it has none there."""
    if dimension is _CUSTOMER:
        return assessment.subject
    if dimension is _DEVICE:
        return assessment.device_id
    if dimension is _IP:
        return assessment.ip
    beneficiary = assessment.beneficiary
    if beneficiary is None or beneficiary.kind is not _BENEFICIARY_KIND[dimension]:
        return None
    return beneficiary.value


_BENEFICIARY_KIND = {
    Dimension.IBAN: BeneficiaryKind.IBAN,
    Dimension.CARD: BeneficiaryKind.CARD,
    Dimension.ADDRESS: BeneficiaryKind.ADDRESS,
}
BENEFICIARY_DIMENSION = {kind: dimension for dimension, kind in _BENEFICIARY_KIND.items()}
"""The dimension a beneficiary of each kind is counted in."""


class Facts:
    """One decision's view: `assessment`, plus the IP country and window figures, looked up lazily."""

    __slots__ = ("_countries", "_ip_country", "_ip_looked_up", "_windows", "assessment")

    def __init__(self, assessment: Assessment, windows: VelocityWindows, countries: CountryLookup) -> None:
        self.assessment = assessment
        self._windows = windows
        self._countries = countries
        self._ip_looked_up = False
        self._ip_country: str | None = None

    def ip_country(self) -> str | None:
        if not self._ip_looked_up:
            ip = self.assessment.ip
            self._ip_country = None if ip is None else self._countries.country(ip)
            self._ip_looked_up = True
        return self._ip_country

    def country_mismatch(self) -> bool:
        """The IP is placed in a country, and it is not the customer's."""
        country = self.ip_country()
        return country is not None and country != self.assessment.customer_country

    def cross_border(self) -> bool:
        """The beneficiary's country is known and is not the customer's."""
        beneficiary = self.assessment.beneficiary
        return (
            beneficiary is not None
            and beneficiary.country is not None
            and beneficiary.country != self.assessment.customer_country
        )

    def count(self, dimension: Dimension, window: int) -> int:
        """Recorded actions in the last `window` seconds under this assessment's key in `dimension`."""
        a = self.assessment
        key = dimension_key(a, dimension)
        return 0 if key is None else self._windows.counts[dimension].read(key, window, a.at)

    def total(self, dimension: Dimension, window: int) -> int:
        """Their amounts in this assessment's currency, in minor units."""
        a = self.assessment
        key = dimension_key(a, dimension)
        return 0 if key is None else self._windows.sums[dimension].read((key, a.currency), window, a.at)


KeyOf = Callable[[Assessment], str | None]
_KEY_OF: dict[Dimension, KeyOf] = {
    _CUSTOMER: attrgetter("subject"),
    _DEVICE: attrgetter("device_id"),
    _IP: attrgetter("ip"),
    **{dimension: partial(dimension_key, dimension=dimension) for dimension in _BENEFICIARY_KIND},
}
"""`dimension_key` for one dimension, the three own-field ones read from C."""


def count_reader(dimension: Dimension, window: int) -> Callable[[Facts], int]:
    """`Facts.count(dimension, window)` as one closure, for a rule condition: a velocity read is the most
    frequent work of a decision, and this spares it two Python calls (the method, `dimension_key`)."""
    key_of = _KEY_OF[dimension]

    def count(facts: Facts) -> int:
        a = facts.assessment
        key = key_of(a)
        return 0 if key is None else facts._windows.counts[dimension].read(key, window, a.at)

    return count


def total_reader(dimension: Dimension, window: int) -> Callable[[Facts], int]:
    """`Facts.total(dimension, window)` as one closure (as `count_reader`)."""
    key_of = _KEY_OF[dimension]

    def total(facts: Facts) -> int:
        a = facts.assessment
        key = key_of(a)
        return 0 if key is None else facts._windows.sums[dimension].read((key, a.currency), window, a.at)

    return total
