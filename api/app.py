"""The API application factory: `uvicorn --factory api.app:create_app` (or `python -m api`).

`create_app` wires settings, logging, error mapping, middleware and routers; the lifespan sizes the worker
thread pool, opens the database (a pool exactly as large, `api.db`), brings its schema to the newest
migration before the first request, opens the health probe and the rate limiter, and closes them all at
shutdown.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import anyio.to_thread
from fastapi import FastAPI

from api.bridge.router import router as bridge_router
from api.cases.router import router as cases_router
from api.custody.router import router as custody_router
from api.db import make_engine, make_session_factory, redacted_url
from api.devices.router import router as devices_router
from api.devices.router import subject_router as subject_devices_router
from api.disputes.router import router as disputes_router
from api.errors import API_PROBLEMS
from api.events.router import router as events_router
from api.factors.router import router as factors_router
from api.fx.router import router as fx_router
from api.health.router import router as health_router
from api.health.service import HealthProbe
from api.identity.router import router as auth_router
from api.kyc.router import router as kyc_router
from api.ledger.router import router as ledger_router
from api.logs import configure_logging
from api.market_stream.router import router as market_stream_router
from api.markets.router import router as markets_router
from api.merchants.router import router as merchants_router
from api.middleware import BodySizeLimitMiddleware, RateLimitMiddleware, RequestContextMiddleware
from api.migrate import upgrade_database
from api.monitoring.router import router as monitoring_router
from api.openapi import install_openapi
from api.options.router import router as options_router
from api.orders.pretrade.router import router as pretrade_router
from api.orders.router import router as orders_router
from api.paper.router import router as paper_router
from api.payment_intents.router import router as payment_intents_router
from api.payment_intents.stablecoin import stablecoin_rails
from api.payment_methods.router import router as payment_methods_router
from api.perps.router import router as perps_router
from api.privacy.router import router as privacy_router
from api.rails.bank import router as bank_rail_router
from api.rails.card import router as card_rail_router
from api.ratelimit import address_bucket, make_rate_limiter
from api.reconciliation.router import router as reconciliation_router
from api.reports.router import router as reports_router
from api.risk.router import router as risk_router
from api.routing.router import router as routing_router
from api.rpc import ChainClients
from api.screening.router import router as screening_router
from api.settings import ApiSettings, get_settings
from api.settlement.router import router as settlement_router
from api.subscriptions.router import router as subscriptions_router
from api.version.router import router as version_router
from api.version.service import read_build_info
from api.vesting.router import router as vesting_router
from api.webhooks.router import router as webhooks_router
from chain.paths import PROJECT_ROOT
from custody.problems import install_handlers

DESCRIPTION = """
TPWallet's HTTP API. Errors are RFC 9457 problem documents (`application/problem+json`) carrying a
`request_id` that matches the `X-Request-ID` response header and the server's log lines.

