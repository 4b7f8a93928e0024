"""Reading a YAML allocation plan strictly, with every error naming the file, line and column.

Strictness is the point, since the plan moves the whole supply: percentages are read from the YAML text as
decimals (never floats) and must sum to exactly 100; every amount must come out as a whole number of base
units; durations are non-zero and explicit about their unit; addresses must carry a valid EIP-55
checksum; unknown or repeated keys are refused.
"""

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import yaml
from eth_typing import ChecksumAddress
from eth_utils import is_checksum_address, to_checksum_address

from chain.allocation.plan import (
    SECONDS_PER_UNIT,
    TPW_DECIMALS,
    AllocationError,
    AllocationPlan,
    PlannedGrant,
    grant_reference,
)
from chain.vesting import (
    LINEAR_PERIOD,
    MAX_AMOUNT,
    Schedule,
    VestingError,
)

HUNDRED = Decimal(100)
PLAIN_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
PLAIN_INTEGER = re.compile(r"[0-9]+")
DURATION = re.compile(r"([0-9]+)([a-z]*)")
PLAN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")
CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_-]*")
ADDRESS_SHAPE = re.compile(r"0x[0-9a-fA-F]{40}")
KINDS = ("linear", "tranche")


def load_plan(path: Path, *, decimals: int = TPW_DECIMALS) -> AllocationPlan:
    """Read and validate the plan in `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise AllocationError(f"{path}: cannot read the plan ({error.strerror or error})") from None
    return parse_plan(text, source=str(path), decimals=decimals)


def parse_plan(text: str, *, source: str = "<plan>", decimals: int = TPW_DECIMALS) -> AllocationPlan:
    """Validate the plan in `text`; `source` names it in error messages."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        raise AllocationError(f"{where}: not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise AllocationError(f"{source}: not valid YAML: {error}") from None
    if root is None:
        raise AllocationError(f"{source}: the plan is empty")
    return _PlanReader(source, decimals).plan(root)


