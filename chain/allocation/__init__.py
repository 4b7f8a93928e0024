"""The token allocation plan: read a YAML plan strictly, and turn it into the vesting grants it calls for.

A plan splits a total supply of TPW between categories (team, advisors, investors, community, ecosystem,
...) by percentage, each category between its beneficiaries by share, and gives each category a vesting
schedule. Everything here is pure (no chain): `scripts/allocate.py` mints and grants what `PlannedGrant`s
say, and the tests check plans without a node.

Strictness is the point, since the plan moves the whole supply: percentages are read from the YAML text as
decimals (never floats) and must sum to exactly 100; every amount must come out as a whole number of base
units; durations are non-zero and explicit about their unit; addresses must carry a valid EIP-55
checksum; unknown or repeated keys are refused. Every error names the file, line and column it is about
(from the YAML nodes' marks).

A grant's `reference` is a hash of (plan name, category, position in the category): the script finds the
grants it already created by it, so a second run creates only what is missing, and a plan edited after a
run is refused where it disagrees with what the chain holds.

Modules: `plan` (the validated plan, grant references, what is left to create), `reader` (the strict YAML
reader), `table` (amounts and the schedule table for people); their public names are imported from here.
"""

from chain.allocation.plan import (
    REFERENCE_PREFIX,
    TPW_DECIMALS,
    AllocationError,
    AllocationPlan,
    PlannedGrant,
    grant_reference,
    pending_grants,
)
from chain.allocation.reader import (
    load_plan,
    parse_plan,
)
from chain.allocation.table import (
    format_tokens,
    schedule_table,
)

__all__ = [
    "REFERENCE_PREFIX",
    "TPW_DECIMALS",
    "AllocationError",
    "AllocationPlan",
    "PlannedGrant",
    "format_tokens",
    "grant_reference",
    "load_plan",
    "parse_plan",
    "pending_grants",
    "schedule_table",
]
