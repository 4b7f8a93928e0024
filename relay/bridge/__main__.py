"""`python -m relay.bridge`: the bridge relay with the environment's settings until SIGTERM. Each round reads
both bridges' confirmed messages (L1 deposits, L2 withdrawals) and delivers each direction's batches; a
round that fails (a node or the API down, a send that reverted) is logged and the next one starts again
from what the chains and the database say."""

import logging
import threading

import httpx

from chain.bridge.contracts import Bridge, BridgeL1, BridgeL2, OnchainSignature
from chain.client import make_web3
from chain.errors import ChainError
from chain.intents import BridgeBatch
from payments.bridge.store import BatchPolicy
from payments.rails.custody_requests import SigningRefused, request_signature
from relay.bridge.delivery import Deliverer, Signer, log
from relay.bridge.settings import BridgeRelaySettings, get_settings
from relay.bridge.watcher import BridgeWatcher
from relay.cursor import make_engine
from relay.keeper import install_stop_handlers
from relay.payments.settings import read_secret, relayer_from_file


def signer_for(settings: BridgeRelaySettings, client: httpx.Client, destination: Bridge) -> Signer:
    """Signatures for batches attested on `destination`, asked of the API with the relay's key."""
    chain_id = int(destination.w3.eth.chain_id)

    def sign(intent: BridgeBatch, key: str) -> OnchainSignature:
        return request_signature(
            client,
            settings.custody_key_id,
            intent,
            chain_id,
            destination.address,
            key,
            timeout_seconds=settings.sign_timeout_seconds,
        )

    return sign


def relay_from_settings(
    settings: BridgeRelaySettings, client: httpx.Client
) -> tuple[list[BridgeWatcher], list[Deliverer]]:
    """Both watchers and both deliverers the settings describe."""
    l1 = BridgeL1(make_web3(settings.l1_rpc_url), settings.l1_bridge, from_block=settings.l1_from_block)
    l2 = BridgeL2(make_web3(settings.l2_rpc_url), settings.l2_bridge, from_block=settings.l2_from_block)
    engine = make_engine(settings.database_url)
    relayer = relayer_from_file(settings.relayer_key_file)
    policy = BatchPolicy(settings.max_messages, int(settings.max_age_seconds * 1_000_000))
    lease_us = int(settings.lease_seconds * 1_000_000)
    watchers = [BridgeWatcher(bridge, engine, settings.confirmations) for bridge in (l1, l2)]
    deliverers = [
        Deliverer(
            engine,
            bridge,
            signer_for(settings, client, bridge),
            relayer,
            policy,
            settings.holder,
            lease_us,
            settings.claims_in_flight,
        )
        for bridge in (l2, l1)
    ]
    return watchers, deliverers


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    headers = {"Authorization": f"Bearer {read_secret(settings.api_key_file)}"}
    with httpx.Client(
        base_url=settings.api_url, headers=headers, timeout=settings.sign_timeout_seconds
    ) as client:
        try:
            watchers, deliverers = relay_from_settings(settings, client)
        except (ValueError, ChainError) as error:
            log.error("cannot start: %s", error)
            return 2
        stop = threading.Event()
        install_stop_handlers(stop)
        log.info("bridge relay %s for %s <-> %s", settings.holder, settings.l1_bridge, settings.l2_bridge)
        while not stop.is_set():
            for round_ in (*(w.run_once for w in watchers), *(d.run_once for d in deliverers)):
                try:
                    round_()
                except Exception as error:  # a node, the API or the database down, a refusal: next round
                    log.warning("round failed, retrying: %s", describe(error))
            stop.wait(settings.poll_interval_seconds)
    return 0


def describe(error: Exception) -> str:
    """A failure for the log: chain and custody errors in full, anything else by type (transport errors
    quote URLs, which may carry credentials)."""
    if isinstance(error, ChainError | SigningRefused):
        return str(error)
    return type(error).__name__


if __name__ == "__main__":
    raise SystemExit(main())
