"""The root of every refusal in `risk/`: a plain exception (the package knows no HTTP) with the detail the
caller may read and, where the caller's input is at fault, the `field` an API problem document names.

Each subpackage roots its own refusals here (`IdentityError`, `FactorError`, `DeviceError`,
`ScreeningError`, `KycError`), so the API can map the whole family in one place.
"""


class RiskError(Exception):
    """A refusal; unless its subclass says otherwise, nothing was written when it is raised."""

    field: str | None = None

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if field is not None:
            self.field = field
