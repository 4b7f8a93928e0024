"""`python -m relay.settlement`: anchor settlement batches with the environment's settings until SIGTERM."""

import logging
import threading

import httpx

from chain.anchor import SettlementAnchor
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.intents import Anchor
from matching.settlement.batches import BatchPolicy
from payments.rails.custody_requests import SigningRefused, request_signature
from relay.cursor import make_engine
from relay.keeper import install_stop_handlers
from relay.payments.settings import read_secret, relayer_from_file
from relay.settlement.anchorer import Anchorer, Signer, log
from relay.settlement.settings import AnchorerSettings, get_settings


def anchorer_from_settings(settings: AnchorerSettings, client: httpx.Client) -> Anchorer:
    """The anchorer the settings describe, signing through `client` (the API, with the caller's key)."""
    w3 = make_web3(settings.rpc_url)
    deployment = Deployments.load(settings.deployments_network, settings.deployments_dir).get(
        settings.anchor_name
    )
    anchor = SettlementAnchor(w3, deployment.address, from_block=deployment.block_number or 0)
    chain_id = int(w3.eth.chain_id)

    def sign(intent: Anchor, leaves: dict[str, object], key: str) -> tuple[int, int, int]:
        return request_signature(
            client,
            settings.custody_key_id,
            intent,
            chain_id,
            anchor.address,
            key,
            anchor_leaves=leaves,
            timeout_seconds=settings.sign_timeout_seconds,
        )

    signer: Signer = sign
    return Anchorer(
        make_engine(settings.database_url),
        anchor,
        signer,
        relayer_from_file(settings.relayer_key_file),
        BatchPolicy(settings.max_trades, int(settings.max_age_seconds * 1_000_000)),
        confirmations=settings.confirmations,
    )


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    headers = {"Authorization": f"Bearer {read_secret(settings.api_key_file)}"}
    with httpx.Client(
        base_url=settings.api_url, headers=headers, timeout=settings.sign_timeout_seconds
    ) as client:
        try:
            anchorer = anchorer_from_settings(settings, client)
        except (ValueError, ChainError) as error:
            log.error("cannot start: %s", error)
            return 2
        stop = threading.Event()
        install_stop_handlers(stop)
        log.info("settlement anchorer for %s", anchorer.anchor.address)
        while not stop.is_set():
            try:
                anchorer.run_once()
            except (ChainError, SigningRefused, httpx.HTTPError) as error:
                log.warning("round failed, retrying: %s", error)
            stop.wait(settings.poll_interval_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
