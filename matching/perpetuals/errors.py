"""The perpetual's one exception hierarchy (mapped once to HTTP problems when the API arrives).

Both are `ValueError`s: each is a caller handing the market something it cannot accept, and nothing
has changed when one is raised.
"""

from __future__ import annotations


class PerpetualError(ValueError):
    """The root: every refusal the perpetual raises."""


class SpecError(PerpetualError):
    """A contract specification that would break an invariant (rounding, tier order, leverage)."""
