"""The privacy routes' work over the app's engine, blocking (the routes run it in a worker thread): export
and erasure of one subject, the erasure's confirmation by a factor, and the analytics report.

The analytics key is read from its file on each use, so replacing the file rotates it without a restart; a
missing key leaves exports and erasures working (there are then no events under it to export or erase) and
makes the report answer 503.
"""

import datetime
import time
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from api.errors import ApiError, InvalidRequest, ServiceUnavailable
from api.privacy.schemas import (
    ContactIn,
    ContactOut,
    ErasureOut,
    ErasureRequest,
    Export,
    ReportCellOut,
    ReportOut,
)
from api.settings import ApiSettings
from payments.rails.stablecoin.schema import stablecoin_payments
from risk.factors import errors as factor_errors
from risk.factors.fallback import available_factors
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor
from risk.privacy import details, reports, subjects
from risk.privacy.pseudonyms import Pseudonymizer, PseudonymKeyError


class ErasureNotConfirmed(
    ApiError, status=403, problem="erasure-not-confirmed", title="Erasure not confirmed"
):
    """The subject has a factor enrolled and the request did not prove it (missing, wrong or locked)."""


class AnalyticsUnavailable(
    ServiceUnavailable, problem="analytics-unavailable", title="Analytics unavailable"
):
    """The analytics key file is missing or malformed (the operator's to fix)."""


def now() -> int:
    return int(time.time())


def pseudonymizer(settings: ApiSettings) -> Pseudonymizer | None:
    """The current analytics key's pseudonymizer, or None while its file is unusable."""
    try:
        return Pseudonymizer.from_file(settings.privacy_analytics_key_path)
    except PseudonymKeyError:
        return None


def export(engine: Engine, settings: ApiSettings, subject_id: str, requested_by: str) -> Export:
    with engine.begin() as connection:
        data = subjects.export(connection, pseudonymizer(settings), subject_id, requested_by, now())
        addresses = [row["address"] for row in data["ethereum_addresses"]]
        data["stablecoin_payments"] = _paid_from(connection, addresses)
    return data


def _paid_from(connection: Connection, addresses: list[str]) -> list[dict[str, Any]]:
    """The stablecoin payments made from the subject's addresses (a payments record, so read here: `risk`
    sits below `payments` and does not see its tables)."""
    if not addresses:
        return []
    paid = stablecoin_payments.c
    query = (
        select(paid.chain_id, paid.tx_hash, paid.log_index, paid.paid_at, paid.payment_intent_id, paid.payer,
               paid.token, paid.token_amount, paid.outcome)
        .where(func.lower(paid.payer).in_([address.lower() for address in addresses]))
        .order_by(paid.paid_at, paid.tx_hash, paid.log_index)
    )  # fmt: skip
    return [dict(row._mapping) for row in connection.execute(query)]


def contact(engine: Engine, subject_id: str, replacement: ContactIn | None) -> ContactOut:
    """The subject's contact details, after replacing them with `replacement` if given."""
    with engine.begin() as connection:
        if replacement is not None:
            fields = replacement.model_dump()
            details.save_contact(connection, subject_id, details.Contact(**fields), now())
        stored = details.load(connection, subject_id) or {}
    return ContactOut(
        full_name=stored.get("full_name"),
        email=stored.get("email"),
        phone=stored.get("phone"),
        birth_date=stored.get("birth_date"),
        residence_country=stored.get("residence_country"),
        document_on_file=stored.get("document_number") is not None,
        updated_at=stored.get("updated_at"),
    )


def _refused(detail: str, field: str) -> ErasureNotConfirmed:
    return ErasureNotConfirmed(detail, errors=[{"field": field, "message": detail}])


def _confirm(engine: Engine, settings: ApiSettings, subject_id: str, body: ErasureRequest) -> None:
    """Nothing when the subject has no factor enrolled (the session is then all the proof there is) or the
    named factor verifies; a refusal naming the field otherwise. A wrong secret counts towards its lockout,
    and a locked factor still counts as enrolled: locking one's factors never lets a session erase alone."""
    enrolled = [status.factor for status in available_factors(engine, subject_id, now()) if status.enrolled]
    if not enrolled:
        return
    if body.factor is None or body.secret is None:
        names = ", ".join(enrolled)
        raise _refused(f"confirm the erasure with one of your factors: {names}", "factor")
    policy = LockoutPolicy(
        settings.factor_lockout_failures,
        settings.factor_lockout_base_seconds,
        settings.factor_lockout_max_seconds,
    )
    factor = Factor(body.factor)
    try:
        if factor is Factor.TOTP:
            try:
                box = SecretBox.from_file(settings.factor_key_path)
            except (OSError, ValueError):
                raise ServiceUnavailable("the factor key is unavailable") from None
            TotpFactor(engine, box, policy, now, issuer="TPWallet").verify(subject_id, body.secret)
        elif factor is Factor.PAYMENT_PASSWORD:
            PaymentPassword(engine, policy, now).verify(subject_id, body.secret)
        else:
            RecoveryCodes(engine, policy, now).use(subject_id, body.secret)
    except factor_errors.FactorError as error:
        field = "factor" if isinstance(error, factor_errors.NotEnrolled) else "secret"
        raise _refused(error.detail, field) from None


def erase(
    engine: Engine, settings: ApiSettings, subject_id: str, requested_by: str, body: ErasureRequest | None
) -> ErasureOut:
    """Erase the subject (confirmed by `body`'s factor for the subject's own request; an operator's request,
    `body` None, needs none); an erasure already done answers its record unchanged."""
    with engine.connect() as connection:
        done = subjects.erasure_of(connection, subject_id)
    if done is None and body is not None:
        _confirm(engine, settings, subject_id, body)
    with engine.begin() as connection:
        record, _ = subjects.erase(connection, pseudonymizer(settings), subject_id, requested_by, now())
    return ErasureOut(**asdict(record))


def report(
    engine: Engine,
    settings: ApiSettings,
    dimension: reports.Dimension,
    since: datetime.date,
    until: datetime.date,
    kind: str | None,
    currency: str | None,
) -> ReportOut:
    if until < since:
        raise InvalidRequest(
            "`until` is before `since`", errors=[{"field": "until", "message": "must not be before since"}]
        )
    if pseudonymizer(settings) is None:
        raise AnalyticsUnavailable("the analytics key file is missing or malformed")
    k = settings.privacy_report_min_count
    with engine.connect() as connection:
        found = reports.report(connection, dimension, since, until, kind=kind, currency=currency, k=k)
    return ReportOut(
        dimension=dimension,
        k=found.k,
        rows=list(found.rows),
        columns=list(found.columns),
        cells=[
            ReportCellOut(
                row=cell.row,
                column=cell.column,
                events=cell.events,
                amount=None if cell.amount is None or currency is None else str(cell.amount),
                suppressed=cell.suppressed,
            )
            for cell in found.cells
        ],
    )
