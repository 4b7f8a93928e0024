"""Identities and their sessions: who a customer or an operator is, how they prove it (Sign-In with Ethereum,
passkeys) and the short-lived signed sessions they then hold.

Pure domain over SQLAlchemy Core connections: the API (`api.identity`) opens the transactions and maps the
refusals (`risk.identity.errors`) to problem documents. Every function takes the time as an argument (whole
seconds since the epoch), so tests move the clock instead of sleeping. docs/risk.md, "Identity and sessions".
"""
