"""Every FastAPI dependency of the routes, as an `Annotated` alias: routes declare `session: SessionDep`,
`client: CustodyAdmin`, `runtime: CustodyDep`, and the services they call never see FastAPI.

Everything comes from the request and the app's own state (set by `create_app` and the lifespans), so two
apps with different settings can live in one process, as the tests do. The providers that need more than the
app's state live with what they provide (`api.db.get_session`, `api.auth`, `api.idempotency.route`); one
defined for a new feature goes here with its alias.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any

from argon2 import PasswordHasher
from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ApiClient, Scope, authenticated_client, require_scope
from api.custody.errors import CustodyUnavailable
from api.custody.runtime import CustodyRuntime
from api.customer_sessions import app_clock, customer_idempotency, customer_session, identity_runtime
from api.db import get_session
from api.factors.service import Factors, factors_for
from api.fx.service import rate_source
from api.idempotency.route import Idempotency, idempotency
from api.identity.service import Clock, Identity
from api.kyc.runtime import KycProvider, KycUnavailable
from api.merchants.errors import NotAMerchantKey
from api.orders.pretrade.ratelimit import take_order_token
from api.payment_intents.service import RailUnavailable, answered, tenant_of
from api.rpc import ChainClients
from api.screening.runtime import ScreeningRuntime, runtime_of
from api.settings import ApiSettings
from api.signed_requests import DeviceCheck, device_check, device_signal, signed_device
from api.subject import Subject, customer_subject, operator_subject, subject_idempotency
from api.version.service import BuildInfo
from api.webhooks.service import WebhooksUnavailable
from payments.fx.rates import RateSource
from payments.intents.context import Payments
from payments.merchants.tenant import Tenant
from payments.rails.card.client import CardProcessorClient
from payments.webhooks.sealing import SecretBox
from risk.devices.fingerprint import DeviceSignal
from risk.devices.verifier import VerifiedDevice
from risk.identity.sessions import SessionPrincipal


def get_app_settings(request: Request) -> ApiSettings:
    """The settings the serving app was created with."""
    settings: ApiSettings = request.app.state.settings
    return settings


def get_build_info(request: Request) -> BuildInfo:
    """What was built and from which commit, read once when the app was created."""
    build_info: BuildInfo = request.app.state.build_info
    return build_info


async def get_chain_clients(request: Request) -> ChainClients:
    """Clients for the chains' nodes (tests override this dependency with an in-process chain)."""
    chains: ChainClients = request.app.state.chain_clients
    return chains


def get_custody(request: Request) -> CustodyRuntime:
    """The app's custody runtime (`api.custody.router.custody_lifespan`); 503 while custody is not
    configured."""
    runtime: CustodyRuntime | None = getattr(request.app.state, "custody", None)
    if runtime is None:
        raise CustodyUnavailable(
            "custody is not configured on this server: no roster at its custody_roster_path"
        )
    return runtime


