"""An assessment that cannot be decided on is refused at construction, naming the field at fault."""

from dataclasses import replace
from typing import Any

import pytest

from risk.engine import InvalidAssessment, Kind, SensitiveChange
from tests.risk.engine.conftest import base_assessment


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 65}, "subject"),
        ({"amount": -1}, "amount"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"account_age_days": -1}, "account_age_days"),
        ({"kind": Kind.SENSITIVE_CHANGE}, "sensitive_change"),
        ({"sensitive_change": SensitiveChange.NEW_PAYEE}, "sensitive_change"),
    ],
)
def test_a_bad_assessment_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidAssessment) as refused:
        replace(base_assessment(), **changes)
    assert refused.value.field == field
