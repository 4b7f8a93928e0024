"""A signer node's settings (`NodeSettings`, env prefix ``TPW_NODE_``) and the key-store unlocker it reads.

Everything but the secret comes from ``TPW_NODE_*``: node id, data directory, address, TLS files, nonce time
to live, audit checkpoint interval, policy file, the RPC URLs of the chains it witnesses bridge batches on
(an RPC URL may carry a provider's key: it is never logged). The key store's passphrase or key-encryption
key (KEK) never comes from a command-line argument (which any user of the machine can read in the process
list). It is read from exactly one of (`unlocker_from_environment`):

* a file: ``TPW_CUSTODY_PASSPHRASE_FILE`` / ``TPW_CUSTODY_KEK_FILE`` name it (0600 or a pipe, e.g.
  ``/dev/fd/3``), or systemd's ``LoadCredential=``/``SetCredentialEncrypted=`` puts it at
  ``$CREDENTIALS_DIRECTORY/tpw-custody-passphrase`` / ``tpw-custody-kek``;
* the variable itself, ``TPW_CUSTODY_PASSPHRASE`` / ``TPW_CUSTODY_KEK``.

Prefer a file: a process's initial environment stays readable in ``/proc/<pid>/environ`` (to its owner and
root) for as long as it runs, whatever the process later removes from ``os.environ``; a file's *path* there
gives nothing away.

Default layout of a node's data directory (`NodeSettings` resolves each path)::

    keystore/      the sealed key store (shares, identity, nonces)
    tls/node.crt, tls/node.key, tls/ca.crt
    roster.json    policy.yaml    audit.jsonl    state.sqlite
"""

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from custody.errors import CustodyError
from custody.keystore import KEK_ENV_VAR, Kek, Passphrase, Unlocker
from custody.node.chain_witness import DEFAULT_LOG_WINDOW
from custody.tls import TlsPaths

PASSPHRASE_ENV_VAR: Final = "TPW_CUSTODY_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret
PASSPHRASE_FILE_ENV_VAR: Final = "TPW_CUSTODY_PASSPHRASE_FILE"  # noqa: S105 - a variable's name
KEK_FILE_ENV_VAR: Final = "TPW_CUSTODY_KEK_FILE"
CREDENTIALS_DIRECTORY_ENV_VAR: Final = "CREDENTIALS_DIRECTORY"
"""Set by systemd for a unit with ``LoadCredential=``: a private in-memory directory of its secrets."""
PASSPHRASE_CREDENTIAL: Final = "tpw-custody-passphrase"  # noqa: S105 - a credential's name
KEK_CREDENTIAL: Final = "tpw-custody-kek"
SECRET_ENV_VARS: Final = (PASSPHRASE_ENV_VAR, KEK_ENV_VAR, PASSPHRASE_FILE_ENV_VAR, KEK_FILE_ENV_VAR)
"""Every variable that carries the key-store secret or names where it is."""
MAX_SECRET_FILE_BYTES: Final = 4096
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
    audit_checkpoint_seconds: float = Field(
        default=300.0,
        ge=0.05,
        le=86400,
        description="How often the node signs a checkpoint of its audit log's head (also on every shutdown).",
    )
    witness_rpc_urls: dict[Annotated[int, Field(gt=0)], str] = Field(
        default_factory=dict,
        description=(
            "Chain id -> this node's own RPC URL for it (JSON, e.g. "
            '``{"31337": "http://127.0.0.1:8545"}``): the chains it checks bridge batches against '
            "(`custody.node.chain_witness`). None: it checks a batch's messages against its root only."
        ),
    )
    witness_from_blocks: dict[Annotated[int, Field(gt=0)], Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict,
        description=(
            "Chain id -> the block the witness starts reading a source bridge's logs at (JSON, e.g. "
            '``{"31337": 120}``): the block the bridge on that chain was deployed in (the earliest, if it '
            "has several), as the relay's ``TPW_BRIDGE_L1_FROM_BLOCK``. A chain without one is read from "
            "genesis."
        ),
    )
    witness_log_window_blocks: int = Field(
        default=DEFAULT_LOG_WINDOW,
        ge=1,
        le=1_000_000,
        description="Blocks per eth_getLogs the witness asks for: within what the node's provider serves.",
    )
    witness_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="How long the chain witness waits for one RPC answer."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _start_blocks_have_urls(self) -> "NodeSettings":
        """A start block for a chain the node has no RPC URL for is a mistyped chain id: refused, not
        ignored."""
        stray = sorted(set(self.witness_from_blocks) - set(self.witness_rpc_urls))
        if stray:
            raise ValueError(f"witness_from_blocks names chains without a witness RPC URL: {stray}")
        return self

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


