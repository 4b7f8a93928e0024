"""Sanctions screening of merchant onboarding: the applicant's legal name is screened when it applies
(trigger `onboarding`, the merchant's id as subject), so a potential match reaches the reviewers' queue
at once, and again just before an admin's approval, which is held (409) while the name waits for a
reviewer and refused while it is a confirmed match. A reviewer's `false_positive` is carried over to the
re-screening, so the approval then proceeds."""

from sqlalchemy.orm import Session

from api.errors import ApiError
from api.merchants import errors
from api.screening.runtime import ScreeningRuntime
from api.screening.service import screen
from payments.merchants import store
from risk.screening.model import ItemKind, Standing, Trigger


class MerchantScreeningHold(
    ApiError, status=409, problem="merchant-screening-hold", title="Held for compliance review"
):
    """The merchant's legal name is a potential sanctions match waiting for a reviewer, or a confirmed one:
    it cannot be approved (`standing` says which)."""


def screen_applicant(screening: ScreeningRuntime, merchant_id: str, legal_name: str) -> Standing:
    found = screen(screening.screener(), merchant_id, ItemKind.NAME, legal_name, Trigger.ONBOARDING)
    return found.standing


def hold_unless_clear(session: Session, screening: ScreeningRuntime, merchant_id: str) -> None:
    """Screen the merchant's legal name again; `MerchantScreeningHold` unless it is clear. The session's
    read ends first: the screening commits on a connection of its own."""
    try:
        legal_name = store.get(session, merchant_id).legal_name
    except store.MerchantNotFound as error:
        raise errors.MerchantNotFound(str(error)) from None
    finally:
        session.commit()
    standing = screen_applicant(screening, merchant_id, legal_name)
    if standing is not Standing.CLEAR:
        raise MerchantScreeningHold(
            f"the merchant's legal name is {standing.value.replace('_', ' ')} in sanctions screening: "
            "a compliance reviewer decides it first (/v1/screening/reviews)",
            standing=standing.value,
        )
