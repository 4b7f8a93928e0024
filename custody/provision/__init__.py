"""Lays out a custody group on disk and runs its key ceremonies on one machine: the one place doing either.

Modules: `layout` (`GroupLayout`: where every file of a group lives), `group` (`provision_group`: write a new
group before the first node starts), `keys` (a group key's public key package and its shares in the nodes'
key stores), `ceremonies` (`local_dkg`, `local_refresh`, `local_repair`: FROST with every participant in
this one process) and `signing` (`sign_with_key`, `local_sign`), with `errors`; their public names are
imported from here.

`local_sign` signs a raw digest without asking any node's policy; every local ceremony therefore appends a
record to the audit log of each node it used.
"""

from custody.provision.ceremonies import (
    MAX_DKG_ATTEMPTS,
    PROVISION_ACTOR,
    dkg_participants,
    local_dkg,
    local_refresh,
    local_repair,
    repair_helpers,
    require_threshold,
)
from custody.provision.errors import GroupExists, GroupNotFound, ProvisionError, ProvisionRefused
from custody.provision.group import provision_group
from custody.provision.keys import install_key, load_public_key, open_stores, save_public_key
from custody.provision.layout import (
    CA_DIR,
    COORDINATOR_DIR,
    HTTPS_PORT,
    KEYS_DIR,
    LOOPBACK_HOSTS,
    NODE_DIR_PREFIX,
    ROSTER_FILE,
    GroupLayout,
    NodeLayout,
    require_key_id,
)
from custody.provision.signing import DIGEST_BYTES, Key, check_signers, local_sign, sign_with_key

__all__ = [
    "CA_DIR",
    "COORDINATOR_DIR",
    "DIGEST_BYTES",
    "HTTPS_PORT",
    "KEYS_DIR",
    "LOOPBACK_HOSTS",
    "MAX_DKG_ATTEMPTS",
    "NODE_DIR_PREFIX",
    "PROVISION_ACTOR",
    "ROSTER_FILE",
    "GroupExists",
    "GroupLayout",
    "GroupNotFound",
    "Key",
    "NodeLayout",
    "ProvisionError",
    "ProvisionRefused",
    "check_signers",
    "dkg_participants",
    "install_key",
    "load_public_key",
    "local_dkg",
    "local_refresh",
    "local_repair",
    "local_sign",
    "open_stores",
    "provision_group",
    "repair_helpers",
    "require_key_id",
    "require_threshold",
    "save_public_key",
    "sign_with_key",
]
