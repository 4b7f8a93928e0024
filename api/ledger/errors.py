"""The ledger routes' refusals: each ledger result code that is not a success, as a problem document.

The ledger answers a value per event (`ledger.results`); the API turns a failure into the status that says
what a client can do about it, and keeps the ledger's own code in the document's `code` member, for
programs: 404 for an account or pending transfer that does not exist, 409 for what contradicts the journal
(a reference taken by another transfer, a pending transfer posted, voided or expired already), 422 for
insufficient funds (`exceeds_credits`, `exceeds_debits`) and for a request the ledger cannot take, each
naming the field (`amount`, `linked.0.currency`) in `errors` as every 422 of the API does.
"""

from typing import Final

from api.errors import ApiError, InvalidRequest, NotFound
from custody.problems import invalid_fields_detail


class LedgerAccountNotFound(NotFound, problem="ledger-account-not-found", title="Ledger account not found"):
    """No ledger account has this id."""


class LedgerTransferNotFound(
    NotFound, problem="ledger-transfer-not-found", title="Ledger transfer not found"
):
    """No transfer has this id."""


class LedgerConflict(ApiError, status=409, problem="ledger-conflict", title="Conflicts with the journal"):
    """The request contradicts what the journal holds: a reference already used for another transfer, a
    pending transfer already posted, voided or expired."""


class LedgerValidationError(InvalidRequest):
    """A well-formed request the ledger cannot take (accounts of two currencies, a timeout on a transfer
    that is not pending, more posted than was reserved); `errors` names the field, `code` the reason."""

    def __init__(self, detail: str, field: str, code: str) -> None:
        errors = [{"field": field, "message": detail}]
        super().__init__(invalid_fields_detail(errors) + f" ({detail})", errors=errors, code=code)


class InsufficientFunds(LedgerValidationError, problem="insufficient-funds", title="Insufficient funds"):
    """The transfer would take an account past its limit (`debits_must_not_exceed_credits`, or the
    reverse): nothing was written."""


_NOT_FOUND: Final = {
    "debit_account_not_found": (LedgerAccountNotFound, "debit_account_id"),
    "credit_account_not_found": (LedgerAccountNotFound, "credit_account_id"),
    "pending_transfer_not_found": (LedgerTransferNotFound, "id"),
}
_CONFLICTS: Final = frozenset(
    {
        "exists",
        "pending_transfer_not_pending",
        "pending_transfer_already_posted",
        "pending_transfer_already_voided",
        "pending_transfer_expired",
    }
)
_INSUFFICIENT: Final = frozenset({"exceeds_credits", "exceeds_debits"})
_FIELDS: Final = (  # the first fragment a code contains names the field it is about
    ("timeout", "timeout_seconds"),
    ("amount", "amount"),
    ("overflows", "amount"),
    ("reference", "reference"),
    ("ledger", "currency"),
    ("currency", "currency"),
    ("code", "code"),
    ("debit_account", "debit_account_id"),
    ("credit_account", "credit_account_id"),
    ("accounts_must", "credit_account_id"),
    ("owner_kind", "owner_kind"),
    ("owner_id", "owner_id"),
    ("flags", "credits_must_not_exceed_debits"),
    ("pending_id", "id"),
    ("linked", "linked"),
)


def _field(code: str) -> str:
    return next((field for fragment, field in _FIELDS if fragment in code), "id")


def ledger_problem(code: str, prefix: str = "") -> ApiError:
    """The problem a failed ledger result `code` is; `prefix` locates the event in the request
    (`linked.0.`) so the field named is the one the client sent."""
    detail = f"the ledger answered {code}"
    if code in _NOT_FOUND:
        kind, field = _NOT_FOUND[code]
        return kind(f"{detail}: no such {field.removesuffix('_id')}", code=code, field=prefix + field)
    if code in _CONFLICTS or code.startswith("exists_with_different_"):
        if code.startswith("exists_with_different_"):
            detail += (
                f": the reference (or id) names a transfer made otherwise, its {prefix}{_field(code)} differs"
            )
        return LedgerConflict(detail, code=code)
    if code in _INSUFFICIENT:
        side = "debit" if code == "exceeds_credits" else "credit"
        return InsufficientFunds(
            f"the {side} account's limit refuses this amount ({code})", prefix + "amount", code
        )
    return LedgerValidationError(detail, prefix + _field(code), code)
