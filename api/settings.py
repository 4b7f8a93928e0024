"""The API service's settings: one pydantic-settings class, read from `TPW_*` environment variables once.

Every port, URL and path the API touches is here so that the devnet, CI and a production host differ only in
their environment. Secret fields (typed `SecretStr`) are refused outside dev when empty or left at a known
placeholder, so a production start cannot silently run with a default key.
"""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.paths import PROJECT_ROOT
from custody.tls import TlsPaths
from payments.fx.quotes import RETENTION_SECONDS
from payments.intents.intents import AUTHORIZATION_LAPSE_SECONDS
from payments.intents.model import RailKind

# Values that mean "nobody set this": refused for every secret outside dev.
PLACEHOLDER_SECRETS = frozenset({"", "changethis", "changeme", "secret", "password", "test", "dev"})

Network = Literal["l1", "l2"]

COORDINATOR_TLS_NAME = "coordinator"
"""File stem of the coordinator's certificate and key in `custody_tls_dir` (as the devnet writes them)."""


def _is_placeholder(secret: SecretStr) -> bool:
    return secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS


class ApiSettings(BaseSettings):
    """Configuration of one API process; a field's docstring is its description (shown by `--help` tools)."""

    # hide_input_in_errors: a validation error must not echo the environment, which holds secrets.
    model_config = SettingsConfigDict(
        env_prefix="TPW_",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        use_attribute_docstrings=True,
    )

    environment: Literal["dev", "prod"] = "dev"
    """`prod` refuses empty or placeholder secrets."""
    database_url: str = Field(default=f"sqlite:///{PROJECT_ROOT / 'var' / 'tpwallet.db'}", repr=False)
    """SQLAlchemy URL (may hold a password), e.g. postgresql+psycopg://tpw@127.0.0.1:5432/tpw."""
    api_host: str = "127.0.0.1"
    """Interface the server binds to."""
    api_port: int = Field(default=8000, ge=1, le=65535)
    """TCP port the server listens on."""
    l1_rpc_url: str = Field(default="http://127.0.0.1:8545", repr=False)
    """JSON-RPC URL of L1."""
    l2_rpc_url: str = Field(default="http://127.0.0.1:9545", repr=False)
    """JSON-RPC URL of L2."""
    l1_deployments_network: str = "local"
    """Ape network name whose deployments/<name>.json describes L1."""
    l2_deployments_network: str = "l2devnet"
    """Ape network name whose deployments/<name>.json describes L2."""
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    """Folder of the deployments registry files."""
    rpc_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    """Per-request timeout of every JSON-RPC call the API makes."""
    finality_blocks: int = Field(default=64, ge=1)
    """Blocks a receipt must be buried under before its decoded events are cached for good."""
    stablecoin_rail: bool = False
    """Serve the stablecoin rail: payments in tUSD through L1's PaymentRouter (its deployments registry)."""
    stablecoin_livemode: bool = False
    """Whether L1 pays live intents (a mainnet) rather than sandbox ones (a devnet or testnet)."""
    stablecoin_refunds: bool = False
    """Whether a payout worker (`python -m relay.payments` with a custody API key) pays stablecoin refunds."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = False
    """JSON lines instead of key=value log lines."""
    custody_roster_path: Path = PROJECT_ROOT / "var" / "custody" / "roster.json"
    """The custody group's roster; while no file is there, the custody routes answer 503."""
    custody_tls_dir: Path = PROJECT_ROOT / "var" / "custody" / "coordinator"
    """Folder of the coordinator's mTLS files: coordinator.crt, coordinator.key, ca.crt."""
    custody_tls_cert: Path | None = None
    """The coordinator's client certificate; default <custody_tls_dir>/coordinator.crt."""
    custody_tls_key: Path | None = None
    """Its private key; default <custody_tls_dir>/coordinator.key."""
    custody_tls_ca: Path | None = None
    """The custody group's CA certificate; default <custody_tls_dir>/ca.crt."""
    custody_audit_path: Path = PROJECT_ROOT / "var" / "custody" / "coordinator" / "audit.jsonl"
    """The API's hash-chained custody audit log (shared with the coordinator it hosts)."""
    merchant_ca_dir: Path = PROJECT_ROOT / "var" / "merchants" / "ca"
    """The merchant CAs (one PEM file a mode: certificate and key, 0600), created on first use
    (`payments.merchants.certificates`)."""
    api_tls: bool = False
    """Serve HTTPS (`api.tls`), trusting the merchant CAs (both modes) for client certificates, which the
    TLS layer asks for but does not require (operators and customers connect without one)."""
    api_tls_cert: Path | None = None
    """The server's certificate chain (PEM); with `api_tls_key`. Unset: one is issued at every start by the
    API's own server CA under `api_tls_dir`."""
    api_tls_key: Path | None = None
    """The private key of `api_tls_cert` (PEM, unencrypted, 0600)."""
    api_tls_dir: Path = PROJECT_ROOT / "var" / "api" / "tls"
    """The API's own server CA (ca.pem, key and certificate, 0600; ca.crt for clients to trust) and the
    server certificate it issues at start (server.crt, server.key), when `api_tls_cert` is unset."""
    merchant_mtls: Literal["off", "live", "all"] | None = None
    """Which merchant keys need their client certificate (`api.merchants.mtls`): none, live keys, or all
    keys. Default: live when `api_tls`, else off."""
    custody_policy_path: Path | None = None
    """The signer nodes' policy file (a copy); approvals are taken only from the operators it names, none
    while it is missing. Default: policy.yaml beside the roster."""
    custody_threshold: int = Field(default=2, ge=2, le=0xFFFF)
    """Signers a new custody key needs when the request names none."""
    custody_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    """Per-call timeout of every request the API makes to a signer node."""
    webhook_key_path: Path = PROJECT_ROOT / "var" / "webhooks" / "secrets.key"
    """The file of the key sealing webhook signing secrets (64 hex digits, mode 0600; the devnet writes
    it): only its path is configured, the key never travels in the environment. While it is missing,
    creating an endpoint or rotating its secret answers 503."""
    factor_key_path: Path = PROJECT_ROOT / "var" / "risk" / "factors.key"
    """The file of the key sealing TOTP secrets at rest (`risk.factors.sealing`; 64 hex digits, mode 0600):
    only its path is configured, the key never travels in the environment."""
    totp_issuer: str = Field(default="TPWallet", min_length=1, max_length=64)
    """The issuer an authenticator app shows beside a TOTP enrolled with this server."""
    factor_lockout_failures: int = Field(default=5, ge=1, le=100)
    """Consecutive failed attempts of a factor (TOTP, payment password, recovery code) that lock it
    (`risk.factors.lockout.LockoutPolicy.max_failures`)."""
    factor_lockout_base_seconds: int = Field(default=60, ge=1)
    """How long the first lock lasts; each further lock without a success in between lasts twice as long."""
    factor_lockout_max_seconds: int = Field(default=24 * 3600, ge=1)
    """The longest a lock lasts, however many came before it."""
    factor_proof_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    """How long a factor proof (`risk.factors.proofs`, issued by `/v1/factors/.../verify`) may be spent."""
    factor_change_recent_login_seconds: int = Field(default=300, ge=0, le=3600)
    """How recent a sign-in lets a session change its factors without a factor proof
    (`risk.factors.changes`)."""
    risk_rules_path: Path = PROJECT_ROOT / "config" / "risk" / "rules.yaml"
    """The risk engine's rule file (docs/risk.md, "Rules engine"), re-read when it changes. A file that does
    not load at start leaves payment confirmations unassessed (logged), as before the engine existed."""
    risk_ip_countries_path: Path = PROJECT_ROOT / "config" / "risk" / "ip_countries.csv"
    """The CIDR table placing an IP address in a country, for the risk engine."""

    worker_threads: int = Field(default=40, ge=4, le=1024)
    """Worker threads for blocking work (database, sync routes); the database pool is as large, so a thread
    never waits for a connection."""
    max_body_bytes: int = Field(default=1024 * 1024, ge=0)
    """Larger request bodies are refused with 413 before they are read."""
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """A request body not received whole within this time is refused with 408, so a slow client cannot hold a
    connection and its buffered bytes open."""
    max_connections: int = Field(default=1000, ge=1)
    """`python -m api`: connections served at once; more are answered 503 by uvicorn at once."""
    api_workers: int = Field(default=1, ge=1, le=64)
    """`python -m api`: server processes sharing the port (uvicorn's workers), so the API can use more than
    one core. More than one needs PostgreSQL and no custody roster (`python -m api` refuses otherwise); each
    process keeps its own in-memory rate limits unless `rate_limit_redis_url` shares them."""
    forwarded_allow_ips: str | None = None
    """`python -m api`: comma-separated addresses of proxies whose X-Forwarded-For is trusted as the client
    address (rate limits, logs); unset: none, the TCP peer is the client."""
    rate_limit_enabled: bool = True
    """Token buckets per API key and client address."""
    rate_limit_key_per_second: float = Field(default=50.0, gt=0)
    """Requests per second an API key may sustain."""
    rate_limit_key_burst: int = Field(default=100, ge=1)
    """Requests an idle API key may send at once."""
    rate_limit_address_per_second: float = Field(default=100.0, gt=0)
    """Requests per second one client address may sustain."""
    rate_limit_address_burst: int = Field(default=200, ge=1)
    """Requests an idle client address may send at once."""
    rate_limit_redis_url: str | None = Field(default=None, repr=False)
    """redis://host:port/db: buckets kept in Redis, shared by every API process; unset: in-process."""
    idempotency_lock_timeout_seconds: float = Field(default=300.0, gt=0)
    """A claimed Idempotency-Key whose request has not answered after this long is taken over by a retry (its
    process died); longer than any request runs."""
    idempotency_sweep_interval_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """How often a finished POST also deletes the expired Idempotency-Keys (0: after every one)."""
    matching_dir: Path = PROJECT_ROOT / "var" / "matching"
    """The spot markets' journals and snapshots: `<dir>/<live|sandbox>/<market>/` (one writer each: one API
    process serves the markets)."""
    market_stream_queue: int = Field(default=1_000, ge=1, le=1_000_000)
    """Updates `/v1/markets/{id}/stream` queues for one client; a client that falls further behind is
    dropped (close code 4001) rather than ever slowing the market."""
    perp_price_interval_seconds: float = Field(default=0.0, ge=0, le=3600)
    """How often the perpetual's price loop runs (index and mark, margin checks, liquidation rounds,
    funding when due: `api.perps.pricing`); 0: never. One API process serves the markets."""
    perp_index_pair: str | None = None
    """The Uniswap V2 pair whose price is TPW-PERP's outside index: its address on `perp_index_network`, or
    its name in that network's deployments registry (looked up until deployed: `api.perps.pricing`)."""
    perp_index_base: str | None = None
    """The TPW token in that pair: its address, or its name in the same registry."""
    perp_index_network: Network = "l1"
    options_settlement_interval_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """How often the API settles the option series whose expiry has passed, in the venues it has open (0:
    never). Settlement is exactly once (`matching.options_market.expiry`), so a round may repeat."""
    pretrade_limits_path: Path = PROJECT_ROOT / "config" / "pretrade.yaml"
    """The limits every order passes before entry (`risk.pretrade.config`): checked whole at start, and the
    API does not start on a faulty file (the fault names the file, line and entry)."""
    routing_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    """How often the API executes the parent orders' (TWAP/VWAP) slices that are due (0: never; a test
    drives `app.state.parent_orders.run_due` itself)."""
    routing_swap_key_path: Path | None = None
    """The file (0600) of the key of the account that swaps the router's pool legs on L1 (the devnet's dev
    account 4). Unset: the pool is quoted but never executed (its legs are refused)."""
    routing_gas_price_wei: int = Field(default=1_000_000_000, ge=0)
    """Gas price the router charges a pool swap at."""
    routing_quote_per_eth: int = Field(default=3_000_000_000, ge=0)
    """Ether's price in quote minor units (tUSD 10^-6), to price a swap's gas in the router's unit."""
    routing_replay_path: Path = PROJECT_ROOT / "config" / "venues" / "outside.jsonl"
    """The recorded outside venue (`matching.routing.venues.replay`), replayed in a loop on the wall clock."""
    ledger_expiry_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    """How often the API releases pending ledger transfers whose timeout has passed (0: never; then run
    `python -m ledger expire` from cron). Several API processes may all do it: an expiry is written once."""
    payment_authorization_lapse_seconds: int = Field(default=AUTHORIZATION_LAPSE_SECONDS, ge=60)
    """An authorization left uncaptured this long lapses: its intent is canceled (`automatic`) and its hold
    voided, as Stripe does after 7 days. Not shorter than the card networks' validity of an authorization."""
    payment_lapse_interval_seconds: float = Field(default=60.0, ge=0, le=86400)
    """How often the API cancels lapsed authorizations (0: never; then run `python -m payments.intents
    expire-uncaptured` from cron). Several API processes may all do it: each intent is canceled once."""
    fx_quote_retention_seconds: int = Field(default=RETENTION_SECONDS, ge=0)
    """How long an FX quote that expired unused is kept before it is removed (a converted one stays)."""
    fx_quote_cleanup_interval_seconds: float = Field(default=300.0, ge=0, le=86400)
    """How often the API removes FX quotes expired unused for `fx_quote_retention_seconds` (0: never; then
    run `python -m payments.fx remove-expired-quotes` from cron). Safe with several API processes."""
    fx_rates_path: Path = PROJECT_ROOT / "config" / "fx" / "eurofxref.xml"
    """FX reference rates in the ECB's eurofxref XML format (EUR base); re-read when the file changes."""
    fx_quote_ttl_seconds: int = Field(default=30, ge=1, le=3600)
    """How long an FX quote stays convertible at its rate."""
    fx_spread_bps: int = Field(default=50, ge=0, le=9_999)
    """The FX spread, in basis points against the customer, of a pair not in `fx_pair_spreads_bps`."""
    fx_pair_spreads_bps: dict[str, Annotated[int, Field(ge=0, le=9_999)]] = Field(default_factory=dict)
    """Spreads per pair, e.g. {"EUR/USD": 20} (either direction), as JSON in TPW_FX_PAIR_SPREADS_BPS."""
    reconciliation_rails: list[RailKind] = Field(default_factory=list)
    """The rails whose record of a day is reconciled, e.g. ["bank", "card", "stablecoin"] as JSON in
    TPW_RECONCILIATION_RAILS. Each one's record is read with that rail's own settings (`bank_*`,
    `card_processor_*`, `stablecoin_rail` and L1's), so nothing is configured twice; a rail named here but not
    configured stops the start (docs/reconciliation.md)."""
    reconciliation_interval_seconds: float = Field(default=0, ge=0, le=86_400)
    """How often the API checks that yesterday (UTC) has a complete reconciliation run and runs it if not (0:
    never; then cron `python -m api.reconciliation run`)."""
    bank_url: str | None = None
    """The bank of the bank rail (ISO 20022 over HTTP: the sandbox bank in the devnet); unset: no bank rail,
    and `/v1/rails/bank/events` answers 503."""
    bank_webhook_secret_path: Path | None = None
    """The file of the secret the bank signs its notifications with (`TPW-Signature`); required with
    `bank_url`. Only its path is configured: the secret never travels in the environment."""
    bank_collection_iban: str = "DE75999999991000000000"
    """The platform's collection account at the bank: payments are credited to it, refunds debited."""
    bank_collection_bic: str = "TPWSDEB1XXX"
    bank_collection_name: str = "TPWallet collection"
    bank_livemode: bool = False
    """The mode of the money the bank moves: a sandbox bank serves sandbox payment intents only."""
    bank_held_refund_interval_seconds: float = Field(default=30.0, ge=0, le=86_400)
    """How often the API re-screens the bank refunds the screening held and sends those now clear
    (`payments.rails.bank.holds`; 0: never). Several API processes may all do it: a refund is claimed
    before it is sent, and a resent pain.001 keeps its MsgId, so the bank books it once."""
    card_processor_url: str | None = None
    """The card processor's base URL (the devnet's sandbox processor); unset: no card rail is registered."""
    card_processor_credential_path: Path = PROJECT_ROOT / "var" / "sandbox" / "card" / "api-credential"
    """The file of the bearer secret the API authenticates to the card processor with."""
    card_webhook_secret_path: Path = PROJECT_ROOT / "var" / "sandbox" / "card" / "webhook-secret"
    """The file of the secret the card processor signs its webhooks with; while it is missing, its events
    answer 503."""
    card_processor_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Per-request timeout of every call to the card processor."""
    auth_session_key_path: Path = PROJECT_ROOT / "var" / "identity" / "session.key"
    """The file of the key signing session access tokens (64 hex digits, mode 0600); only its path is
    configured. While it is missing, the /v1/auth routes that issue or check a session answer 503."""
    auth_audience: str = "tpwallet"
    """The audience session access tokens are issued for and checked against."""
    auth_access_token_seconds: int = Field(default=15 * 60, ge=30, le=3600)
    """How long a session access token is valid (the refresh token gets the next one)."""
    auth_session_seconds: int = Field(default=30 * 24 * 3600, ge=300)
    """A session's absolute lifetime: refreshing never extends it past this."""
    siwe_domain: str = "localhost:8000"
    """The domain (RFC 3986 authority) a Sign-In with Ethereum message must name."""
    siwe_uri: str = "http://localhost:8000"
    """The origin a SIWE message's URI must be (or be under)."""
    siwe_chain_ids: list[int] = Field(default_factory=lambda: [31337])
    """The chain ids a SIWE message may name, as JSON in TPW_SIWE_CHAIN_IDS."""
    webauthn_rp_id: str = "localhost"
    """The WebAuthn relying party id passkeys are scoped to (a registrable domain of the origins)."""
    webauthn_rp_name: str = "TPWallet"
    webauthn_origins: list[str] = Field(default_factory=lambda: ["http://localhost:8000"])
    """The origins a passkey ceremony may come from, as JSON in TPW_WEBAUTHN_ORIGINS."""
    device_signature_tolerance_seconds: int = Field(default=120, ge=1, le=900)
    """How far a device-signed request's timestamp may be from the server's clock, either way; its nonce is
    remembered this long after its timestamp (docs/risk.md, Devices)."""
    device_challenge_ttl_seconds: int = Field(default=300, ge=10, le=3600)
    """How long a device registration challenge may be answered."""
    device_fingerprint_key_path: Path = PROJECT_ROOT / "var" / "risk" / "device-fingerprint.key"
    """The file of the key device fingerprints are HMACed with (64 hex digits, mode 0600): only its path is
    configured. While it is missing, routes asking for a device signal answer 503."""
    monitoring_interval_seconds: float = Field(default=1.0, ge=0, le=3600)
    """How often the API runs a monitoring round: checks the ledger transfers not checked yet and holds
    money that arrived in frozen accounts (0: never). Several API processes take turns (docs/risk.md)."""
    monitoring_config_path: Path = PROJECT_ROOT / "config" / "risk" / "monitoring.yaml"
    """The monitoring's thresholds (YAML, checked at start: a fault stops it with file and line)."""
    monitoring_kyc_tiers_path: Path = PROJECT_ROOT / "config" / "risk" / "kyc_tiers.yaml"
    """The KYC tier limits the structuring check measures amounts against."""
    monitoring_ip_countries_path: Path = PROJECT_ROOT / "config" / "risk" / "ip_countries.csv"
    """The IP range -> country table of the geography check (`risk.engine.geo.CidrTable`)."""
    privacy_analytics_key_path: Path = PROJECT_ROOT / "var" / "risk" / "analytics.key"
    """The file of the key analytics pseudonyms are HMACed with (64 hex digits, mode 0600): only its path is
    configured; replacing the file rotates it. While it is missing, no analytics event is recorded and the
    analytics report answers 503 (docs/risk.md, Privacy)."""
    privacy_report_min_count: int = Field(default=10, ge=2, le=1000)
    """k of the analytics reports: a cell with fewer distinct subjects than this is suppressed."""
    privacy_retention_interval_seconds: float = Field(default=0, ge=0)
    """How often the API runs the retention job (`risk.privacy.retention`); 0: never (cron then runs
    `python -m api.privacy retention`)."""
    kyc_provider_url: str | None = None
    """The KYC provider's base URL (the devnet's sandbox provider); unset: `/v1/kyc` checks answer 503."""
    kyc_webhook_secret_path: Path | None = None
    """The file of the secret the KYC provider signs its result webhooks with (`TPW-Signature`); required
    with `kyc_provider_url`. Only its path is configured: the secret never travels in the environment."""
    kyc_provider_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Per-request timeout of every call to the KYC provider."""
    screening_list_dir: Path = PROJECT_ROOT / "config" / "risk" / "sanctions"
    """The sanctions list in use: a directory of OFAC SDN CSV files (`SDN.CSV`, and `ALT.CSV`, `ADD.CSV`,
    `SDN_COMMENTS.CSV`); the shipped sample by default. `PUT /v1/screening/list` writes here; a change of
    its files re-screens every known subject. The payout worker reads the same directory."""
    screening_name_threshold: float = Field(default=88.0, gt=0, le=100)
    """The fuzzy name score (0-100) at or above which a name is a potential match for a reviewer."""
    docs_enabled: bool | None = None
    """Serve /docs, /redoc and /openapi.json; default on in dev, off in prod."""

    @property
    def serves_docs(self) -> bool:
        """Whether the interactive docs and the OpenAPI document are served."""
        return self.docs_enabled if self.docs_enabled is not None else self.environment != "prod"

    @property
    def merchant_mtls_modes(self) -> frozenset[bool]:
        """The modes (livemode values) whose merchant keys must come with their client certificate."""
        policy = self.merchant_mtls or ("live" if self.api_tls else "off")
        return {"off": frozenset(), "live": frozenset({True}), "all": frozenset({False, True})}[policy]

    @model_validator(mode="after")
    def _tls_files_in_pairs(self) -> Self:
        """A server certificate comes with its key."""
        if (self.api_tls_cert is None) != (self.api_tls_key is None):
            raise ValueError("TPW_API_TLS_CERT and TPW_API_TLS_KEY are set together or not at all")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        """Outside dev, every `SecretStr` field must hold a real value."""
        if self.environment == "dev":
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and _is_placeholder(value):
                raise ValueError(f"TPW_{name.upper()} must be set to a real secret when environment is prod")
        return self

    def rpc_url(self, network: Network) -> str:
        """JSON-RPC URL of `network`."""
        return self.l1_rpc_url if network == "l1" else self.l2_rpc_url

    def custody_tls_paths(self) -> TlsPaths:
        """The coordinator's certificate, key and the group CA certificate, from the dir or each path."""
        default = TlsPaths.in_directory(self.custody_tls_dir, COORDINATOR_TLS_NAME)
        return TlsPaths(
            certificate=self.custody_tls_cert or default.certificate,
            key=self.custody_tls_key or default.key,
            ca=self.custody_tls_ca or default.ca,
        )

    def deployments_network(self, network: Network) -> str:
        """Ape network name whose deployments file lists the contracts we deployed on `network`."""
        return self.l1_deployments_network if network == "l1" else self.l2_deployments_network


@lru_cache(maxsize=1)
def get_settings() -> ApiSettings:
    """The process's settings, read from the environment on first use and then kept."""
    return ApiSettings()
