"""A SubscriptionManager with tUSD, a merchant's plan and funded subscribers, on any web3 chain.

Used on eth-tester's py-evm (fast keeper tests), on a real anvil (the devnet tests) and by the API tests. The
deployer is an account the node signs for (eth-tester's or anvil's unlocked accounts); everyone else holds a
fresh local key, as real users and relayers do.
"""

from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.types import TxParams, Wei

from chain import artifacts
from chain.subscriptions import SubscriptionManager
from chain.transactions import send_call

PRICE = 10_000_000  # 10 tUSD
PERIOD = 30 * 86_400
GRACE = 3 * 86_400
FUNDS = 100 * PRICE
ETHER = 10**18
MAX_UINT256 = 2**256 - 1


@dataclass(frozen=True)
class World:
    w3: Web3
    deployer: str
    manager: SubscriptionManager
    token: Contract
    merchant: LocalAccount
    relayer: LocalAccount
    subscribers: tuple[LocalAccount, ...]
    plan_id: int

    def subscribe_all(self) -> list[int]:
        """Every subscriber joins the plan (paying the first period now if it has no trial)."""
        return [self.manager.subscribe(subscriber, self.plan_id) for subscriber in self.subscribers]

    def balance(self, account: LocalAccount) -> int:
        return int(self.token.functions.balanceOf(account.address).call())


def funded_key(w3: Web3, deployer: str) -> LocalAccount:
    """A fresh local key with ten ether (fresh per world: `send_call`'s nonce tracker is per address)."""
    account: LocalAccount = Account.create()
    params: TxParams = {"from": deployer, "to": account.address, "value": Wei(10 * ETHER)}
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(params))
    return account


def build_world(
    w3: Web3, deployer: str, *, subscribers: int = 3, trial: int = 0, grace: int = GRACE
) -> World:
    """Deploy tUSD and a manager (no fee), fund `subscribers` local keys with tUSD approved to the manager,
    and create the merchant's plan (PRICE every PERIOD)."""
    token_address, _ = artifacts.deploy(w3, "Token", "TPWallet USD", "tUSD", 6, sender=deployer)
    token = artifacts.contract(w3, "Token", token_address)
    w3.eth.wait_for_transaction_receipt(
        token.functions.set_minter(deployer, True).transact({"from": deployer})
    )
    manager = SubscriptionManager.deploy(w3, deployer, deployer, 0)
    merchant, relayer = funded_key(w3, deployer), funded_key(w3, deployer)
    keys = tuple(funded_key(w3, deployer) for _ in range(subscribers))
    for key in keys:
        mint = token.functions.mint(key.address, FUNDS).transact({"from": deployer})
        w3.eth.wait_for_transaction_receipt(mint)
        send_call(w3, key, token.functions.approve(manager.address, MAX_UINT256))
    plan_id = manager.create_plan(merchant, token.address, PRICE, PERIOD, trial=trial, grace=grace)
    return World(w3, deployer, manager, token, merchant, relayer, keys, plan_id)
