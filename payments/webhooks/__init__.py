"""Webhooks: signed events for merchants' endpoints, sent through a transactional outbox, and the
verification of signed webhooks we receive (the sandbox rails').

Outbound: `outbox.emit` writes an event and one delivery per subscribed endpoint in the caller's transaction;
`worker` claims due deliveries under a lease, POSTs them signed (`signing`), retries with backoff and
dead-letters. Inbound: `signing.verify` with a `replays.SqlReplayStore`. Endpoints and their signing secrets
(sealed at rest, `sealing`) are in `endpoints`; which URLs may be called is `urls`'s rule. Pure of HTTP
frameworks: the API (`api.webhooks`) exposes it.
"""
