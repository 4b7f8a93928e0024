"""Authentication factors of a subject: TOTP, a payment password, recovery codes, and their lockout.

Each factor is enrolled, verified and revoked through its own service (`totp.TotpFactor`,
`passwords.PaymentPassword`, `recovery.RecoveryCodes`); every verification goes through `lockout`, which
counts consecutive failures per (subject, factor) and locks the factor for an exponentially growing time.
`fallback` tells which factors a subject can use now and picks the one to ask for, offering a fallback when
the preferred one is missing or locked and raising when none is left: a step-up never passes silently.
Secrets never leave this package in clear but once, at enrolment (the TOTP secret, the recovery codes).
A successful verification can be turned into a factor proof (`proofs`): a signed, single-use token bound to
the subject, a purpose and a challenge, which a step-up consumes; `changes` says who may change a factor
(a recent sign-in, or a proof for that very change).
"""
