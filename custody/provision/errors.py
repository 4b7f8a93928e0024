"""What laying out a custody group or running a local ceremony raises."""

from __future__ import annotations

from custody.errors import CustodyError


class ProvisionError(CustodyError):
    """Laying out a group or running a local ceremony failed."""


class ProvisionRefused(ProvisionError):
    """The inputs do not fit the group: an unknown node, too few signers, a bad port, a missing or stale
    share. Nothing was changed."""


class GroupExists(ProvisionRefused):
    """The directory already holds (part of) a custody group, and overwriting was not asked for."""


class GroupNotFound(ProvisionRefused):
    """No custody group (no roster) in the directory given."""
