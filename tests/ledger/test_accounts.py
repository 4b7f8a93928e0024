"""Accounts: every creation result code, idempotent creation, and reads."""

import pytest
from sqlalchemy import Engine

from ledger.accounts import create_accounts, lookup_account, lookup_accounts
from ledger.ids import new_id
from ledger.model import INT64_MAX, AccountFlags, AccountSpec, OwnerKind
from ledger.results import CreateAccountResult as R

EXISTING = 42
BOTH = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
CUSTOMER = OwnerKind.CUSTOMER


def _spec(account_id: int = EXISTING, currency: str = "EUR", **fields: object) -> AccountSpec:
    values: dict = {"owner_kind": CUSTOMER, "owner_id": "c-1", "code": 1, "flags": AccountFlags.NONE}
    values.update(fields)
    return AccountSpec(account_id, currency, **values)


CASES = {
    R.OK: lambda: _spec(new_id()),
    R.RESERVED_FLAG: lambda: _spec(new_id(), flags=AccountFlags(1 << 7)),
    R.ID_MUST_NOT_BE_ZERO: lambda: _spec(0),
    R.ID_MUST_NOT_BE_INT_MAX: lambda: _spec(INT64_MAX),
    R.FLAGS_ARE_MUTUALLY_EXCLUSIVE: lambda: _spec(new_id(), flags=BOTH),
    R.LEDGER_MUST_BE_A_CURRENCY: lambda: _spec(new_id(), "E1R"),
    R.CODE_MUST_NOT_BE_ZERO: lambda: _spec(new_id(), code=0),
    R.OWNER_KIND_UNKNOWN: lambda: _spec(new_id(), owner_kind="bank"),
    R.OWNER_ID_MUST_NOT_BE_EMPTY: lambda: _spec(new_id(), owner_id=""),
    R.OWNER_ID_TOO_LONG: lambda: _spec(new_id(), owner_id="x" * 65),
    R.EXISTS_WITH_DIFFERENT_FLAGS: lambda: _spec(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    R.EXISTS_WITH_DIFFERENT_LEDGER: lambda: _spec(currency="USD"),
    R.EXISTS_WITH_DIFFERENT_CODE: lambda: _spec(code=2),
    R.EXISTS_WITH_DIFFERENT_OWNER: lambda: _spec(owner_kind=OwnerKind.MERCHANT),
    R.EXISTS: lambda: _spec(),
}


def test_every_account_result_code_has_a_case():
    assert set(CASES) == set(R)


@pytest.mark.parametrize("expected", list(CASES), ids=str)
def test_account_result_code(engine: Engine, expected: R):
    assert [outcome.result for outcome in create_accounts(engine, [_spec()])] == [R.OK]
    assert [outcome.result for outcome in create_accounts(engine, [CASES[expected]()])] == [expected]


def test_a_new_account_starts_at_zero_and_a_duplicate_in_the_batch_exists(engine: Engine):
    spec = _spec(new_id(), owner_kind=OwnerKind.RAIL_CLEARING, owner_id="sepa")
    assert [outcome.result for outcome in create_accounts(engine, [spec, spec])] == [R.OK, R.EXISTS]
    account = lookup_account(engine, spec.id)
    assert account is not None
    assert (account.owner_kind, account.owner_id, account.currency) == (
        OwnerKind.RAIL_CLEARING,
        "sepa",
        "EUR",
    )
    totals = (account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted)
    assert totals == (0, 0, 0, 0)
    assert lookup_accounts(engine, [spec.id, new_id()]).keys() == {spec.id}


def test_a_code_outside_u16_is_a_bug_not_a_result():
    with pytest.raises(ValueError, match="code"):
        _spec(code=2**16)
