"""chain/allocation.py: the allocation plan read strictly, its grants computed exactly, and a re-run planned.

Every refusal must name the line and column of the YAML it is about; tests find the expected line by
searching the plan text for the offending value, so they say which line, not just that there is one.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.allocation import (
    AllocationError,
    AllocationPlan,
    format_tokens,
    grant_reference,
    load_plan,
    parse_plan,
    pending_grants,
    schedule_table,
)
from chain.paths import PROJECT_ROOT
from chain.vesting import CreatedGrant, Schedule, grant_id

EXAMPLE = PROJECT_ROOT / "config" / "allocation.example.yaml"
TPW = 10**18
DAY = 86_400
SOURCE = "plan.yaml"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
CAROL = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
JAN_2026 = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp())

PLAN = f"""\
name: test-plan
total_supply: 1000
start: 2026-01-01T00:00:00Z
categories:
  team:
    percentage: 60
    kind: linear
    cliff: 365d
    duration: 1460d
    revocable: true
    beneficiaries:
      - address: "{ALICE}"
        share: 75
      - address: "{BOB}"
        share: 25
  investors:
    percentage: 40
    kind: tranche
    cliff: 0
    period: 30d
    tranches: 12
    revocable: false
    beneficiaries:
      - address: "{CAROL}"
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the `occurrence`-th line containing `needle`."""
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def refused(text: str) -> str:
    with pytest.raises(AllocationError) as raised:
        parse_plan(text, source=SOURCE)
    return str(raised.value)


# The plan as written


def test_the_plan_gives_each_beneficiary_its_exact_share() -> None:
    plan = parse_plan(PLAN, source=SOURCE)
    assert (plan.name, plan.total_supply, plan.decimals) == ("test-plan", 1_000 * TPW, 18)
    assert [(grant.category, grant.index, grant.beneficiary, grant.amount) for grant in plan.grants] == [
        ("team", 0, ALICE, 450 * TPW),
        ("team", 1, BOB, 150 * TPW),
        ("investors", 0, CAROL, 400 * TPW),
    ]
    team = Schedule(start=JAN_2026, cliff=365 * DAY, duration=1460 * DAY, period=1)
    investors = Schedule(start=JAN_2026, cliff=0, duration=360 * DAY, period=30 * DAY)
    assert [grant.schedule for grant in plan.grants] == [team, team, investors]
    assert [grant.revocable for grant in plan.grants] == [True, True, False]
    assert [grant.reference for grant in plan.grants] == [
        grant_reference("test-plan", "team", 0),
        grant_reference("test-plan", "team", 1),
        grant_reference("test-plan", "investors", 0),
    ]


def test_the_example_plan_is_valid_and_shares_out_the_whole_supply() -> None:
    plan = load_plan(EXAMPLE)
    assert plan.total_supply == 1_000_000_000 * TPW
    assert sum(grant.amount for grant in plan.grants) == plan.total_supply
    assert {grant.category for grant in plan.grants} == {
        "team",
        "advisors",
        "investors",
        "community",
        "ecosystem",
    }
    assert len({grant.reference for grant in plan.grants}) == len(plan.grants)


def test_decimal_percentages_are_exact_not_floats() -> None:
    """0.1 + 0.2 is not 0.3 in floats; here the sum of 33.3, 33.3 and 33.4 is exactly 100."""
    text = PLAN.replace("percentage: 60", "percentage: 33.3").replace("percentage: 40", "percentage: 33.4")
    text += text[text.index("  investors:") :].replace("investors", "ecosystem").replace("33.4", "33.3")
    plan = parse_plan(text, source=SOURCE)
    assert sum(grant.amount for grant in plan.grants) == 1_000 * TPW
    assert plan.grants[-1].amount == 333 * TPW


def test_starts_take_dates_offsets_and_unix_seconds() -> None:
    for written, expected in [
        ("2026-01-01", JAN_2026),
        ("2026-01-01T02:00:00+02:00", JAN_2026),
        (str(JAN_2026), JAN_2026),
    ]:
        plan = parse_plan(PLAN.replace("2026-01-01T00:00:00Z", written), source=SOURCE)
        assert plan.grants[0].schedule.start == expected


def test_a_category_may_start_on_its_own_date() -> None:
    text = PLAN.replace("    kind: tranche", "    start: 2026-07-01\n    kind: tranche")
    plan = parse_plan(text, source=SOURCE)
    assert plan.grants[-1].schedule.start == int(datetime(2026, 7, 1, tzinfo=UTC).timestamp())
    assert plan.grants[0].schedule.start == JAN_2026


# Refusals, each naming its line


@pytest.mark.parametrize(
    ("find", "replace", "needle", "message"),
    [
        ("percentage: 40", "percentage: 39", "categories:", "percentages sum to 99, not exactly 100"),
        ("share: 25", "share: 24", "    beneficiaries:", "shares sum to 99, not exactly 100"),
        ("percentage: 40", "percentage: 4e1", "4e1", "is not a plain decimal number"),
        ("percentage: 40", "percentage: 0", "percentage: 0", "not a percentage above 0"),
        ("duration: 1460d", "duration: 0d", "duration: 0d", "team.duration: must not be zero"),
        ("tranches: 12", "tranches: 0", "tranches: 0", "investors.tranches: must not be zero"),
        ("period: 30d", "period: 0", "period: 0", "investors.period: must not be zero"),
        ("cliff: 365d", "cliff: 1461d", "cliff: 1461d", "is after the end of vesting"),
        ("duration: 1460d", "duration: 4y", "duration: 4y", "months and years vary in length"),
        ("cliff: 365d", "cliff: 1.5d", "cliff: 1.5d", "is not a duration"),
        ("2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "start:", "has no UTC offset"),
        ("2026-01-01T00:00:00Z", "January 2026", "start:", "is not a date"),
        ("revocable: true", "revocable: yes", "revocable: yes", "is not true or false"),
        (ALICE, ALICE.lower(), ALICE.lower(), "is not in EIP-55 checksum form"),
        (ALICE, ALICE[:-1] + "9", ALICE[:-1] + "9", "fails its EIP-55 checksum"),
        (ALICE, "0x" + "0" * 40, "0x" + "0" * 40, "the zero address cannot hold a grant"),
        (ALICE, "0x1234", "0x1234", "is not an address"),
        ("    kind: linear", "    kind: linear\n    colour: blue", "colour", "unknown key 'colour'"),
        ("    kind: linear", "    kind: linear\n    kind: tranche", "kind: tranche", "key 'kind' repeated"),
        ("    cliff: 365d\n", "", "  team:", "missing key 'cliff'"),
        ("    kind: linear", "    kind: vesting", "kind: vesting", "is not one of linear, tranche"),
        ("    kind: linear", "    kind: linear\n    period: 30d", "period: 30d", "does not apply to linear"),
        ("    tranches: 12\n", "", "kind: tranche", "tranche vesting needs 'period' and 'tranches'"),
        ("        share: 25\n", "", f'"{BOB}"', "missing key 'share'"),
        ("total_supply: 1000", "total_supply: 1.0000000000000000001", "total_supply", "more than 18 decimal"),
        ("total_supply: 1000", "total_supply: 0", "total_supply", "must be more than zero"),
        ("name: test-plan", "name: Test Plan", "name:", "use lower-case letters"),
        ("  team:", "  Team:", "Team:", "category 'Team'"),
    ],
)
def test_refusals_name_the_line(find: str, replace: str, needle: str, message: str) -> None:
    assert find in PLAN
    text = PLAN.replace(find, replace, 1)
    error = refused(text)
    assert error.startswith(f"{SOURCE}:{line_of(text, needle)}:"), error
    assert message in error, error


def test_a_beneficiary_twice_in_a_category_is_refused_at_its_second_entry() -> None:
    text = PLAN.replace(BOB, ALICE)
    error = refused(text)
    assert error.startswith(f"{SOURCE}:{line_of(text, ALICE, occurrence=2)}:"), error
    assert "is already beneficiary [0] here" in error


def test_amounts_must_be_whole_base_units() -> None:
    text = PLAN.replace("total_supply: 1000", "total_supply: 0.000000000000000001")
    text = text.replace("share: 75", "share: 75.5").replace("share: 25", "share: 24.5")
    error = refused(text)
    assert error.startswith(f"{SOURCE}:{line_of(text, ALICE)}:")
    assert "not a whole number of base units" in error


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the plan is empty"),
        ("- a list\n", "the plan must be a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_files_that_are_no_plan_are_refused(text: str, message: str) -> None:
    assert message in refused(text)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AllocationError, match=r"missing\.yaml: cannot read the plan"):
        load_plan(tmp_path / "missing.yaml")


# Re-runs


def created_for(plan: AllocationPlan, index: int, **changes: object) -> CreatedGrant:
    """The GrantCreated event a run made for the plan's grant `index` (with terms changed as asked)."""
    planned = plan.grants[index]
    schedule = changes.pop("schedule", planned.schedule)
    assert isinstance(schedule, Schedule)
    fields: dict[str, object] = {
        "grant_id": grant_id(index, schedule, planned.revocable),
        "beneficiary": planned.beneficiary,
        "reference": planned.reference,
        "amount": planned.amount,
        "block_number": 7,
        "tx_hash": "0x" + "ab" * 32,
    }
    fields.update(changes)
    return CreatedGrant(**fields)  # type: ignore[arg-type]


