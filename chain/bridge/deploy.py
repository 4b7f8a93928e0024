"""Deploying the bridge: `BridgeL1` on L1, `BridgeL2` and its `BridgedToken` on L2, linked to each other.

The devnet stack (`scripts/_support/stack/bridge.py`) and the tests that run the relay on two anvils deploy
through `deploy_bridges`, so both get the same pair wired the same way. It stops where the guardian's
authority begins: allowlisting tokens (`set_token`) is the guardian's call, and the guardian differs — an
account in the tests, the treasury owners through `MultisigTreasury` on the devnet — so the caller makes it.
"""

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from chain.artifacts import deploy
from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.transactions import send_call


@dataclass(frozen=True)
class BridgeParams:
    """Who governs each side and how long each side waits.

    `challenge_windows` are (L1, L2) in seconds: L1's is how long the guardian may veto a batch of
    withdrawals, L2's the same for deposits (zero: claimable once attested). `queue_delay` is how long a
    message over its token's 24-hour limit waits before anyone may release it."""

    guardians: tuple[str, str]
    custody_key: tuple[int, int]
    challenge_windows: tuple[int, int]
    queue_delay: int


@dataclass(frozen=True)
class Deployed:
    """One contract deployed: its address and the deployment's receipt (block, tx hash)."""

    address: ChecksumAddress
    receipt: TxReceipt

    @property
    def block_number(self) -> int:
        return int(self.receipt["blockNumber"])


@dataclass(frozen=True)
class DeployedBridges:
    """The linked pair and the bridged token, each with its deployment."""

    l1: Deployed
    l2: Deployed
    bridged_token: Deployed

    def bridge_l1(self, w3: Web3) -> BridgeL1:
        """BridgeL1 on `w3`, its event scans starting at its deployment block."""
        return BridgeL1(w3, self.l1.address, from_block=self.l1.block_number)

    def bridge_l2(self, w3: Web3) -> BridgeL2:
        return BridgeL2(w3, self.l2.address, from_block=self.l2.block_number)


def deploy_bridges(
    w1: Web3,
    w2: Web3,
    deployer: LocalAccount,
    params: BridgeParams,
    *,
    bridged_name: str,
    bridged_symbol: str,
    decimals: int,
) -> DeployedBridges:
    """Deploys BridgeL1 on `w1` and BridgeL2 on `w2` (each naming the other's chain id), links them with
    `initialize` (once, by the deployer) and deploys the bridged token BridgeL2 alone mints and burns. The
    deployer keeps no authority: `initialize` cannot run again, and the guardian configures the rest.
    With equal deployer nonces on both chains the two bridges share an address, which is fine: every
    digest names both chain ids as well as both addresses."""
    l1_chain_id, l2_chain_id = int(w1.eth.chain_id), int(w2.eth.chain_id)
    key, queue = params.custody_key, params.queue_delay
    window_l1, window_l2 = params.challenge_windows
    guardian_l1, guardian_l2 = params.guardians
    l1 = Deployed(
        *deploy(w1, "BridgeL1", guardian_l1, l2_chain_id, *key, window_l1, queue, sender=deployer.address)
    )
    l2 = Deployed(
        *deploy(w2, "BridgeL2", guardian_l2, l1_chain_id, *key, window_l2, queue, sender=deployer.address)
    )
    send_call(w1, deployer, BridgeL1(w1, l1.address).contract.functions.initialize(l2.address))
    send_call(w2, deployer, BridgeL2(w2, l2.address).contract.functions.initialize(l1.address))
    token = Deployed(
        *deploy(
            w2, "BridgedToken", bridged_name, bridged_symbol, decimals, l2.address, sender=deployer.address
        )
    )
    return DeployedBridges(l1, l2, token)
