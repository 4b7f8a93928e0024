"""Screening a refund's recipient before any rail pays it out: the one rule every payout rail follows.

A refund sends money to an account the platform did not choose (the payer's chain address, the payer's
IBAN), so it is screened against the sanctions list (`risk.screening`, trigger `payout`, the refund id as
subject) before anything is signed or sent. Anything but a clear standing holds it: nothing goes out, the
refund stays pending with its amount held on the ledger, and the screening stands in the screening records
(`/v1/screening/subjects/{refund_id}`) for compliance; it is never silently paid.
"""

import logging

from risk.screening.model import Screening, Standing

log = logging.getLogger("payments.rails.screening")


def cleared(screening: Screening, refund_id: str) -> bool:
    """Whether the refund's recipient screened clear; a hit (or one still waiting for a reviewer) is logged
    naming the screening, and the refund is held."""
    if screening.standing is Standing.CLEAR:
        return True
    log.warning(
        "refund %s held: its recipient's %s screened %s (%s)",
        refund_id,
        screening.kind,
        screening.outcome,
        screening.id,
    )
    return False
