"""The one exception hierarchy of `custody.frost`: every rejected input or failed check raises a FrostError.

Messages say what was wrong and never carry a secret value: callers log them and map them to answers.
Errors that blame participants carry `culprits`, so a coordinator can exclude exactly those nodes.
"""

from collections.abc import Iterable


class FrostError(Exception):
    """Base of every error raised by the FROST implementation."""


class EncodingError(FrostError):
    """Invalid encodings or values: wrong length, a point off the curve, the identity, a scalar >= N."""


class InvalidParameters(FrostError):
    """Signer counts or other protocol parameters out of range (e.g. min_signers < 2 or > max_signers)."""


class InvalidIdentifier(FrostError):
    """An identifier that is zero, >= N, not an int, duplicated, or not part of the key or session."""


class InvalidCommitments(FrostError):
    """A signing package or commitment list that cannot be used: missing signer, nonce mismatch, too few."""


class InvalidSignature(FrostError):
    """An aggregated group signature that does not verify although every share did (e.g. too few signers)."""


class InconsistentKey(FrostError):
    """A key package or public key package whose parts do not fit together (share vs verifying share)."""


class UnusableGroupKey(FrostError):
    """A group key the on-chain verifier cannot take (x >= N): generate the key again."""


class InvalidRepair(FrostError):
    """A repaired share that does not match the participant's verifying share."""


class CulpritError(FrostError):
    """A check that failed because of specific participants, named in `culprits` (sorted identifiers)."""

    def __init__(self, culprits: Iterable[int], what: str) -> None:
        self.culprits: list[int] = sorted(culprits)
        super().__init__(f"{what}: participants {self.culprits}")


class InvalidSignatureShare(CulpritError):
    """Signature shares that fail verification; no group signature is released."""

    def __init__(self, culprits: Iterable[int]) -> None:
        super().__init__(culprits, "invalid signature share")


class InvalidProofOfKnowledge(CulpritError):
    """DKG round-1 packages whose Schnorr proof of knowledge of the constant term fails."""

    def __init__(self, culprits: Iterable[int]) -> None:
        super().__init__(culprits, "invalid proof of knowledge")


class InvalidSecretShare(CulpritError):
    """DKG or refresh round-2 shares that do not match their sender's published commitment."""

    def __init__(self, culprits: Iterable[int]) -> None:
        super().__init__(culprits, "secret share does not match the sender's commitment")


class MalformedPackage(CulpritError):
    """Packages with the wrong shape, e.g. a commitment with the wrong number of coefficients."""

    def __init__(self, culprits: Iterable[int], what: str) -> None:
        super().__init__(culprits, what)


class ConfirmationMismatch(CulpritError):
    """Key-generation confirmations that are missing or differ from ours: the key must not be used."""

    def __init__(self, culprits: Iterable[int]) -> None:
        super().__init__(culprits, "missing or mismatching key confirmation")