class _PlanReader:
    """Walks the composed YAML node tree, checking each value where it is and naming its place on error."""

    def __init__(self, source: str, decimals: int) -> None:
        self.source = source
        self.decimals = decimals

    def fail(self, node: yaml.Node, message: str) -> AllocationError:
        mark = node.start_mark
        return AllocationError(f"{self.source}:{mark.line + 1}:{mark.column + 1}: {message}")

    # Shapes

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        required: Iterable[str],
        optional: Iterable[str] = (),
        *,
        owner: yaml.Node | None = None,
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """The mapping's entries by key (key node, value node); unknown, repeated or missing keys fail.

        A missing key is reported at `owner` (the key the mapping is the value of) when there is one.
        """
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        required = tuple(required)
        allowed = set(required) | set(optional)
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, f"{what}: keys must be plain names")
            key = key_node.value
            if key not in allowed:
                raise self.fail(
                    key_node, f"{what}: unknown key {key!r} (expected: {', '.join(sorted(allowed))})"
                )
            if key in entries:
                first = entries[key][0].start_mark.line + 1
                raise self.fail(key_node, f"{what}: key {key!r} repeated (first on line {first})")
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                raise self.fail(owner or node, f"{what}: missing key {key!r}")
        return entries

    def text(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value == "":
            raise self.fail(node, f"{what} must be a single value")
        value: str = node.value
        return value.strip()

    def decimal(self, node: yaml.Node, what: str) -> Decimal:
        """A plain decimal number (digits, optionally a point and more digits), read from its text."""
        text = self.text(node, what)
        if not PLAIN_DECIMAL.fullmatch(text):
            raise self.fail(node, f"{what}: {text!r} is not a plain decimal number such as 12 or 12.5")
        return Decimal(text)

    def integer(self, node: yaml.Node, what: str) -> int:
        text = self.text(node, what)
        if not PLAIN_INTEGER.fullmatch(text):
            raise self.fail(node, f"{what}: {text!r} is not a whole number")
        return int(text)

    def boolean(self, node: yaml.Node, what: str) -> bool:
        text = self.text(node, what)
        if text not in ("true", "false"):
            raise self.fail(node, f"{what}: {text!r} is not true or false")
        return text == "true"

    def duration(self, node: yaml.Node, what: str) -> int:
        """Seconds, from `<n>` (seconds) or `<n><unit>` with unit s, h, d or w."""
        text = self.text(node, what)
        match = DURATION.fullmatch(text)
        unit = match.group(2) if match else ""
        if match is None or (unit and unit not in SECONDS_PER_UNIT):
            raise self.fail(
                node,
                f"{what}: {text!r} is not a duration: write a whole number and a unit s, h, d or w, "
                "such as 30d (months and years vary in length: write 30d or 365d)",
            )
        return int(match.group(1)) * SECONDS_PER_UNIT.get(unit, 1)

    def timestamp(self, node: yaml.Node, what: str) -> int:
        """Unix seconds, from an integer, a date (midnight UTC) or a date-time with its UTC offset."""
        text = self.text(node, what)
        if PLAIN_INTEGER.fullmatch(text):
            return int(text)
        try:
            if "T" not in text and " " not in text:
                day = date.fromisoformat(text)
                return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(
                node, f"{what}: {text!r} is not a date (2026-01-01) or date-time (2026-01-01T00:00:00Z)"
            ) from None
        if moment.tzinfo is None:
            raise self.fail(node, f"{what}: {text!r} has no UTC offset: add Z or +hh:mm")
        return int(moment.timestamp())

    def address(self, node: yaml.Node, what: str) -> ChecksumAddress:
        text = self.text(node, what)
        if not ADDRESS_SHAPE.fullmatch(text):
            raise self.fail(node, f"{what}: {text!r} is not an address (0x and 40 hex digits)")
        if not is_checksum_address(text):
            digits = text[2:]
            problem = (
                "is not in EIP-55 checksum form (mixed case)"
                if digits in (digits.lower(), digits.upper())
                else "fails its EIP-55 checksum (a mistyped address?)"
            )
            raise self.fail(node, f"{what}: {text} {problem}")
        if int(text, 16) == 0:
            raise self.fail(node, f"{what}: the zero address cannot hold a grant")
        return to_checksum_address(text)

    def tokens(self, node: yaml.Node, what: str) -> int:
        """A token amount written in whole tokens (up to `decimals` places), as base units."""
        value = self.decimal(node, what)
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # a finite decimal: the pattern admits nothing else
        if -exponent > self.decimals:
            raise self.fail(node, f"{what}: {value} has more than {self.decimals} decimal places")
        base_units = int(value.scaleb(self.decimals))
        if base_units == 0:
            raise self.fail(node, f"{what}: must be more than zero")
        return base_units

    # The plan

    def plan(self, root: yaml.Node) -> AllocationPlan:
        entries = self.mapping(root, "the plan", ("name", "total_supply", "start", "categories"))
        name = self.text(entries["name"][1], "name")
        if not PLAN_NAME.fullmatch(name):
            raise self.fail(
                entries["name"][1], f"name {name!r}: use lower-case letters, digits, '.', '_', '-'"
            )
        total_supply = self.tokens(entries["total_supply"][1], "total_supply")
        start = self.timestamp(entries["start"][1], "start")
        categories_key, categories_node = entries["categories"]
        if not isinstance(categories_node, yaml.MappingNode) or not categories_node.value:
            raise self.fail(categories_node, "categories must be a mapping of category names to allocations")
        names = [key.value for key, _ in categories_node.value if isinstance(key, yaml.ScalarNode)]
        self.mapping(categories_node, "categories", (), names)  # refuses repeated and non-name keys
        grants: list[PlannedGrant] = []
        total_percentage = Decimal(0)
        for key_node, value_node in categories_node.value:
            category = key_node.value
            if not CATEGORY_NAME.fullmatch(category):
                raise self.fail(key_node, f"category {category!r}: use lower-case letters, digits, '_', '-'")
            percentage, category_grants = self.category(name, key_node, value_node, start, total_supply)
            total_percentage += percentage
            grants.extend(category_grants)
        if total_percentage != HUNDRED:
            raise self.fail(
                categories_key, f"categories: percentages sum to {total_percentage}, not exactly 100"
            )
        if sum(grant.amount for grant in grants) != total_supply:  # exact sums and whole amounts forbid it
            raise AllocationError(f"{self.source}: the grants do not add up to the total supply (a bug)")
        return AllocationPlan(
            name=name, total_supply=total_supply, decimals=self.decimals, grants=tuple(grants)
        )

    def category(
        self, plan_name: str, key: yaml.Node, node: yaml.Node, default_start: int, total_supply: int
    ) -> tuple[Decimal, list[PlannedGrant]]:
        """The category under `key`: its percentage of the supply and its grants."""
        category: str = key.value
        what = f"categories.{category}"
        entries = self.mapping(
            node,
            what,
            ("percentage", "kind", "cliff", "revocable", "beneficiaries"),
            ("start", "duration", "period", "tranches"),
            owner=key,
        )
        percentage = self.percentage(entries["percentage"][1], f"{what}.percentage")
        schedule = self.schedule(entries, what, default_start)
        revocable = self.boolean(entries["revocable"][1], f"{what}.revocable")
        beneficiaries_key, beneficiaries_node = entries["beneficiaries"]
        if not isinstance(beneficiaries_node, yaml.SequenceNode) or not beneficiaries_node.value:
            raise self.fail(beneficiaries_node, f"{what}.beneficiaries must be a list of one or more entries")
        single = len(beneficiaries_node.value) == 1
        seen: dict[str, int] = {}
        total_share = Decimal(0)
        grants = []
        for index, entry in enumerate(beneficiaries_node.value):
            where = f"{what}.beneficiaries[{index}]"
            fields = self.mapping(entry, where, ("address",), ("share",))
            address = self.address(fields["address"][1], f"{where}.address")
            if address in seen:
                raise self.fail(
                    fields["address"][1], f"{where}: {address} is already beneficiary [{seen[address]}] here"
                )
            seen[address] = index
            if "share" in fields:
                share = self.percentage(fields["share"][1], f"{where}.share")
            elif single:
                share = HUNDRED
            else:
                raise self.fail(entry, f"{where}: missing key 'share' (percent of the category)")
            total_share += share
            amount = Fraction(total_supply) * Fraction(percentage) * Fraction(share) / 10_000
            if amount.denominator != 1:
                raise self.fail(
                    entry,
                    f"{where}: {share}% of {percentage}% of the supply is not a whole number of base units",
                )
            if amount > MAX_AMOUNT:
                raise self.fail(
                    entry, f"{where}: {int(amount)} base units exceed a grant's maximum (2**127 - 1)"
                )
            grants.append(
                PlannedGrant(
                    category=category,
                    index=index,
                    beneficiary=address,
                    amount=int(amount),
                    schedule=schedule,
                    revocable=revocable,
                    reference=grant_reference(plan_name, category, index),
                )
            )
        if total_share != HUNDRED:
            raise self.fail(
                beneficiaries_key, f"{what}: beneficiary shares sum to {total_share}, not exactly 100"
            )
        return percentage, grants

    def percentage(self, node: yaml.Node, what: str) -> Decimal:
        value = self.decimal(node, what)
        if not 0 < value <= HUNDRED:
            raise self.fail(node, f"{what}: {value} is not a percentage above 0 and at most 100")
        return value

    def schedule(
        self, entries: dict[str, tuple[yaml.Node, yaml.Node]], what: str, default_start: int
    ) -> Schedule:
        """Linear: `duration`. Tranche: `period` and `tranches` (duration = period x tranches)."""
        kind_node = entries["kind"][1]
        kind = self.text(kind_node, f"{what}.kind")
        if kind not in KINDS:
            raise self.fail(kind_node, f"{what}.kind: {kind!r} is not one of {', '.join(KINDS)}")
        wanted = ("duration",) if kind == "linear" else ("period", "tranches")
        for key in ("duration", "period", "tranches"):
            if key in entries and key not in wanted:
                raise self.fail(entries[key][0], f"{what}: {key!r} does not apply to {kind} vesting")
            if key in wanted and key not in entries:
                raise self.fail(kind_node, f"{what}: {kind} vesting needs {' and '.join(map(repr, wanted))}")
        if kind == "linear":
            duration_node = entries["duration"][1]
            duration = self.positive(duration_node, f"{what}.duration", self.duration)
            period = LINEAR_PERIOD
        else:
            duration_node = entries["tranches"][1]
            period = self.positive(entries["period"][1], f"{what}.period", self.duration)
            duration = period * self.positive(duration_node, f"{what}.tranches", self.integer)
        cliff_node = entries["cliff"][1]
        cliff = self.duration(cliff_node, f"{what}.cliff")
        if cliff > duration:
            raise self.fail(cliff_node, f"{what}.cliff: {cliff}s is after the end of vesting ({duration}s)")
        start_node = entries["start"][1] if "start" in entries else None
        start = self.timestamp(start_node, f"{what}.start") if start_node is not None else default_start
        try:
            return Schedule(start=start, cliff=cliff, duration=duration, period=period)
        except VestingError as error:  # a value beyond what the escrow can hold
            raise self.fail(start_node or duration_node, f"{what}: {error}") from None

    def positive(self, node: yaml.Node, what: str, read: Callable[[yaml.Node, str], int]) -> int:
        value = read(node, what)
        if value == 0:
            raise self.fail(node, f"{what}: must not be zero")
        return value
