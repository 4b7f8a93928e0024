"""The sandbox bank's test accounts: each IBAN drives one outcome, as a real bank's sandbox documents.

Every IBAN here is a valid German IBAN (check digits and all) under the fictitious bank code 99999999, so
the rail's schwifty check passes and only this bank decides. Any other valid IBAN is an account this bank
does not hold: rejected at once with AC01 (incorrect account number). The table is docs/rails.md's.
"""

import enum
from dataclasses import dataclass
from typing import Final


class AccountState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    """Rejected at once: AC04 (closed account number)."""
    RETURNING = "returning"
    """Accepted and settled, then returned: AC06 (blocked account) in the camt.054."""


@dataclass(frozen=True, slots=True)
class TestAccount:
    iban: str
    name: str
    balance: int
    """Opening balance, EUR cents."""
    state: AccountState = AccountState.OPEN


CURRENCY: Final = "EUR"
TEST_ACCOUNTS: Final = (
    # Settles: a payment from it succeeds, a refund to it succeeds.
    TestAccount("DE93999999990000000001", "Ada Funded", 100_000_000),
    # Holds 10.00 EUR: a larger payment is accepted, then rejected at execution with AM04.
    TestAccount("DE66999999990000000002", "Ben Short", 1_000),
    TestAccount("DE39999999990000000003", "Cleo Closed", 0, AccountState.CLOSED),
    TestAccount("DE12999999990000000004", "Dan Blocked", 100_000_000, AccountState.RETURNING),
)
UNKNOWN_IBAN: Final = "DE82999999990000000005"
"""A valid IBAN this bank holds no account for: AC01."""
