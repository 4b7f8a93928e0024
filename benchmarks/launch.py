"""Signer-node groups for the custody benchmark: real node processes (`scripts._support.signer_group`) under
the devnet's anchor policy with its rate limit out of the way, sealed with a KEK made for the run, and the
distinct Anchor requests the benchmark signs.
"""

import contextlib
import itertools
import secrets
from collections.abc import Iterator, Mapping
from pathlib import Path

from chain.intents import Anchor
from custody.protocol.signing import IntentEnvelope
from custody.provision import Key
from scripts._support.signer_group import SignerGroup
from scripts._support.stack.deployments import devnet_policy

CHAIN_ID = 31337
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
"""The domain the nodes sign for: the devnet's L1 and its deployer's first contract address."""
KEY_ID = "treasury"
POLICY = devnet_policy(CHAIN_ID, CONTRACT, max_signatures=100_000_000)

_sequence = itertools.count(1)


@contextlib.contextmanager
def running_group(root: Path, keys: Mapping[str, Key], *, size: int | None = None) -> Iterator[SignerGroup]:
    """A group provisioned under `root` holding `keys` (and `size` nodes in all), every node started and
    listening; stopped on exit."""
    with SignerGroup(root, keys, kek_hex=secrets.token_hex(32), policy_yaml=POLICY, size=size) as group:
        group.start()
        yield group


def signing_request() -> tuple[str, IntentEnvelope]:
    """A fresh request id and a distinct Anchor intent (a new sequence number each call) the policy allows."""
    number = next(_sequence)
    anchor = Anchor(
        kind=1, seq=number, root=number.to_bytes(32, "big"), count=1, total=0, prev_root=bytes(32)
    )
    return "0x" + number.to_bytes(32, "big").hex(), IntentEnvelope.of(anchor, CHAIN_ID, CONTRACT)
