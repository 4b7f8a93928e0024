"""Screening's refusals: plain exceptions (this package knows no HTTP); `field` names the input at fault."""

from risk.errors import RiskError


class ScreeningError(RiskError):
    """Root of screening's refusals; nothing was written when one is raised."""


class InvalidListFile(ScreeningError):
    """A list file that does not follow the OFAC SDN CSV layout (the row and the column say where)."""


class InvalidIdentifier(ScreeningError):
    """A chain address or IBAN that cannot be what it claims to be (nothing to screen exactly)."""


class NotFound(ScreeningError):
    """No such screening."""


class DecisionRefused(ScreeningError):
    """A reviewer decision on a screening that holds no undecided potential match."""
