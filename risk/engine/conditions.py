"""The fields a rule can test and their typed operators, compiled once into plain predicates.

A condition is `field: {operator: operand}` in the rule file. Each is turned here into a closure over
`Facts` when the file is loaded, so deciding never reads YAML nor evaluates text. A field that has no value
for an assessment (no IP, no beneficiary, no MCC) matches no condition at all, whatever the operator.
A merchant category (`mcc`) must be one of the ISO 18245 codes `risk.engine.mcc` knows, the same table a
merchant's category is checked against, so a rule cannot name a category no merchant can have.
Money is compared per currency: the operand maps ISO 4217 codes to minor units, and an amount in a currency
the operand does not list matches nothing.
"""

import enum
import operator
from collections.abc import Callable, Mapping
from typing import Any

from risk.engine.facts import Facts, count_reader, total_reader
from risk.engine.mcc import CATEGORIES
from risk.engine.model import BeneficiaryKind, Kind, KycTier, SensitiveChange
from risk.engine.velocity import Dimension, Figure

Predicate = Callable[[Facts], bool]
Getter = Callable[[Facts], Any]


class ConditionError(ValueError):
    """A condition the loader refuses; the loader adds the file and line."""


class FieldType(enum.Enum):
    BOOL = "a boolean"
    INT = "an integer"
    MONEY = "an amount in minor units per currency"
    CODE = "a code (text)"


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
OPERATORS: dict[FieldType, tuple[str, ...]] = {
    FieldType.BOOL: ("eq",),
    FieldType.INT: ("eq", "ne", "lt", "lte", "gt", "gte"),
    FieldType.MONEY: ("lt", "lte", "gt", "gte"),
    FieldType.CODE: ("eq", "ne", "in", "not_in"),
}


def _beneficiary_kind(facts: Facts) -> BeneficiaryKind | None:
    beneficiary = facts.assessment.beneficiary
    return None if beneficiary is None else beneficiary.kind


def _beneficiary_country(facts: Facts) -> str | None:
    beneficiary = facts.assessment.beneficiary
    return None if beneficiary is None else beneficiary.country


def _beneficiary_trusted(facts: Facts) -> bool:
    beneficiary = facts.assessment.beneficiary
    return beneficiary is not None and beneficiary.trusted


def _of(name: str) -> Getter:
    """The getter of one of the assessment's own fields: `operator.attrgetter` runs in C, where a lambda
    would cost a Python call on every condition of every decision."""
    return operator.attrgetter(f"assessment.{name}")


# name -> (type, the values a code may take or None for any, getter)
FIELDS: dict[str, tuple[FieldType, frozenset[str] | None, Getter]] = {
    "kind": (FieldType.CODE, frozenset(Kind), _of("kind")),
    "amount": (FieldType.MONEY, None, _of("amount")),
    "currency": (FieldType.CODE, None, _of("currency")),
    "mcc": (FieldType.CODE, frozenset(CATEGORIES), _of("mcc")),
    "customer_country": (FieldType.CODE, None, _of("customer_country")),
    "beneficiary_country": (FieldType.CODE, None, _beneficiary_country),
    "beneficiary_kind": (FieldType.CODE, frozenset(BeneficiaryKind), _beneficiary_kind),
    "beneficiary_trusted": (FieldType.BOOL, None, _beneficiary_trusted),
    "ip_country": (FieldType.CODE, None, Facts.ip_country),
    "country_mismatch": (FieldType.BOOL, None, Facts.country_mismatch),
    "cross_border": (FieldType.BOOL, None, Facts.cross_border),
    "device_new": (FieldType.BOOL, None, _of("device_new")),
    "device_verified": (FieldType.BOOL, None, _of("device_verified")),
    "payee_new": (FieldType.BOOL, None, _of("payee_new")),
    "account_age_days": (FieldType.INT, None, _of("account_age_days")),
    "kyc_tier": (FieldType.CODE, frozenset(KycTier), _of("kyc_tier")),
    "sensitive_change": (FieldType.CODE, frozenset(SensitiveChange), _of("sensitive_change")),
}
VELOCITY_MEASURES = {"count": FieldType.INT, "sum": FieldType.MONEY}


def resolve_field(
    name: str, windows: Mapping[str, int]
) -> tuple[FieldType, frozenset[str] | None, Getter, Figure | None]:
    """The field's type, allowed codes, getter, and the velocity figure it reads if it is
    `velocity.<dimension>.<window>.<count|sum>`."""
    if name in FIELDS:
        return (*FIELDS[name], None)
    parts = name.split(".")
    if len(parts) != 4 or parts[0] != "velocity":
        raise ConditionError(
            f"unknown field {name!r}; fields are {', '.join(FIELDS)} and "
            "velocity.<dimension>.<window>.<count|sum>"
        )
    _, dimension_name, window_name, measure = parts
    try:
        dimension = Dimension(dimension_name)
    except ValueError:
        raise ConditionError(
            f"unknown velocity dimension {dimension_name!r} (one of {', '.join(Dimension)})"
        ) from None
    if window_name not in windows:
        raise ConditionError(f"window {window_name!r} is not declared under `windows`")
    if measure not in VELOCITY_MEASURES:
        raise ConditionError(f"unknown velocity measure {measure!r} (count or sum)")
    span = windows[window_name]
    if measure == "count":
        return FieldType.INT, None, count_reader(dimension, span), Figure(dimension, span, False)
    return FieldType.MONEY, None, total_reader(dimension, span), Figure(dimension, span, True)


