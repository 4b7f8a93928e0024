"""`python -m relay.settlement`: anchor settlement batches and pay withdrawals with the environment's
settings until SIGTERM (each round: the anchorer's, then the withdrawal worker's)."""

import logging
import threading

import httpx

from chain.anchor import SettlementAnchor
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.intents import Anchor
from chain.treasury import Treasury
from matching.settlement.batches import BatchPolicy
from payments.rails.custody_requests import SigningRefused, request_signature
from payments.rails.stablecoin.custody_signer import CustodySigner
from relay.cursor import make_engine
from relay.keeper import install_stop_handlers
from relay.payments.custody_transfers import CustodyTransfers
from relay.payments.settings import relayer_from_file
from relay.secrets import read_secret
from relay.settlement.anchorer import Anchorer, Signer, log
from relay.settlement.settings import AnchorerSettings, get_settings
from relay.settlement.withdrawals import WithdrawalWorker


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


def withdrawals_from_settings(settings: AnchorerSettings, anchorer: Anchorer) -> WithdrawalWorker:
    """The withdrawal worker on the same chain and database, paying from the registry's treasury."""
    registry = Deployments.load(settings.deployments_network, settings.deployments_dir)
    w3 = anchorer.anchor.w3
    treasury = Treasury(w3, registry.get(settings.treasury_name).address)
    signer = CustodySigner(
        settings.api_url,
        read_secret(settings.api_key_file),
        settings.custody_key_id,
        int(w3.eth.chain_id),
        treasury.address,
        settings.sign_timeout_seconds,
    )
    transfers = CustodyTransfers(treasury, signer, anchorer.relayer, settings.confirmations)
    tokens: dict[str, str] = {name: str(registry.get(name).address) for name in ("tUSD", "TPW")}
    return WithdrawalWorker(anchorer.engine, transfers, tokens, settings.livemode)


def main() -> int:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    headers = {"Authorization": f"Bearer {read_secret(settings.api_key_file)}"}
    with httpx.Client(
        base_url=settings.api_url, headers=headers, timeout=settings.sign_timeout_seconds
    ) as client:
        try:
            anchorer = anchorer_from_settings(settings, client)
            payer = withdrawals_from_settings(settings, anchorer)
        except (ValueError, ChainError) as error:
            log.error("cannot start: %s", error)
            return 2
        stop = threading.Event()
        install_stop_handlers(stop)
        log.info("settlement anchorer for %s", anchorer.anchor.address)
        while not stop.is_set():
            for round_ in (anchorer.run_once, payer.run_once):
                try:
                    round_()
                except (ChainError, SigningRefused, httpx.HTTPError) as error:
                    log.warning("round failed, retrying: %s", error)
            stop.wait(settings.poll_interval_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
