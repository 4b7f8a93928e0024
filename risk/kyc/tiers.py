"""The KYC tiers and their limits, read from a YAML file (config/risk/kyc_tiers.yaml).

A tier's limits are per currency, in minor units: per transaction, per day and per month. A currency a tier
does not list has limits of zero (nothing may be paid in it at that tier): default deny, as the custody
policy. The file is checked whole on load: the three tiers present, integer amounts only (no floats, no
quoted numbers, no booleans), per transaction <= per day <= per month, and a higher tier never below a lower
one in any currency or limit, so raising a subject's tier can only widen what it may do. The file's
`version` is the SHA-256 of its canonical JSON form, for decisions to record which limits they applied.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import yaml

from risk.engine.rulefile import YAML_LOADER
from risk.kyc.errors import InvalidTierConfig

CURRENCY_CODE_MAX: Final = 8
LIMIT_KEYS: Final = ("per_transaction", "per_day", "per_month")


class Tier(StrEnum):
    """How much is known of a subject: nothing, a light check (name, date of birth, email), a full check
    (an identity document verified). Declared in increasing order; `rank` compares them."""

    NONE = "none"
    LIGHT = "light"
    FULL = "full"

    @property
    def rank(self) -> int:
        return list(Tier).index(self)


@dataclass(frozen=True, slots=True)
class Limits:
    """A tier's limits in one currency, in minor units."""

    per_transaction: int
    per_day: int
    per_month: int

    def exceeded(self, amount: int, spent_today: int, spent_this_month: int) -> str | None:
        """The first limit `amount` would break on top of what was already spent (`per_transaction`,
        `per_day`, `per_month`), or None when it fits all three."""
        if amount > self.per_transaction:
            return "per_transaction"
        if spent_today + amount > self.per_day:
            return "per_day"
        if spent_this_month + amount > self.per_month:
            return "per_month"
        return None


NO_LIMITS: Final = Limits(0, 0, 0)
"""What a tier allows in a currency it does not list: nothing."""


@dataclass(frozen=True, slots=True)
class TierLimits:
    """Every tier's limits per currency, and the version of the file they came from."""

    version: str
    by_tier: Mapping[Tier, Mapping[str, Limits]]

    def limits_for(self, tier: Tier) -> Mapping[str, Limits]:
        """`tier`'s limits by currency (the currencies it lists)."""
        return self.by_tier[tier]

    def limits_in(self, tier: Tier, currency: str) -> Limits:
        """What `tier` allows in `currency` (zero limits for a currency it does not list)."""
        return self.by_tier[tier].get(currency, NO_LIMITS)


def _amount(value: object, where: str) -> int:
    if type(value) is not int or value < 0:
        raise InvalidTierConfig(f"{where} must be a non-negative integer of minor units", field=where)
    return value


def _limits(value: object, where: str) -> Limits:
    if not isinstance(value, dict) or set(value) != set(LIMIT_KEYS):
        raise InvalidTierConfig(f"{where} must have exactly {', '.join(LIMIT_KEYS)}", field=where)
    limits = Limits(*(_amount(value[key], f"{where}.{key}") for key in LIMIT_KEYS))
    if not limits.per_transaction <= limits.per_day <= limits.per_month:
        raise InvalidTierConfig(f"{where}: per_transaction <= per_day <= per_month must hold", field=where)
    return limits


def _currency(code: object, where: str) -> str:
    if not isinstance(code, str) or not code.isalpha() or not 3 <= len(code) <= CURRENCY_CODE_MAX:
        raise InvalidTierConfig(f"{where}: {code!r} is not a currency code", field=where)
    return code


def parse_tier_limits(document: Any) -> TierLimits:
    """Tier limits from the YAML file's parsed document (see the module docstring for the rules)."""
    if not isinstance(document, dict) or set(document) != {"version", "tiers"} or document["version"] != 1:
        raise InvalidTierConfig("the file must hold exactly `version: 1` and `tiers`", field="version")
    tiers = document["tiers"]
    if not isinstance(tiers, dict) or set(tiers) != {str(tier) for tier in Tier}:
        raise InvalidTierConfig(f"tiers must be exactly {', '.join(Tier)}", field="tiers")
    by_tier: dict[Tier, dict[str, Limits]] = {}
    for tier in Tier:
        currencies = tiers[str(tier)] or {}
        if not isinstance(currencies, dict):
            raise InvalidTierConfig(f"tiers.{tier} must map currencies to limits", field=f"tiers.{tier}")
        by_tier[tier] = {
            _currency(code, f"tiers.{tier}"): _limits(limits, f"tiers.{tier}.{code}")
            for code, limits in currencies.items()
        }
    for lower, higher in zip(list(Tier), list(Tier)[1:], strict=False):
        for code, floor in by_tier[lower].items():
            ceiling = by_tier[higher].get(code, NO_LIMITS)
            if any(getattr(ceiling, key) < getattr(floor, key) for key in LIMIT_KEYS):
                where = f"tiers.{higher}.{code}"
                raise InvalidTierConfig(f"{where} is below tiers.{lower}.{code}", field=where)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return TierLimits(hashlib.sha256(canonical.encode()).hexdigest(), by_tier)


def load_tier_limits(path: Path) -> TierLimits:
    """Tier limits from the YAML file at `path`."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise InvalidTierConfig(f"{path} is not YAML: {error}", field="file") from error
    return parse_tier_limits(document)