Networks are named by role: `l1` and `l2`.
"""

OPENAPI_TAGS = [
    {"name": "operations", "description": "Health and build information for operators and load balancers."},
    {"name": "chains", "description": "What happened on the chains, decoded with our deployments registry."},
    {
        "name": "custody",
        "description": "Threshold custody: group keys made by DKG across the signer nodes, sign requests "
        "for typed intents, operator approvals, and the hash-chained audit log. Every route needs an API key "
        "with its scope; every POST an Idempotency-Key.",
    },
    {
        "name": "ledger",
        "description": "The double-entry ledger: accounts with posted, pending and available balances, "
        "transfers (two-phase, linked all-or-none) and each account's entries. Amounts are integers in minor "
        "units, sent as decimal strings; scopes `ledger:read` and `ledger:write`; every POST an "
        "Idempotency-Key.",
    },
    {"name": "subscriptions", "description": "Subscription plans and subscriptions, read from the chains."},
    {
        "name": "merchants",
        "description": "Merchant accounts: applications, approval, sandbox and live API keys, client "
        "certificates for mutual TLS. A merchant's key acts for its merchant in its own mode only.",
    },
    {
        "name": "payments",
        "description": "Payment intents after Stripe's (confirm, 3-D Secure, capture, cancel) and refunds, "
        "every movement of their money booked on the double-entry ledger. Every route needs an API key with "
        "its scope; every POST an Idempotency-Key.",
    },
    {
        "name": "disputes",
        "description": "Chargebacks of succeeded payments: recorded by operators as the card networks report "
        "them (scope `disputes:write`), read by the merchant (`payments:read`) or every operator "
        "(`disputes:read`), answered with evidence, closed won or lost. Each is announced to the merchant's "
        "webhooks (`charge.dispute.*`).",
    },
    {
        "name": "vesting",
        "description": "Vesting grants: schedules, vested and claimable amounts, read from the chains.",
    },
    {
        "name": "fx",
        "description": "Foreign exchange: quotes locked for a while at a spread, converted on the ledger.",
    },
    {
        "name": "webhooks",
        "description": "A merchant's webhook endpoints, events and deliveries: events are POSTed signed with "
        '`TPW-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, retried with backoff, dead-lettered '
        "and redelivered on request. Scopes `webhooks:read` and `webhooks:write`.",
    },
    {
        "name": "reconciliation",
        "description": "A day's ledger matched against each rail's own record (the bank's camt.053, the card "
        "processor's settlement file, on-chain `Paid` events), every break listed. Operator scopes "
        "`reconciliation:read` and `reconciliation:write`.",
    },
    {
        "name": "auth",
        "description": "Customers and operators sign in with Ethereum (EIP-4361) or a passkey (WebAuthn) and "
        "hold a session: a 15-minute access token (`Authorization: Bearer tpwat_...`) and a refresh token "
        "rotated on every use (a reused one revokes the session). No API key; no Idempotency-Key (every "
        "step is single use by its nonce, challenge or refresh token, and answers hold tokens never stored).",
    },
    {
        "name": "reports",
        "description": "A merchant's statement and tax report for a period, as CSV. Scope `payments:read`.",
    },
    {
        "name": "devices",
        "description": "A subject's bound devices: each registers its own P-256 or Ed25519 key with proof of "
        "possession and signs payment requests (`TPW-Device-*` headers, docs/risk.md). A customer's session "
        "manages its own devices; the support desk reads and revokes a subject's devices with an operator "
        "key holding `devices:admin` (`/v1/subjects/{subject_id}/devices`).",
    },
    {
        "name": "factors",
        "description": "The signed-in customer's factors: TOTP, a payment password, recovery codes; each "
        "verification can answer a single-use factor proof for a step-up; changing a factor needs a recent "
        "sign-in or such a proof; repeated failures lock a factor (423, `Retry-After`).",
    },
    {
        "name": "monitoring",
        "description": "The monitoring's alerts: frequency spikes, rate surges, structuring, balance drains "
        "and impossible travel freeze the subject by a ledger hold and await an operator's review "
        "(release or confirm). Scopes `monitoring:read` and `monitoring:write`.",
    },
    {
        "name": "risk",
        "description": "The risk engine's decisions on payments (allow, step-up, review, deny, with reasons, "
        "score and SCA exemption), read by operators (`risk:read`); facts evaluated against the rules in "
        "force without enforcing (`risk:evaluate`).",
    },
    {
        "name": "cases",
        "description": "The review queue: cases opened by the risk engine or the monitoring, claimed and "
        "approved or rejected by operators (`cases:read`, `cases:review`), each action on the hash-chained "
        "risk audit log; a compliance report per case as JSON or text.",
    },
    {
        "name": "kyc",
        "description": "Know your customer: a signed-in customer starts a check for a tier (light, full) "
        "with the KYC provider, whose signed result raises the tier; operators decide manual reviews "
        "(`kyc:read`, `kyc:review`).",
    },
    {
        "name": "screening",
        "description": "Sanctions screening against lists in the OFAC SDN CSV format: names (fuzzy, for a "
        "reviewer), chain addresses and IBANs (exact); the reviewers' queue and decisions; the list, whose "
        "change re-screens every known subject (`screening:read`, `screening:review`, `screening:admin`).",
    },
]

ROUTERS: Final = (
    health_router,
    version_router,
    events_router,
    custody_router,
    ledger_router,
    orders_router,
    perps_router,  # after orders_router: its lifespan uses the markets that one opens
    options_router,
    routing_router,
    markets_router,
    market_stream_router,
    paper_router,
    settlement_router,
    bridge_router,
    vesting_router,
    subscriptions_router,
    merchants_router,
    payment_intents_router,
    bank_rail_router,
    payment_methods_router,
    card_rail_router,
    disputes_router,
    fx_router,
    webhooks_router,
    reconciliation_router,
    reports_router,
    auth_router,
    factors_router,
    devices_router,
    subject_devices_router,
    monitoring_router,
    risk_router,
    pretrade_router,
    cases_router,
    privacy_router,
    kyc_router,
    screening_router,
)
"""Every feature's routes, in the order the OpenAPI document lists them."""

log = logging.getLogger("api")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open and migrate the database before serving; dispose of its connections after."""
    settings: ApiSettings = app.state.settings
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
    engine = make_engine(settings.database_url, pool_size=settings.worker_threads)
    probe = HealthProbe(settings.database_url)
    limiter = make_rate_limiter(settings.rate_limit_redis_url)
    try:
        upgrade_database(engine)
        log.info("database ready", extra={"database": redacted_url(settings.database_url)})
        app.state.engine = engine
        app.state.session_factory = make_session_factory(engine)
        app.state.health_probe = probe
        app.state.rate_limiter = limiter
        app.state.payment_rails = {**getattr(app.state, "payment_rails", {}), **stablecoin_rails(settings)}
        yield
    finally:
        await limiter.aclose()
        probe.close()
        engine.dispose()


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """A ready-to-serve app for `settings` (default: the environment's, via `get_settings()`)."""
    settings = settings if settings is not None else get_settings()
    configure_logging(settings.log_level, settings.log_json)
    build_info = read_build_info(PROJECT_ROOT)
    docs = settings.serves_docs
    app = FastAPI(
        title="TPWallet API",
        version=build_info.version or "unknown",
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.state.settings = settings
    app.state.build_info = build_info
    app.state.chain_clients = ChainClients(settings)
    install_handlers(app, API_PROBLEMS)
    app.add_middleware(  # innermost
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        read_timeout=settings.body_read_timeout_seconds,
    )
    app.add_middleware(RateLimitMiddleware, bucket=address_bucket(settings))
    app.add_middleware(RequestContextMiddleware)  # outermost: ids, headers and the 500 for all the rest
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)
    return app