def compile_condition(
    name: str, op: str, operand: object, windows: Mapping[str, int], figures: set[Figure]
) -> Predicate:
    """The condition as a predicate; a velocity figure it reads is added to `figures`."""
    kind, codes, get, figure = resolve_field(name, windows)
    if figure is not None:
        figures.add(figure)
    if op not in OPERATORS[kind]:
        raise ConditionError(
            f"{name} is {kind.value}: its operators are {', '.join(OPERATORS[kind])}, not {op!r}"
        )
    if kind is FieldType.BOOL:
        if not isinstance(operand, bool):
            raise ConditionError(f"{name} {op} needs true or false, not {operand!r}")
        return lambda f: get(f) is operand
    if kind is FieldType.INT:
        if not isinstance(operand, int) or isinstance(operand, bool):
            raise ConditionError(f"{name} {op} needs an integer, not {operand!r}")
        compare = operator.eq if op == "eq" else operator.ne if op == "ne" else _COMPARISONS[op]
        return lambda f: compare(get(f), operand)
    if kind is FieldType.MONEY:
        limits = money_table(operand, f"{name} {op}")
        compare = _COMPARISONS[op]

        def money(f: Facts) -> bool:
            limit = limits.get(f.assessment.currency)
            return limit is not None and compare(get(f), limit)

        return money
    return _code_predicate(name, op, operand, codes, get)


def admitted_kinds(op: str, operand: object) -> frozenset[Kind]:
    """The kinds a (checked) `kind` condition lets through: the engine only runs a rule for those, so most
    rules are not even looked at for most actions."""
    named = frozenset(Kind(str(value)) for value in (operand if isinstance(operand, list) else [operand]))
    return named if op in ("eq", "in") else frozenset(Kind) - named


def _always(facts: Facts) -> bool:
    return True


def all_of(predicates: tuple[Predicate, ...]) -> Predicate:
    """One predicate for a rule's conditions, in order, stopping at the first that fails (none: always
    true). The usual one to three conditions get a closure of their own: a loop over them would cost more
    than most conditions."""
    if not predicates:
        return _always
    if len(predicates) == 1:
        return predicates[0]
    if len(predicates) == 2:
        first, second = predicates
        return lambda f: first(f) and second(f)
    if len(predicates) == 3:
        first, second, third = predicates
        return lambda f: first(f) and second(f) and third(f)
    return lambda f: all(predicate(f) for predicate in predicates)


def _code_predicate(
    name: str, op: str, operand: object, codes: frozenset[str] | None, get: Getter
) -> Predicate:
    values = operand if op in ("in", "not_in") else [operand]
    if not isinstance(values, list) or not values:
        raise ConditionError(f"{name} {op} needs a non-empty list of codes")
    for value in values:
        if not isinstance(value, str):
            raise ConditionError(f"{name} {op} needs codes written as text, not {value!r}")
        if codes is not None and value not in codes:
            raise ConditionError(f"{name} has no value {value!r} ({_known(codes)})")
    if op == "eq":
        wanted = values[0]
        return lambda f: get(f) == wanted
    if op == "ne":
        unwanted = values[0]
        return lambda f: (value := get(f)) is not None and value != unwanted
    members = frozenset(values)
    if op == "in":
        return lambda f: get(f) in members
    return lambda f: (value := get(f)) is not None and value not in members


def _known(codes: frozenset[str]) -> str:
    """The values a code may take, listed when they are few (a long table is named by its size)."""
    if len(codes) <= _LISTED_CODES:
        return f"one of {', '.join(sorted(codes))}"
    return f"not among the {len(codes)} known codes"


_LISTED_CODES = 12


def money_table(operand: object, where: str) -> dict[str, int]:
    """A `{CURRENCY: minor units}` mapping, checked: ISO-looking codes, non-negative ints."""
    if not isinstance(operand, dict) or not operand:
        raise ConditionError(f"{where} needs amounts per currency, e.g. {{EUR: 50000}}")
    for currency, amount in operand.items():
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
            raise ConditionError(f"{where}: {currency!r} is not a currency code")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ConditionError(
                f"{where}: {currency} needs a non-negative int in minor units, not {amount!r}"
            )
    return dict(operand)
