"""The KYC provider's client: `risk.kyc.checks.KycProvider` over the provider's JSON API, and the parsing of
its (verified) result webhooks into `risk.kyc.checks.ProviderResult`.

It lives with the rails' clients because they are the project's one place that speaks to outside
counterparts over HTTP (httpx): `risk` stays pure, and the API only wires it up.
"""
