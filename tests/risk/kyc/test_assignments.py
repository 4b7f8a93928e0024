"""Subjects' tiers on both backends: the default, changes with their history, no-op changes, bad input."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, func, select

from risk.kyc.assignments import Tiers
from risk.kyc.errors import InvalidTierChange
from risk.kyc.schema import tier_changes
from risk.kyc.tiers import Tier
from tests.risk.screening.conftest import Clock

SUBJECT = "idn_" + "c3" * 16
OTHER = "idn_" + "d4" * 16


def _changes(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(tier_changes)) or 0


def test_a_subject_never_seen_is_at_none(tiers: Tiers):
    assert tiers.tier_of(SUBJECT) is Tier.NONE
    assert tiers.history(SUBJECT) == []


def test_changes_are_recorded_with_their_history(tiers: Tiers, clock: Clock):
    light = tiers.set_tier(SUBJECT, Tier.LIGHT, actor="kyc_check_1", reason="light check approved")
    clock.now += 1_000
    full = tiers.set_tier(SUBJECT, Tier.FULL, actor="kyc_check_2", reason="passport verified")
    clock.now += 1_000
    down = tiers.set_tier(SUBJECT, Tier.LIGHT, actor="ops_carol", reason="document expired")
    assert tiers.tier_of(SUBJECT) is Tier.LIGHT
    assert tiers.tier_of(OTHER) is Tier.NONE
    history = tiers.history(SUBJECT)
    assert history == [light, full, down]
    assert [(c.previous_tier, c.tier) for c in history] == [
        (Tier.NONE, Tier.LIGHT),
        (Tier.LIGHT, Tier.FULL),
        (Tier.FULL, Tier.LIGHT),
    ]
    assert history[2].actor == "ops_carol"
    assert history[2].created_at == clock.now


def test_setting_the_current_tier_writes_nothing(tiers: Tiers, engine: Engine):
    assert tiers.set_tier(SUBJECT, Tier.NONE, actor="ops", reason="no change") is None
    tiers.set_tier(SUBJECT, Tier.FULL, actor="ops", reason="verified")
    assert tiers.set_tier(SUBJECT, Tier.FULL, actor="ops", reason="again") is None
    assert _changes(engine) == 1


@pytest.mark.parametrize(
    ("subject", "actor", "reason", "field"),
    [
        ("", "ops", "r", "subject_id"),
        ("x" * 65, "ops", "r", "subject_id"),
        (SUBJECT, " ", "r", "actor"),
        (SUBJECT, "ops", "", "reason"),
        (SUBJECT, "ops", "r" * 513, "reason"),
    ],
)
def test_bad_changes_are_refused_naming_the_field(
    tiers: Tiers, engine: Engine, subject: str, actor: str, reason: str, field: str
):
    with pytest.raises(InvalidTierChange) as refused:
        tiers.set_tier(subject, Tier.FULL, actor=actor, reason=reason)
    assert refused.value.field == field
    assert _changes(engine) == 0


def test_concurrent_changes_chain_their_history(tiers: Tiers):
    """Each change starts from the tier the previous one wrote (the current-tier row serialises them): the
    changes, as edges previous -> tier, form one path from `none` to the current tier. A lost update would
    leave two changes leaving one tier that only one change entered."""
    targets = [Tier.LIGHT, Tier.FULL, Tier.NONE, Tier.FULL, Tier.LIGHT, Tier.NONE] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda tier: tiers.set_tier(SUBJECT, tier, actor="ops", reason="race"), targets))
    history = tiers.history(SUBJECT)
    assert history
    balance = Counter[Tier]()
    for change in history:
        assert change.previous_tier is not change.tier
        balance[change.previous_tier] += 1  # leaves
        balance[change.tier] -= 1  # enters
    start, end = Tier.NONE, tiers.tier_of(SUBJECT)
    expected = Counter[Tier]() if start is end else Counter({start: 1, end: -1})
    assert +balance == +expected
    assert -balance == -expected
