"""`python -m relay.bridge`: the bridge relay with the environment's settings until SIGTERM, one
`relay.bridge.rounds.RelayRound` after another: both bridges' confirmed messages (L1 deposits, L2
withdrawals) read, the guardian's vetoes applied, each direction's batches delivered."""

import logging
import threading
from collections.abc import Sequence

import httpx

from chain.bridge.contracts import Bridge, BridgeL1, BridgeL2, OnchainSignature
from chain.bridge.message import Message
from chain.client import make_web3
from chain.errors import ChainError
from chain.intents import BridgeBatch
from custody.protocol.bridge_messages import BridgeMessages
from payments.bridge.store import BatchPolicy
from payments.rails.custody_requests import request_signature
from relay.bridge.delivery import Deliverer, Signer, log
from relay.bridge.rounds import RelayRound
from relay.bridge.settings import BridgeRelaySettings, get_settings
from relay.bridge.vetoes import VetoWatcher
from relay.bridge.watcher import BridgeWatcher
from relay.cursor import make_engine
from relay.keeper import install_stop_handlers
from relay.payments.settings import relayer_from_file
from relay.secrets import read_secret


def signer_for(settings: BridgeRelaySettings, client: httpx.Client, destination: Bridge) -> Signer:
    """Signatures for batches attested on `destination`, asked of the API with the relay's key; each request
    carries the batch's messages, which every signer node checks the root against (and the chains, where it
    reads them)."""
    chain_id = int(destination.w3.eth.chain_id)

    def sign(intent: BridgeBatch, messages: Sequence[Message], key: str) -> OnchainSignature:
        return request_signature(
            client,
            settings.custody_key_id,
            intent,
            chain_id,
            destination.address,
            key,
            bridge_messages=BridgeMessages.of(messages).model_dump(mode="json"),
            timeout_seconds=settings.sign_timeout_seconds,
            retry_pending_seconds=settings.sign_retry_seconds,
        )

    return sign


def relay_from_settings(settings: BridgeRelaySettings, client: httpx.Client) -> RelayRound:
    """Both watchers, both veto watchers and both deliverers the settings describe."""
    l1 = BridgeL1(make_web3(settings.l1_rpc_url), settings.l1_bridge, from_block=settings.l1_from_block)
    l2 = BridgeL2(make_web3(settings.l2_rpc_url), settings.l2_bridge, from_block=settings.l2_from_block)
    engine = make_engine(settings.database_url)
    relayer = relayer_from_file(settings.relayer_key_file)
    policy = BatchPolicy(settings.max_messages, int(settings.max_age_seconds * 1_000_000))
    lease_us = int(settings.lease_seconds * 1_000_000)
    return RelayRound(
        watchers=[BridgeWatcher(bridge, engine, settings.confirmations) for bridge in (l1, l2)],
        veto_watchers=[VetoWatcher(bridge, engine, settings.confirmations) for bridge in (l2, l1)],
        deliverers=[
            Deliverer(
                engine,
                bridge,
                signer_for(settings, client, bridge),
                relayer,
                policy,
                settings.holder,
                lease_us,
                settings.claims_in_flight,
                claims_per_transaction=settings.claims_per_transaction,
            )
            for bridge in (l2, l1)
        ],
    )


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    headers = {"Authorization": f"Bearer {read_secret(settings.api_key_file)}"}
    with httpx.Client(
        base_url=settings.api_url, headers=headers, timeout=settings.sign_timeout_seconds
    ) as client:
        try:
            relay = relay_from_settings(settings, client)
        except (ValueError, ChainError) as error:
            log.error("cannot start: %s", error)
            return 2
        stop = threading.Event()
        install_stop_handlers(stop)
        log.info("bridge relay %s for %s <-> %s", settings.holder, settings.l1_bridge, settings.l2_bridge)
        while not stop.is_set():
            relay.run_once()
            stop.wait(settings.poll_interval_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
