"""The environment the stack starts the API with, and the files of the run it names.

Kept apart from `stack` because it is the longest single thing the stack says and changes whenever the API
gains a setting, while the stack's start order does not. Every secret the API needs is a 0600 file of this
run named by its path (webhook-sealing, session, factor, fingerprint and analytics keys, the swap account's
key), never a value in the environment, which stays readable in `/proc/<pid>/environ`. The sandboxes' shared
secrets are their files too, made when each sandbox starts (`stack_sandboxes`).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from custody.keystore.sealed_box import create_key_file
from custody.provision import GroupLayout
from scripts._support.processes import LOOPBACK
from scripts._support.stack.config import DevnetSettings
from scripts._support.stack.deployments import LIQUIDITY_INDEX, Chain
from scripts._support.stack.sandboxes import SandboxLinks
from scripts._support.stack.settlement import perp_pricing_env


@dataclass(frozen=True)
class ApiEnvironment:
    """The API's environment, and the key sealing webhook signing secrets (the webhook worker reads it
    too)."""

    env: dict[str, str]
    webhook_key_file: Path


def api_environment(
    settings: DevnetSettings,
    run_dir: Path,
    *,
    api_url: str,
    database_url: str,
    chains: tuple[Chain, Chain],
    sandboxes: SandboxLinks,
    screening_list_dir: Path,
    custody: GroupLayout | None,
) -> ApiEnvironment:
    """This process's environment and the API's settings for a run in `run_dir`, serving at `api_url`, on
    `database_url`, with L1 and L2 `chains`; the key files it names are made here. With `custody`, the API
    hosts the custody coordinator."""
    # The key sealing webhook signing secrets: a 0600 file of this run, named to the API by its path.
    webhook_key_file = run_dir / "webhooks" / "secrets.key"
    # The keys signing customers' session tokens, sealing their TOTP secrets and keying device
    # fingerprints: the same format (32 random bytes as 64 hex digits, 0600), files of this run named to
    # the API by their paths.
    session_key_file = run_dir / "identity" / "session.key"
    factor_key_file = run_dir / "risk" / "factors.key"
    fingerprint_key_file = run_dir / "risk" / "device-fingerprint.key"
    analytics_key_file = run_dir / "risk" / "analytics.key"
    key_files = (
        webhook_key_file,
        session_key_file,
        factor_key_file,
        fingerprint_key_file,
        analytics_key_file,
    )
    for key_file in key_files:
        create_key_file(key_file)
    # The account that swaps the router's pool legs (dev account 4, which seeded the pool): its key in a
    # 0600 file of this run, named to the API by its path.
    swap_key_file = run_dir / "routing" / "swap.key"
    swap_key = "0x" + bytes(dev_accounts()[LIQUIDITY_INDEX].key).hex()
    write_atomic(swap_key_file, swap_key.encode(), mode=PRIVATE)
    l1, l2 = chains
    env = {
        **os.environ,
        "TPW_DATABASE_URL": database_url,
        "TPW_L1_RPC_URL": l1.url,
        "TPW_L2_RPC_URL": l2.url,
        "TPW_DEPLOYMENTS_DIR": str(settings.deployments_dir),
        "TPW_API_HOST": LOOPBACK,
        "TPW_API_PORT": str(settings.api_port),
        # The devnet speaks plain HTTP, so merchant mTLS is off here whatever the shell exports
        # (docs/merchants.md, "Mutual TLS"): a covered merchant key would be refused over plain HTTP.
        "TPW_API_TLS": "false",
        "TPW_MERCHANT_MTLS": "off",
        "TPW_WEBHOOK_KEY_PATH": str(webhook_key_file),
        "TPW_AUTH_SESSION_KEY_PATH": str(session_key_file),
        # Sign-In with Ethereum messages name the host and port the wallet app reached the API at.
        "TPW_SIWE_DOMAIN": api_url.removeprefix("http://"),
        "TPW_SIWE_URI": api_url,
        "TPW_FACTOR_KEY_PATH": str(factor_key_file),
        "TPW_DEVICE_FINGERPRINT_KEY_PATH": str(fingerprint_key_file),
        "TPW_PRIVACY_ANALYTICS_KEY_PATH": str(analytics_key_file),
        "TPW_STABLECOIN_RAIL": "true",  # L1's router, found once deployed
        "TPW_STABLECOIN_REFUNDS": "true",  # paid back by the payments watcher
        "TPW_BANK_URL": sandboxes.bank_url,
        "TPW_BANK_WEBHOOK_SECRET_PATH": str(sandboxes.bank_secret_file),
        "TPW_CARD_PROCESSOR_URL": sandboxes.card_processor_url,
        "TPW_CARD_PROCESSOR_CREDENTIAL_PATH": str(sandboxes.card_dir / "api-credential"),
        "TPW_CARD_WEBHOOK_SECRET_PATH": str(sandboxes.card_dir / "webhook-secret"),
        "TPW_RECONCILIATION_RAILS": '["bank", "card", "stablecoin"]',  # read with the rails' settings
        "TPW_KYC_PROVIDER_URL": sandboxes.kyc_provider_url,
        "TPW_KYC_WEBHOOK_SECRET_PATH": str(sandboxes.kyc_secret_file),
        "TPW_SCREENING_LIST_DIR": str(screening_list_dir),
        "TPW_ROUTING_SWAP_KEY_PATH": str(swap_key_file),
        # The markets' journals belong to this run's database: a journal left by an earlier run would
        # be replayed into a fresh ledger that lacks its accounts.
        "TPW_MATCHING_DIR": str(run_dir / "matching"),
        **perp_pricing_env(settings.perp_price_interval_seconds),
    }
    if custody is not None:
        env |= {
            "TPW_CUSTODY_ROSTER_PATH": str(custody.roster_path),
            "TPW_CUSTODY_TLS_DIR": str(custody.coordinator_tls.certificate.parent),
            "TPW_CUSTODY_AUDIT_PATH": str(run_dir / "custody" / "coordinator" / "audit.jsonl"),
            "TPW_CUSTODY_POLICY_PATH": str(custody.node(min(custody.nodes)).policy),  # its operators
            "TPW_CUSTODY_THRESHOLD": str(settings.custody_threshold),
        }
    return ApiEnvironment(env, webhook_key_file)
