"""Idempotency keys with Stripe's semantics, for any POST route: retry safely, the effect happens once.

A POST route takes `api.deps.IdempotencyDep` and runs its work through `Idempotency.run` (`route`). The
caller's ``Idempotency-Key`` header (1-255 printable ASCII characters) is required: 400 naming the header
without it.
Keys belong to the caller (the API key), so two callers never collide, and live 24 hours.

- First use: the key is claimed by inserting its row (the primary key (caller, key) is the unique
  constraint, so of two concurrent first uses exactly one insert wins, on SQLite and PostgreSQL alike), the
  work runs, and its response (status and JSON body) is stored with the row.
- Same key, same request (method, path and body, compared by SHA-256 of their canonical form): the stored
  response is replayed as it was, with ``Idempotent-Replayed: true``; the work does not run again.
- Same key, different request: 409. Same key while the first request is still running: 409.

Work that calls out (the custody signer nodes) is split into atomic phases, as in Stripe's design: each
phase's writes commit in one transaction together with the key's new *recovery point* (`Progress.advance`),
and the last phase's writes commit together with the response (`Progress.finish`). A request that fails or
dies after a phase committed leaves its recovery point: the retry with the same key resumes from there (the
work reads `Progress.point` and `Progress.data`), so what was committed is never done a second time. Only
a failure before the first phase committed releases the key, so that a refusal (any `ApiError`, raised
before anything is stored) can be retried afresh; a 4xx/5xx is never replayed from storage.

A claim whose process died holding it (no response after `lock_timeout`) is taken over by the next request
with the same key and body, and resumes; a request that failed with an error after a phase gives its claim
up at once, so its retry resumes without waiting. Everything here runs on the request's own session (the
one authentication used), one short transaction per step, so a request never holds two connections.
"""