def test_a_rerun_creates_only_the_missing_grants() -> None:
    plan = parse_plan(PLAN, source=SOURCE)
    missing, done = pending_grants(plan, {})
    assert (missing, done) == (list(plan.grants), [])
    first = created_for(plan, 0)
    missing, done = pending_grants(plan, {first.reference: first})
    assert missing == list(plan.grants[1:])
    assert done == [(plan.grants[0], first)]


@pytest.mark.parametrize(
    "changes",
    [
        {"beneficiary": CAROL},
        {"amount": 1},
        {"schedule": Schedule(start=JAN_2026, cliff=0, duration=1460 * DAY)},
    ],
)
def test_a_plan_changed_after_a_run_is_refused(changes: dict[str, object]) -> None:
    plan = parse_plan(PLAN, source=SOURCE)
    changed = created_for(plan, 0, **changes)
    with pytest.raises(AllocationError, match=r"team #0: grant \d+ was created in transaction 0x(ab)+"):
        pending_grants(plan, {changed.reference: changed})


# Showing the plan


@given(amount=st.integers(min_value=0, max_value=10**40))
def test_token_amounts_print_exactly(amount: int) -> None:
    text = format_tokens(amount, 18)
    whole, _, fraction = text.replace(",", "").partition(".")
    assert int(whole) * TPW + int(fraction.ljust(18, "0") or "0") == amount
    assert not fraction.endswith("0")


def test_the_schedule_table_shows_each_grant() -> None:
    plan = parse_plan(PLAN, source=SOURCE)
    lines = schedule_table(plan.grants, plan.decimals).splitlines()
    assert lines[0].split() == [
        "category",
        "beneficiary",
        "amount",
        "(TPW)",
        "cliff",
        "end",
        "kind",
        "revocable",
    ]
    assert len(lines) == 2 + len(plan.grants)
    assert lines[2].split() == [
        *("team", ALICE, "450"),
        *("2027-01-01", "00:00", "UTC"),
        *("2029-12-31", "00:00", "UTC"),
        *("linear", "yes"),
    ]
    assert lines[4].split()[-5:] == ["tranche", "12", "x", "30d", "no"]
