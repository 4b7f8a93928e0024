"""A stored decision is a pure function of its inputs and the rule file: two engines on the same rule file
store the same decision for the same assessment (all but its id and time), under the same inputs digest;
different inputs never share a digest."""

from dataclasses import asdict

from hypothesis import given
from sqlalchemy import create_engine

import risk.audit.schema
import risk.decisions.schema
from risk.decisions import DecisionRecord, inputs_digest, record_decision
from risk.engine import Assessment
from tests.risk.engine.conftest import SHIPPED_RULES, T0
from tests.risk.engine.test_properties import assessments, fresh_engine


def stored(asked: Assessment) -> DecisionRecord:
    """The decision a fresh engine on the shipped rules stores for `asked`, in a database of its own."""
    database = create_engine("sqlite://")
    for metadata in (risk.audit.schema.metadata, risk.decisions.schema.metadata):
        metadata.create_all(database)
    with database.begin() as connection:
        decision = fresh_engine(SHIPPED_RULES).decide(asked)
        return record_decision(connection, asked, decision, now=T0, actor="test")


def without_identity(record: DecisionRecord) -> dict[str, object]:
    return {name: value for name, value in asdict(record).items() if name not in ("id", "created_at")}


@given(asked=assessments())
def test_the_same_inputs_and_rule_file_store_the_same_decision(asked: Assessment) -> None:
    first, second = stored(asked), stored(asked)
    assert first.id != second.id
    assert without_identity(first) == without_identity(second)
    assert first.inputs_digest == inputs_digest(asked)
    assert "ip" not in first.facts


@given(one=assessments(), other=assessments())
def test_different_inputs_have_different_digests(one: Assessment, other: Assessment) -> None:
    assert (inputs_digest(one) == inputs_digest(other)) == (one == other)
