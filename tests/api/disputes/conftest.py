"""Fixtures of the dispute routes' tests: two onboarded merchants (A and B, each with a sandbox and a live
key) paying through the scripted card rail, and the card operations desk's key."""

from collections.abc import Callable

import pytest

from tests.api.merchants.conftest import (  # noqa: F401  (fixtures)
    Caller,
    admin,
    merchant_a,
    merchant_b,
    operator,
    session,
)
from tests.api.payment_intents.conftest import rail  # noqa: F401  (fixture)
from tests.payments.intents.conftest import ScriptedRail

MakeOperator = Callable[..., Caller]


@pytest.fixture
def desk(operator: MakeOperator, rail: ScriptedRail) -> Caller:  # noqa: F811
    """The card operations desk: records disputes and their decisions, reads every merchant's."""
    return operator("disputes:read", "disputes:write")
