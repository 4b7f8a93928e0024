"""A signer node's settings (`NodeSettings`, env prefix ``TPW_NODE_``) and the key-store unlocker it reads.

Everything but the secret comes from ``TPW_NODE_*``: node id, data directory, address, TLS files, nonce time
to live, policy file. The key store's passphrase (``TPW_CUSTODY_PASSPHRASE``) or key-encryption key
(``TPW_CUSTODY_KEK``) is read from the environment only, never from a command-line argument (which any user
of the machine can read in the process list), and exactly one of the two must be set.

Default layout of a node's data directory (`NodeSettings` resolves each path)::

    keystore/      the sealed key store (shares, identity, nonces)
    tls/node.crt, tls/node.key, tls/ca.crt
    roster.json    policy.yaml    audit.jsonl    state.sqlite
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from custody.errors import CustodyError
from custody.keystore import KEK_ENV_VAR, Kek, Passphrase, Unlocker
from custody.tls import TlsPaths

PASSPHRASE_ENV_VAR: Final = "TPW_CUSTODY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
BASE_PORT: Final = 7100
"""Node n listens on 7100 + n unless told otherwise (the devnet's 7101-7105)."""


class MissingUnlocker(CustodyError):
    """Neither or both of the key store's passphrase and KEK are in the environment."""


class NodeSettings(BaseSettings):
    """Configuration of one signer node process; see each field's description."""

    model_config = SettingsConfigDict(
        env_prefix="TPW_NODE_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    node_id: int = Field(ge=1, le=0xFFFF, description="This node's id, which is also its FROST identifier.")
    data_dir: Path = Field(
        description="The node's directory: key store, TLS files, policy, audit log, state."
    )
    host: str = Field(default="127.0.0.1", description="Interface the server binds to.")
    port: int | None = Field(default=None, ge=1, le=65535, description="TCP port; default 7100 + node id.")
    tls_cert: Path | None = Field(
        default=None, description="Node certificate; default <data_dir>/tls/node.crt."
    )
    tls_key: Path | None = Field(
        default=None, description="Its private key; default <data_dir>/tls/node.key."
    )
    tls_ca: Path | None = Field(
        default=None, description="The group CA certificate; default <data_dir>/tls/ca.crt."
    )
    nonce_ttl_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="How long a round-one nonce waits for round two before it is deleted unused.",
    )
    policy_path: Path | None = Field(default=None, description="Policy file; default <data_dir>/policy.yaml.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @property
    def listen_port(self) -> int:
        """The port to listen on."""
        return self.port if self.port is not None else BASE_PORT + self.node_id

    @property
    def tls_paths(self) -> TlsPaths:
        """The node's certificate, key and CA certificate files."""
        default = TlsPaths.in_directory(self.data_dir / "tls", "node")
        return TlsPaths(
            certificate=self.tls_cert or default.certificate,
            key=self.tls_key or default.key,
            ca=self.tls_ca or default.ca,
        )

    @property
    def keystore_dir(self) -> Path:
        """The sealed key store."""
        return self.data_dir / "keystore"

    @property
    def policy_file(self) -> Path:
        """The node's own policy."""
        return self.policy_path or self.data_dir / "policy.yaml"

    @property
    def audit_path(self) -> Path:
        """The node's hash-chained audit log."""
        return self.data_dir / "audit.jsonl"

    @property
    def state_path(self) -> Path:
        """Durable state: the spend history and the signing sessions, whose nonces it holds sealed by the key
        store (nothing in it is readable without the key store's key)."""
        return self.data_dir / "state.sqlite"

    @property
    def roster_path(self) -> Path:
        """The group roster."""
        return self.data_dir / "roster.json"


def unlocker_from_environment(environ: Mapping[str, str]) -> Unlocker:
    """The key store's unlocker: the KEK in ``TPW_CUSTODY_KEK`` or the passphrase in
    ``TPW_CUSTODY_PASSPHRASE`` (exactly one of them must be set; neither value is ever echoed)."""
    kek = Kek.from_env(environ)
    passphrase = environ.get(PASSPHRASE_ENV_VAR, "")
    if kek is not None and passphrase:
        raise MissingUnlocker(f"set {KEK_ENV_VAR} or {PASSPHRASE_ENV_VAR}, not both")
    if kek is not None:
        return kek
    if passphrase:
        return Passphrase(passphrase)
    raise MissingUnlocker(f"the key store needs {KEK_ENV_VAR} or {PASSPHRASE_ENV_VAR} in the environment")
