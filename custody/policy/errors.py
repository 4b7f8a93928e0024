"""The policy package's exceptions, under `custody.errors.CustodyError`: custody keeps one hierarchy.

A refused signature is not an exception: `PolicyEngine.evaluate` answers with a `Decision` whose reasons say
why. These are the failures around it: a policy file that cannot be trusted, malformed approvals or contexts,
and a spend history that cannot be read or would be made inconsistent.
"""

from collections.abc import Sequence

from custody.errors import CustodyError


class PolicyError(CustodyError):
    """Base of every error the policy package raises on purpose."""


class PolicyConfigError(PolicyError, ValueError):
    """A policy file is unreadable or invalid; `problems` lists each bad field as "path: what is wrong"."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid policy {source}:\n{listed}")


class InvalidApproval(PolicyError, ValueError):
    """An operator approval that is not even well-formed (not a checksummed address and 65 bytes)."""


class InvalidSignContext(PolicyError, ValueError):
    """A signing context whose request id or digest is not 32 bytes, or whose fields have the wrong type."""


class SpendHistoryError(PolicyError):
    """The spend history database cannot be opened, is of an unknown format, or refused a write."""


class RequestConflict(SpendHistoryError):
    """A request id already bound to one intent digest was presented with another.

    A request id names exactly one intent: its first-seen time starts that intent's time lock and its record
    counts that intent's spend. Reusing it for a different intent would let an old, harmless request lend its
    age to a large one, so the second intent is refused, never silently accepted.
    """

    def __init__(self, request_id: bytes) -> None:
        super().__init__(f"request 0x{request_id.hex()} is already bound to a different intent digest")
        self.request_id = request_id
