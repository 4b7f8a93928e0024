"""TPWallet's HTTP API (FastAPI); `api.app.create_app` builds it.

One package per feature, `api/<feature>/`: `router.py` (routes: parameters, documented answers, one call into
the service), `service.py` (the work: database, chains, signer nodes; raises `api.errors.ApiError`s, which are
`custody.problems.ProblemError`s, and never imports FastAPI or Starlette) and `schemas.py` (request and
response bodies on `api.schemas.ApiModel`: the OpenAPI schema). A feature whose service would pass ~400 lines
splits it into more modules of its package, as `api/custody/` does. Every `Annotated` dependency alias a
route declares is in `api.deps`. What every feature shares stays at the top level: the app, settings, the
database (`db`, `models`, `migrate`), API keys (`auth`, `apikeys`), problem documents (`errors`),
`idempotency`, `pagination`, the chains (`rpc`, `chain_routes`), `schemas`, and the ASGI layer
(`middleware`, `ratelimit`, `logs`). `tests/api/test_layout.py` holds every feature to this.
"""
