"""`/v1/factors`: the signed-in customer's authentication factors (TOTP, payment password, recovery codes),
their verification into factor proofs, and their changes guarded as sensitive changes (`risk.factors`)."""
