"""The cases' refusals (`risk.errors.RiskError`, with the `field` at fault where there is one)."""

from risk.errors import RiskError


class CaseError(RiskError):
    """Root of the cases' refusals; nothing was written when one is raised."""


class InvalidCase(CaseError):
    """An input that cannot open or decide a case (an unknown subject kind, no reason, a note too long)."""


class CaseNotFound(CaseError):
    """No case of this id."""


class CaseConflict(CaseError):
    """The case's status does not allow this (decided already the other way, held by another operator);
    `status` names the case's status."""

    def __init__(self, detail: str, *, status: str) -> None:
        super().__init__(detail)
        self.status = status