def read_secret_file(path: Path) -> str:
    """The secret in the file at `path`, without one trailing newline; MissingUnlocker (naming the path, never
    the content) if it cannot be read, is empty, too long, or is a regular file others may read."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                raise MissingUnlocker(
                    f"{path} has mode {stat.S_IMODE(mode):04o}; only its owner may read a key-store secret"
                )
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as error:
        raise MissingUnlocker(f"cannot read the key-store secret file {path}: {error.strerror}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise MissingUnlocker(f"{path} is longer than {MAX_SECRET_FILE_BYTES} bytes; not a key-store secret")
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise MissingUnlocker(f"{path} is not UTF-8 text") from None
    text = text.removesuffix("\n").removesuffix("\r")
    if not text:
        raise MissingUnlocker(f"the key-store secret file {path} is empty")
    return text


def _secret_sources(environ: Mapping[str, str]) -> list[tuple[str, str, Path | None]]:
    """Every place the environment offers a secret: (kind, where, file or None for the value itself)."""
    sources: list[tuple[str, str, Path | None]] = []
    for kind, variable, file_variable, credential in (
        ("passphrase", PASSPHRASE_ENV_VAR, PASSPHRASE_FILE_ENV_VAR, PASSPHRASE_CREDENTIAL),
        ("kek", KEK_ENV_VAR, KEK_FILE_ENV_VAR, KEK_CREDENTIAL),
    ):
        if environ.get(variable, "").strip():
            sources.append((kind, variable, None))
        if environ.get(file_variable, ""):
            sources.append((kind, file_variable, Path(environ[file_variable])))
        credentials = environ.get(CREDENTIALS_DIRECTORY_ENV_VAR, "")
        if credentials and (Path(credentials) / credential).exists():
            where = f"${CREDENTIALS_DIRECTORY_ENV_VAR}/{credential}"
            sources.append((kind, where, Path(credentials) / credential))
    return sources


def secret_from_environment(
    environ: Mapping[str, str], kind: Literal["passphrase", "kek"] | None = None
) -> tuple[str, str] | None:
    """The key-store secret the environment gives, as ("passphrase" or "kek", its text), or None if none;
    only of `kind` when given.

    Exactly one source may be given (see the module docstring); MissingUnlocker names them all otherwise.
    """
    sources = [source for source in _secret_sources(environ) if kind in (None, source[0])]
    if len(sources) > 1:
        places = ", ".join(where for _, where, _ in sources)
        raise MissingUnlocker(f"the key-store secret is given more than once ({places})")
    if not sources:
        return None
    found, variable, path = sources[0]
    return found, environ[variable] if path is None else read_secret_file(path)


def unlocker_from_environment(environ: Mapping[str, str]) -> Unlocker:
    """The key store's unlocker from the one source the environment gives (the module docstring lists them;
    the secret is never echoed)."""
    found = secret_from_environment(environ)
    if found is None:
        raise MissingUnlocker(
            f"the key store needs its secret: set {PASSPHRASE_FILE_ENV_VAR} or {KEK_FILE_ENV_VAR} (a file), "
            f"a systemd credential {PASSPHRASE_CREDENTIAL!r} or {KEK_CREDENTIAL!r}, "
            f"or {PASSPHRASE_ENV_VAR} or {KEK_ENV_VAR}"
        )
    kind, text = found
    return Kek.parse(text) if kind == "kek" else Passphrase(text)
