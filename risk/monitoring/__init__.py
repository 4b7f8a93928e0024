"""Monitoring: checks on balances and transactions that freeze a subject and send it to review.

`config` (the thresholds file), `checks` (five pure checks: frequency spike, rate surge, structuring,
balance drain, geography), `monitor` (where they run: the ledger journal's consumer and IP sightings),
`freezes` (a freeze is a ledger hold; a release voids it), `alerts` (an alert with its freeze, case and audit
record in one transaction; the operator's decision), `audit` (`custody.audit`'s hash chain in the database),
`schema` (the tables). docs/risk.md, "Monitoring".
"""
