"""The stablecoin rail as the API serves it: payments in tUSD through L1's PaymentRouter, found in the L1
deployments registry when first needed (its payment instructions are `service.stablecoin_instructions`,
`GET /v1/payment-intents/{id}/stablecoin`).

The rail is registered when the settings ask for it (`stablecoin_rail`). It reads the registry and the
token lazily, and again after a failure, because the API may start before the contracts are deployed (the
devnet deploys them after the API is up): until the node and the registry answer, stablecoin steps answer
503 (no client of the rail), as any rail without a client does. The API only tells payers how to pay: the
payments watcher (`python -m relay.payments`) reads the payments and moves the intents.
"""

import logging
import threading

from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.payment_router import PaymentRouter
from payments.intents.errors import InvalidRequest
from payments.intents.model import RailKind
from payments.intents.rails import Rail, RailOutcome, RailRequest
from payments.rails.stablecoin.config import StablecoinConfig, router_and_config
from payments.rails.stablecoin.rail import StablecoinRail

log = logging.getLogger("api.payment_intents.stablecoin")

ROUTER_NAME = "PaymentRouter"
TOKEN_NAME = "tUSD"  # noqa: S105 (a registry name, not a secret)
CURRENCY = "USD"


def deployed_router(settings: ApiSettings) -> tuple[PaymentRouter, StablecoinConfig]:
    """L1's router the registry names and the rail's config for it (the rail's, and the reconciliation's
    reader of its `Paid` events); `InvalidRequest` on `rail` (a 503) while the node or the registry do not
    answer yet."""
    try:
        w3 = make_web3(settings.l1_rpc_url, timeout=settings.rpc_timeout_seconds)
        registry = Deployments.load(settings.l1_deployments_network, settings.deployments_dir)
        return router_and_config(
            w3, registry, ROUTER_NAME, TOKEN_NAME, CURRENCY, settings.stablecoin_livemode
        )
    except (ChainError, OSError, ValueError) as error:  # node down, nothing deployed yet
        raise InvalidRequest(
            f"the stablecoin rail is not reachable yet ({type(error).__name__})", field="rail"
        ) from None


class DeployedStablecoinRail:
    """A `StablecoinRail` on the router the L1 registry names, built on first use (module docstring)."""

    def __init__(self, settings: ApiSettings) -> None:
        self._settings = settings
        self._rail: StablecoinRail | None = None
        self._lock = threading.Lock()

    @property
    def kind(self) -> RailKind:
        return RailKind.STABLECOIN

    @property
    def config(self) -> StablecoinConfig:
        """The router, token and chain payments go to; `InvalidRequest` on `rail` (a 503) while unknown."""
        return self._loaded().config

    def _loaded(self) -> StablecoinRail:
        with self._lock:
            if self._rail is None:
                _, config = deployed_router(self._settings)
                log.info("stablecoin rail on router %s (chain %d)", config.router, config.chain_id)
                self._rail = StablecoinRail(config, refunds=self._settings.stablecoin_refunds)
            return self._rail

    def authorize(self, request: RailRequest) -> RailOutcome:
        return self._loaded().authorize(request)

    def capture(self, request: RailRequest) -> RailOutcome:
        return self._loaded().capture(request)

    def cancel(self, request: RailRequest) -> RailOutcome:
        return self._loaded().cancel(request)

    def refund(self, request: RailRequest) -> RailOutcome:
        return self._loaded().refund(request)


def stablecoin_rails(settings: ApiSettings) -> dict[RailKind, Rail]:
    """The stablecoin rail if the settings ask for it."""
    return {RailKind.STABLECOIN: DeployedStablecoinRail(settings)} if settings.stablecoin_rail else {}
