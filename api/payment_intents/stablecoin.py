"""The stablecoin rail as the API serves it: built from the L1 deployments at start (its payment instructions
are `service.stablecoin_instructions`, `GET /v1/payment-intents/{id}/stablecoin`).

The rail is registered only when the settings ask for it (`stablecoin_rail`) and the L1 node and its
deployments registry answer at start; otherwise stablecoin intents answer 503 (no client of the rail), as
any rail without a client does. The API only tells payers how to pay: the payments watcher
(`python -m relay.payments`) reads the payments and moves the intents.
"""

import logging

from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from payments.intents.model import RailKind
from payments.intents.rails import Rail
from payments.rails.stablecoin.config import router_and_config
from payments.rails.stablecoin.rail import StablecoinRail

log = logging.getLogger("api.payment_intents.stablecoin")


def stablecoin_rails(settings: ApiSettings) -> dict[RailKind, Rail]:
    """The stablecoin rail on L1's PaymentRouter and tUSD, if the settings ask for it and the node answers."""
    if not settings.stablecoin_rail:
        return {}
    try:
        w3 = make_web3(settings.l1_rpc_url, timeout=settings.rpc_timeout_seconds)
        registry = Deployments.load(settings.l1_deployments_network, settings.deployments_dir)
        _, config = router_and_config(
            w3, registry, "PaymentRouter", "tUSD", "USD", settings.stablecoin_livemode
        )
    except (ChainError, OSError, ValueError) as error:  # node down, no registry: serve without the rail
        log.warning("stablecoin rail unavailable: %s", type(error).__name__)
        return {}
    log.info("stablecoin rail on router %s (chain %d)", config.router, config.chain_id)
    return {RailKind.STABLECOIN: StablecoinRail(config)}
