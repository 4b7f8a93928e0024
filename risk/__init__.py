"""Payment authentication and risk, pure of HTTP: identities and sessions (SIWE, passkeys), factors (TOTP, a
payment password, recovery codes), bound devices, the rules engine and its step-up decisions, KYC tiers,
sanctions screening, and monitoring that freezes and opens review cases.

It sits above the ledger (a freeze is a ledger hold) and below payments, which asks it before confirming
a payment; `api/` exposes it.
"""
