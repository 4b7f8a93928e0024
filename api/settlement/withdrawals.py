"""`POST /v1/settlement/withdrawals` and reads: a trader's balance withdrawn through the treasury.

The debit, the withdrawal's row and the Idempotency-Key's stored answer commit in one transaction
(`api.idempotency.progress.committed`): a retry answers the first withdrawal and never debits twice, and a
withdrawal beyond the available balance is refused (422 `insufficient-funds` naming `amount`) with nothing
written. Paying it out is the relay's (`relay.settlement.withdrawals`, the treasury's custody path). A
withdrawal is its merchant's in its key's mode only: anyone else's id answers 404.
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.errors import NotFound
from api.idempotency.progress import Progress, committed
from api.ledger.errors import InsufficientFunds
from api.orders.errors import InvalidOrder
from api.orders.runtime import trader_of
from api.settlement.schemas import WithdrawalCreate, WithdrawalOut
from matching.settlement.withdrawals import (
    Withdrawal,
    WithdrawalRefused,
    find_withdrawal,
    request_withdrawal,
)
from payments.merchants.tenant import Tenant

UNIT_DIGITS = 6
INT64_MAX = 2**63 - 1


class WithdrawalNotFound(NotFound, problem="withdrawal-not-found", title="Withdrawal not found"):
    """No withdrawal of this id is the caller's."""


def _units(amount: str) -> int:
    """Ledger units (10^-6 of a token) of a decimal string; 422 naming `amount` if not exact or not > 0."""
    units = Decimal(amount).scaleb(UNIT_DIGITS)
    if units != units.to_integral_value() or not 0 < units <= INT64_MAX:
        raise InvalidOrder("amount", f"must be above 0 with at most {UNIT_DIGITS} decimals")
    return int(units)


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else datetime.fromtimestamp(micros / 1_000_000, UTC)


def view(withdrawal: Withdrawal) -> WithdrawalOut:
    created = _moment(withdrawal.created_us)
    assert created is not None
    return WithdrawalOut(
        id=withdrawal.id,
        livemode=withdrawal.livemode,
        currency=withdrawal.currency,
        amount=str(Decimal(withdrawal.amount).scaleb(-UNIT_DIGITS).normalize()),
        token_amount=str(withdrawal.token_amount),
        to=withdrawal.to,
        status=withdrawal.status,  # type: ignore[arg-type]  # the table's check constraint holds it
        tx_hash=withdrawal.tx_hash,
        created_at=created,
        paid_at=_moment(withdrawal.paid_us),
    )


def withdraw(session: Session, tenant: Tenant, body: WithdrawalCreate, progress: Progress) -> WithdrawalOut:
    units = _units(body.amount)
    trader = trader_of(tenant)
    try:
        return committed(
            session,
            progress,
            lambda connection: view(
                request_withdrawal(
                    connection, tenant.merchant_id, tenant.livemode, trader, body.currency, units, body.to
                )
            ),
        )
    except WithdrawalRefused as refused:
        raise InsufficientFunds(str(refused), "amount", "exceeds_credits") from None


def read(engine: Engine, tenant: Tenant, withdrawal_id: str) -> WithdrawalOut:
    found = find_withdrawal(engine, withdrawal_id)
    if found is None or (found.merchant_id, found.livemode) != (tenant.merchant_id, tenant.livemode):
        raise WithdrawalNotFound(f"no withdrawal {withdrawal_id} of the caller's")
    return view(found)
