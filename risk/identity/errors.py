"""The identity domain's refusals. Plain exceptions (this package knows no HTTP); `field` names the caller's
input at fault where there is one, so the API's problem document can name it.

A refusal never says more than its class: which check of a login or a token failed is in `detail` for the
caller's own input (a wrong domain, an expired message), but a session token or refresh token that does not
verify is one answer whatever the reason, so a thief learns nothing from probing.
"""

from risk.errors import RiskError


class IdentityError(RiskError):
    """Root of the identity refusals; nothing was written when one is raised (but see
    `RefreshTokenReused`)."""


class InvalidInput(IdentityError):
    """Input that cannot be what it claims (a message that does not parse, an unknown identity kind)."""


class LoginRefused(IdentityError):
    """A sign-in proof that does not hold: a SIWE message for another domain, URI or chain, out of its time,
    with an unknown or spent nonce, or signed by someone else; a passkey assertion that does not verify."""


class CeremonyRefused(IdentityError):
    """A WebAuthn ceremony whose challenge is unknown, spent, expired or bound to another subject, or whose
    credential does not verify (another origin or RP id, a sign counter that went back)."""


class SessionRefused(IdentityError):
    """An access or refresh token that is not valid now: malformed, tampered, for another audience, expired,
    or of a revoked session."""


class RefreshTokenReused(SessionRefused):
    """A refresh token presented after it was rotated: someone holds a copy. The whole session (every token
    of its family) is revoked, and that revocation is committed although the request is refused."""


class NotFound(IdentityError):
    """No such identity."""
