"""Why a relayed ceremony message was refused; each error names the sender its binding claims (`culprit`)."""

from __future__ import annotations

from custody.errors import CustodyError


class EnvelopeError(CustodyError):
    """A relayed message was refused; `culprit` is the node id its binding names as sender (0 if none)."""

    def __init__(self, culprit: int, reason: str) -> None:
        super().__init__(f"message from node {culprit} refused: {reason}")
        self.culprit = culprit
        self.reason = reason


class MalformedMessage(EnvelopeError):
    """A message that is not a well-formed broadcast or sealed message (wrong fields, types or lengths)."""


class MisboundMessage(EnvelopeError):
    """A message bound to another purpose, session, round, sender or recipient than the one expected."""


class ForgedMessage(EnvelopeError):
    """A message whose signature does not verify under its sender's roster key (altered or forged)."""


class UndecryptableMessage(EnvelopeError):
    """A correctly signed sealed message that does not decrypt for its recipient."""
