"""The sandbox KYC provider: an identity-verification service as its own process (`python -m
payments.sandbox.kyc`), with its own SQLite database, that checks an applicant and an identity document after
a short processing delay and reports the result as a signed webhook (`TPW-Signature`) retried until the
platform answers 2xx. Outcomes are driven by test data (`outcomes`), as a real provider's sandbox does.
"""