SettingsDep = Annotated[ApiSettings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
BuildInfoDep = Annotated[BuildInfo, Depends(get_build_info)]
ChainsDep = Annotated[ChainClients, Depends(get_chain_clients)]
CustodyDep = Annotated[CustodyRuntime, Depends(get_custody)]
IdempotencyDep = Annotated[Idempotency, Depends(idempotency)]
"""A POST's `Idempotency-Key`, claimed for its caller: run the route's work through `Idempotency.run`."""

ClockDep = Annotated[Clock, Depends(app_clock)]
"""The customer-facing routes' clock (unix seconds): `app.state.identity_clock` in tests, the wall clock."""
IdentityDep = Annotated[Identity, Depends(identity_runtime)]
"""The sign-in routes' runtime: engine, clock, token signer and policies (503 without a session key)."""
CustomerSession = Annotated[SessionPrincipal, Depends(customer_session)]
"""A signed-in customer or operator, from a session access token (`/v1/auth`); never an API key."""
AuthenticatedClient = Annotated[ApiClient, Depends(authenticated_client)]
"""Any caller with a valid API key, whatever its scopes."""
CustodyAdmin = Annotated[ApiClient, Depends(require_scope("custody:admin"))]
BridgeReader = Annotated[ApiClient, Depends(require_scope("custody:read"))]
"""The bridge's messages and batches are read with the custody readers' scope (the batches are custody's)."""
CustodyAuditor = Annotated[ApiClient, Depends(require_scope("custody:audit"))]
LedgerReader = Annotated[ApiClient, Depends(require_scope("ledger:read"))]
LedgerWriter = Annotated[ApiClient, Depends(require_scope("ledger:write"))]
PrivacyAdmin = Annotated[ApiClient, Depends(require_scope("privacy:admin"))]
FxReader = Annotated[ApiClient, Depends(require_scope("fx:read"))]
FxWriter = Annotated[ApiClient, Depends(require_scope("fx:write"))]
ReconciliationReader = Annotated[ApiClient, Depends(require_scope("reconciliation:read"))]
ReconciliationWriter = Annotated[ApiClient, Depends(require_scope("reconciliation:write"))]
MonitoringReader = Annotated[ApiClient, Depends(require_scope("monitoring:read"))]
MonitoringWriter = Annotated[ApiClient, Depends(require_scope("monitoring:write"))]
RiskReader = Annotated[ApiClient, Depends(require_scope("risk:read"))]
RiskEvaluator = Annotated[ApiClient, Depends(require_scope("risk:evaluate"))]
CasesReader = Annotated[ApiClient, Depends(require_scope("cases:read", "cases:review"))]
"""Reads the review queue (a reviewer reads what it decides)."""
CasesReviewer = Annotated[ApiClient, Depends(require_scope("cases:review"))]


def get_fx_rates(settings: SettingsDep) -> RateSource:
    """The FX rate source: the settings' reference file (re-read when it changes); 503 while unreadable."""
    return rate_source(settings.fx_rates_path)


FxRatesDep = Annotated[RateSource, Depends(get_fx_rates)]


@dataclass(frozen=True)
class CustodyCall:
    """What a custody route works with: its caller, the custody runtime and the request's session."""

    client: ApiClient
    runtime: CustodyRuntime
    session: Session


def custody_call(scope: Scope, *alternatives: Scope) -> Callable[..., Awaitable[CustodyCall]]:
    """The dependency of a custody read whose caller needs `scope` (or one of `alternatives`), resolved in
    the order the routes always asked: caller, runtime, session."""

    async def custody_call_with_scope(
        client: Annotated[ApiClient, Depends(require_scope(scope, *alternatives))],
        runtime: CustodyDep,
        session: SessionDep,
    ) -> CustodyCall:
        return CustodyCall(client, runtime, session)

    return custody_call_with_scope


KeyReader = Annotated[CustodyCall, Depends(custody_call("custody:read"))]
RequestReader = Annotated[
    CustodyCall, Depends(custody_call("custody:read", "custody:admin", "custody:audit", "custody:approve"))
]
"""Reads sign requests: its own with `custody:read`, every one with `custody:admin`, `custody:audit`
or `custody:approve` (an operator reads what it approves)."""


@dataclass(frozen=True)
class CustodyPost(CustodyCall):
    """A custody POST's call, with its idempotency key."""

    idempotency: Idempotency

    async def run(
        self,
        work: Callable[..., Awaitable[BaseModel]],
        *args: Any,
        body: BaseModel | None,
        status_code: int = HTTPStatus.OK,
    ) -> Response:
        """`work(runtime, session, client, *args, progress)` under the request's idempotency key: replayed if
        the key served this request already (`api.idempotency.route.Idempotency.run`)."""
        return await self.idempotency.run(
            lambda progress: work(self.runtime, self.session, self.client, *args, progress),
            body=body,
            status_code=status_code,
        )


def custody_post(scope: Scope) -> Callable[..., Awaitable[CustodyPost]]:
    """The dependency of a custody POST whose caller needs `scope`, resolved in the order the routes always
    asked (caller, runtime, idempotency key, session), so the same refusal comes first."""

    async def custody_post_with_scope(
        client: Annotated[ApiClient, Depends(require_scope(scope))],
        runtime: CustodyDep,
        idempotency: IdempotencyDep,
        session: SessionDep,
    ) -> CustodyPost:
        return CustodyPost(client, runtime, session, idempotency)

    return custody_post_with_scope


AdminPost = Annotated[CustodyPost, Depends(custody_post("custody:admin"))]
SignerPost = Annotated[CustodyPost, Depends(custody_post("custody:sign"))]
ApproverPost = Annotated[CustodyPost, Depends(custody_post("custody:approve"))]


MerchantsApplicant = Annotated[ApiClient, Depends(require_scope("merchants:apply", "merchants:admin"))]
"""Files merchant applications: an onboarding desk's key, or an admin's."""
MerchantsAdmin = Annotated[ApiClient, Depends(require_scope("merchants:admin"))]
MerchantReader = Annotated[ApiClient, Depends(require_scope("merchant:read", "merchants:admin"))]
"""A merchant's key that may read its account, or an admin's (which merchant it may read is the service's
check: `api.merchants.service`)."""
MerchantWriter = Annotated[ApiClient, Depends(require_scope("merchant:write", "merchants:admin"))]


def merchant_tenant(scope: Scope) -> Callable[..., Tenant]:
    """The dependency of a route that acts for the calling merchant: the key's tenant (merchant and mode)
    if the key is a merchant's and grants `scope`; 403 otherwise. A merchant-scoped feature (payment
    intents, refunds, webhooks) takes its tenant only from here and queries only through it
    (`payments.merchants.tenant.Tenant.select`), so a sandbox key never reaches a live row."""

    def tenant_of(client: Annotated[ApiClient, Depends(require_scope(scope))]) -> Tenant:
        if client.tenant is None:
            raise NotAMerchantKey("this route acts for the calling merchant: use a merchant's API key")
        return client.tenant

    tenant_of.__name__ = f"tenant_with_{scope.replace(':', '_')}"
    return tenant_of


TenantReader = Annotated[Tenant, Depends(merchant_tenant("merchant:read"))]
"""The calling merchant's tenant, for a key with `merchant:read`."""
ReportsTenant = Annotated[Tenant, Depends(merchant_tenant("payments:read"))]
"""The calling merchant's tenant, for a merchant's key with `payments:read` (its statements and reports)."""
OrdersReader = Annotated[Tenant, Depends(merchant_tenant("orders:read"))]
"""The calling merchant's tenant, for a merchant's key with `orders:read` (its spot orders)."""
OrdersWriter = Annotated[Tenant, Depends(merchant_tenant("orders:write"))]
"""The calling merchant's tenant, for a merchant's key with `orders:write` (place, amend, cancel)."""


async def order_token(request: Request, client: AuthenticatedClient) -> ApiClient:
    """The caller, once a token came out of its key's order bucket (`api.orders.pretrade.ratelimit`)."""
    await take_order_token(request.app.state, client)
    return client


OrderRateLimited = Annotated[ApiClient, Depends(order_token)]
"""A new order's caller within its key's order rate (429 with Retry-After beyond it)."""
RiskAdmin = Annotated[ApiClient, Depends(require_scope("risk:admin"))]
"""An operator who engages and releases the kill switches."""
RiskSwitchReader = Annotated[ApiClient, Depends(require_scope("risk:admin", "risk:read"))]
"""Lists the kill switches: their admin, or a risk reader."""


@dataclass(frozen=True)
class PaymentsCall:
    """What a payments route works with: the payment intents' dependencies and the caller's tenant."""

    payments: Payments
    tenant: Tenant

    async def read(self, work: Callable[..., BaseModel], *args: Any) -> BaseModel:
        """`work(payments, tenant, *args)` in a worker thread (the domain's calls block on the database)."""
        return await run_in_threadpool(work, self.payments, self.tenant, *args)


@dataclass(frozen=True)
class PaymentsPost(PaymentsCall):
    """A payments POST's call, with its idempotency key."""

    idempotency: Idempotency

    async def run(
        self,
        work: Callable[..., BaseModel],
        *args: Any,
        body: BaseModel | None,
        status_code: int = HTTPStatus.OK,
    ) -> Response:
        """`work(payments, tenant, *args)` under the request's idempotency key (replayed if it served this
        request already), its last transaction committing its answer too (`service.answered`)."""
        return await _answered_post(
            self.idempotency, self.payments, work, (self.tenant, *args), body, status_code
        )


async def _answered_post(
    idempotency: Idempotency,
    payments: Payments,
    work: Callable[..., BaseModel],
    args: tuple[Any, ...],
    body: BaseModel | None,
    status_code: int,
) -> Response:
    return await idempotency.run(
        lambda progress: run_in_threadpool(answered, payments, idempotency.session, progress, work, *args),
        body=body,
        status_code=status_code,
    )


def payments_of(request: Request, session: Session) -> Payments:
    """The payment intents on the app's database, with the rails registered in `app.state.payment_rails`."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    return Payments(
        engine,
        getattr(request.app.state, "payment_rails", {}),
        risk=getattr(request.app.state, "risk_gate", None),
    )


def payments_call(scope: Scope, *alternatives: Scope) -> Callable[..., Awaitable[PaymentsCall]]:
    async def payments_call_with_scope(
        request: Request,
        client: Annotated[ApiClient, Depends(require_scope(scope, *alternatives))],
        session: SessionDep,
    ) -> PaymentsCall:
        return PaymentsCall(payments_of(request, session), tenant_of(client))

    return payments_call_with_scope


async def payments_post(
    request: Request,
    client: Annotated[ApiClient, Depends(require_scope("payments:write"))],
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> PaymentsPost:
    return PaymentsPost(payments_of(request, session), tenant_of(client), idempotency)


def get_card_processor(request: Request) -> CardProcessorClient:
    """The card processor's client (`api.rails.card.card_rail_lifespan`); 503 while none is configured."""
    client: CardProcessorClient | None = getattr(request.app.state, "card_processor", None)
    if client is None:
        raise RailUnavailable(
            "no card processor is configured on this server: TPW_CARD_PROCESSOR_URL is unset"
        )
    return client


CardProcessorDep = Annotated[CardProcessorClient, Depends(get_card_processor)]

PaymentsReader = Annotated[PaymentsCall, Depends(payments_call("payments:read", "payments:write"))]
"""Reads the caller's payment intents and refunds (`payments:write` reads too)."""
PaymentsWriter = Annotated[PaymentsPost, Depends(payments_post)]


@dataclass(frozen=True)
class DisputesCall:
    """A dispute read: `viewer` is the caller's tenant, or None for an operator's key with `disputes:read`,
    which reads every merchant's disputes."""

    payments: Payments
    viewer: Tenant | None

    async def read(self, work: Callable[..., BaseModel], *args: Any) -> BaseModel:
        """`work(payments, viewer, *args)` in a worker thread."""
        return await run_in_threadpool(work, self.payments, self.viewer, *args)


async def disputes_call(
    request: Request,
    client: Annotated[ApiClient, Depends(require_scope("payments:read", "payments:write", "disputes:read"))],
    session: SessionDep,
) -> DisputesCall:
    every_tenant = client.tenant is None and "disputes:read" in client.scopes
    return DisputesCall(payments_of(request, session), None if every_tenant else tenant_of(client))


@dataclass(frozen=True)
class DisputesPost:
    """An operator's dispute POST (the card network's report): its key and idempotency key."""

    payments: Payments
    client: ApiClient
    idempotency: Idempotency

    async def run(
        self,
        work: Callable[..., BaseModel],
        *args: Any,
        body: BaseModel | None,
        status_code: int = HTTPStatus.OK,
    ) -> Response:
        """`work(payments, client, *args)` under the request's idempotency key, as `PaymentsPost.run`."""
        return await _answered_post(
            self.idempotency, self.payments, work, (self.client, *args), body, status_code
        )


async def disputes_post(
    request: Request,
    client: Annotated[ApiClient, Depends(require_scope("disputes:write"))],
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> DisputesPost:
    return DisputesPost(payments_of(request, session), client, idempotency)


DisputesReader = Annotated[DisputesCall, Depends(disputes_call)]
"""Reads disputes: a merchant's own (`payments:read` or `payments:write`), or every one (`disputes:read`)."""
DisputesDesk = Annotated[DisputesPost, Depends(disputes_post)]
"""Records the card networks' disputes and decisions (`disputes:write`, an operator's key)."""


def get_webhook_box(request: Request) -> SecretBox:
    """The box sealing webhook signing secrets (`api.webhooks.router.webhooks_lifespan`); 503 while the
    server has no key file."""
    box: SecretBox | None = getattr(request.app.state, "webhook_box", None)
    if box is None:
        raise WebhooksUnavailable("this server has no webhook sealing key: no file at its webhook_key_path")
    return box


WebhookBoxDep = Annotated[SecretBox, Depends(get_webhook_box)]
WebhookTenantReader = Annotated[Tenant, Depends(merchant_tenant("webhooks:read"))]
"""The calling merchant's tenant, for a merchant's key with `webhooks:read`."""
WebhookTenantWriter = Annotated[Tenant, Depends(merchant_tenant("webhooks:write"))]
"""The calling merchant's tenant, for a merchant's key with `webhooks:write`."""


def get_factors(request: Request) -> Factors:
    """The factors runtime (`api.factors.service`) on the app's engine and clock; a test may set
    `app.state.factor_password_hasher` (a cheaper Argon2id). 503 while the factors' key file is unusable."""
    state = request.app.state
    hasher: PasswordHasher | None = getattr(state, "factor_password_hasher", None)
    return factors_for(state.settings, state.engine, app_clock(request), hasher)


FactorsDep = Annotated[Factors, Depends(get_factors)]
"""The signed-in customer's factors: TOTP, payment password, recovery codes, proofs and change policy."""
SubjectDep = Annotated[Subject, Depends(customer_subject)]
"""The signed-in customer a customer-facing route acts for (`api.subject`; a session access token)."""
OperatorSubject = Annotated[Subject, Depends(operator_subject)]
"""The subject named in the path, for an operator's key with `devices:admin` (the support desk's path)."""
SubjectIdempotency = Annotated[Idempotency, Depends(subject_idempotency)]
"""A customer route's POST `Idempotency-Key`, scoped to the subject."""
SignedDevice = Annotated[VerifiedDevice, Depends(signed_device)]
"""The customer's device that signed this request (`TPW-Device-*` headers); 401 if none did."""
DeviceCheckDep = Annotated[DeviceCheck, Depends(device_check)]
"""`SignedDevice` and the request's fingerprint signal (None without a fingerprint key): what a payment
confirmation declares to require a device signature."""
DeviceSignalDep = Annotated[DeviceSignal, Depends(device_signal)]
"""This request's device fingerprint signal for the subject (a signal for the risk engine, never proof)."""


def get_engine(request: Request) -> Engine:
    """The app's database engine, for the domain calls that open their own transactions (`risk`)."""
    engine: Engine = request.app.state.engine
    return engine


def get_screening(request: Request) -> ScreeningRuntime:
    """The app's sanctions screening runtime (`api.screening.runtime`), made on first use."""
    return runtime_of(request.app.state)


def get_kyc_provider(request: Request) -> KycProvider:
    """The KYC provider (`api.kyc.router.kyc_lifespan`); 503 while none is configured."""
    provider: KycProvider | None = getattr(request.app.state, "kyc_provider", None)
    if provider is None:
        raise KycUnavailable("no KYC provider is configured on this server: TPW_KYC_PROVIDER_URL is unset")
    return provider


EngineDep = Annotated[Engine, Depends(get_engine)]
KycProviderDep = Annotated[KycProvider, Depends(get_kyc_provider)]
ScreeningDep = Annotated[ScreeningRuntime, Depends(get_screening)]
"""The sanctions screening runtime (`api.screening.runtime`): the list in use and its screener."""
ScreeningReader = Annotated[ApiClient, Depends(require_scope("screening:read", "screening:review"))]
ScreeningReviewer = Annotated[ApiClient, Depends(require_scope("screening:review"))]
ScreeningAdmin = Annotated[ApiClient, Depends(require_scope("screening:admin"))]
KycReader = Annotated[ApiClient, Depends(require_scope("kyc:read", "kyc:review"))]
KycReviewer = Annotated[ApiClient, Depends(require_scope("kyc:review"))]
CustomerIdempotency = Annotated[Idempotency, Depends(customer_idempotency)]
"""A customer's POST `Idempotency-Key`, scoped to the session's subject (`api.customer_sessions`)."""
