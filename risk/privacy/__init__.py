"""Privacy: what personal data the project holds and why (`registry`), personal details kept apart from
payment data (`details`), analytics under keyed pseudonyms with suppressed aggregate reports (`pseudonyms`,
`analytics`, `reports`), retention (`retention`), and a customer's export and erasure (`subjects`).

Pure domain over SQLAlchemy Core, no HTTP; every function takes the time (unix seconds) from its caller.
docs/risk.md, "Privacy", is the full account.
"""
