"""Chromium's own virtual authenticator, driven over the DevTools protocol (the `WebAuthn` domain): a real
CTAP2 platform authenticator inside the browser, with resident keys and user verification, that answers
`navigator.credentials.create/get` without a person or a device, so a test runs the page's real ceremony.

Its credentials can be read out and put back (`WebAuthn.getCredentials`, `addCredential`): a test puts one
back with its sign counter set back, which is what a cloned authenticator looks like to the server.
"""

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import CDPSession, Page

OPTIONS = {
    "protocol": "ctap2",
    "ctap2Version": "ctap2_1",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
"""A platform authenticator (a phone's or a laptop's) that holds passkeys and always verifies its user."""


@dataclass
class VirtualAuthenticator:
    """One virtual authenticator in `page`'s tab; it stays across the tab's navigations."""

    cdp: CDPSession
    authenticator_id: str

    @classmethod
    def attach(cls, page: Page) -> "VirtualAuthenticator":
        cdp = page.context.new_cdp_session(page)
        cdp.send("WebAuthn.enable", {"enableUI": False})
        added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": OPTIONS})
        return cls(cdp, added["authenticatorId"])

    def credentials(self) -> list[dict[str, Any]]:
        """Its credentials as the protocol gives them (binary fields in standard base64)."""
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})
        return list(answer["credentials"])

    def replace(self, credential: dict[str, Any]) -> None:
        """Put `credential` (one of `credentials()`, changed) in place of the one with its id."""
        self.cdp.send(
            "WebAuthn.removeCredential",
            {"authenticatorId": self.authenticator_id, "credentialId": credential["credentialId"]},
        )
        self.cdp.send(
            "WebAuthn.addCredential", {"authenticatorId": self.authenticator_id, "credential": credential}
        )
