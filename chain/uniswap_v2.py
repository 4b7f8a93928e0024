"""The real Uniswap V2 exchange through web3: the factory and pair of npm `@uniswap/v2-core` 1.0.1 and the
router and WETH9 of `@uniswap/v2-periphery` 1.1.0-beta.0 (both pinned in package.json), deployed as built,
never recompiled or reimplemented.

The matching engine's outside pool (issue 13): a router asks `quote_exact_in` what a swap would pay, and the
perpetual's index reads `price`. Quotes reproduce `UniswapV2Library.getAmountOut` and `getAmountIn` in
integers (the 0.3 % fee as 997/1000, rounded as the library rounds), so a quote is exactly what the pair pays;
prices are exact fractions, never floats. Trades go through `UniswapV2Router02`, which pulls the tokens and
swaps (or mints) in one transaction: paying a pair first and calling it in a second transaction would leave
the payment for anyone to take in between. `min_out` and a deadline bound what a swap accepts when another
trade lands between the quote and the swap; the router itself refuses a worse fill.

The router finds pairs by their CREATE2 address, hashing the pair's creation code it was built with; the
artifacts pinned here are the canonical ones, and `deploy_exchange` checks that hash before it deploys.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.types import Nonce, TxParams, TxReceipt

from chain.amm import InsufficientLiquidity as InsufficientLiquidity
from chain.amm import amount_in as amount_in  # re-exported: the quote arithmetic, without web3
from chain.amm import amount_out
from chain.errors import ArtifactError, ChainError, DeploymentFailed
from chain.paths import PROJECT_ROOT
from chain.transactions import send_call

CORE: Final = PROJECT_ROOT / "node_modules" / "@uniswap" / "v2-core" / "build"
PERIPHERY: Final = PROJECT_ROOT / "node_modules" / "@uniswap" / "v2-periphery" / "build"
PAIR_INIT_CODE_HASH: Final = "96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"
"""keccak256 of the pair's creation code, hard-coded in the router's `pairFor`."""
DEPLOY_GAS: Final = 6_000_000
DEADLINE_SECONDS: Final = 300
"""How long a signed swap or deposit stays valid (the router refuses it after that block time)."""


class SlippageExceeded(ChainError, ValueError):
    """The pool would pay less than the swap's `min_out` (the price moved since the quote)."""


@dataclass(frozen=True)
class Artifact:
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def artifact(name: str, directory: Path = CORE) -> Artifact:
    """A contract as npm ships it (its ABI and creation bytecode): `UniswapV2Factory`, `UniswapV2Pair` and
    `IERC20` from the core package, `UniswapV2Router02` and `WETH9` from `PERIPHERY`."""
    path = directory / f"{name}.json"
    try:
        built = json.loads(path.read_text())
        return Artifact(
            abi=built["abi"], bytecode="0x" + built["evm"]["bytecode"]["object"].removeprefix("0x")
        )
    except FileNotFoundError:
        raise ArtifactError(f"no {path}: run `make install` (npm @uniswap/v2-core)") from None
    except (ValueError, KeyError, TypeError) as error:
        raise ArtifactError(f"{path} is not a Uniswap V2 build artifact ({error!r})") from None


@dataclass(frozen=True)
class Exchange:
    """A deployed Uniswap V2: its factory, the WETH9 its router wraps ether with, and the router."""

    factory: ChecksumAddress
    weth: ChecksumAddress
    router: ChecksumAddress


def _deploy(
    w3: Web3, deployer: LocalAccount, built: Artifact, *args: Any
) -> tuple[ChecksumAddress, TxReceipt]:
    constructor = w3.eth.contract(abi=built.abi, bytecode=built.bytecode).constructor(*args)
    params: TxParams = {
        "from": deployer.address,
        "nonce": Nonce(w3.eth.get_transaction_count(deployer.address, "pending")),
        "gas": DEPLOY_GAS,
        "chainId": w3.eth.chain_id,
    }
    signed = deployer.sign_transaction(constructor.build_transaction(params))
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    address = receipt.get("contractAddress")
    if receipt["status"] != 1 or address is None:
        raise DeploymentFailed("deploying a Uniswap V2 contract reverted")
    return to_checksum_address(address), receipt


Deployed = Callable[[str, ChecksumAddress, TxReceipt], None]
"""Told each contract as it is deployed (its artifact name, address and receipt): a registry's recorder."""


def deploy_exchange(
    w3: Web3, deployer: LocalAccount, fee_to_setter: str | None = None, deployed: Deployed | None = None
) -> Exchange:
    """Deploy the factory (`feeToSetter`, who may switch the protocol fee on: the deployer by default), WETH9
    and the router from `deployer`'s key, telling `deployed` of each. Refused when the pair bytecode is not
    the one the router expects (its pairs would be unreachable)."""
    pair_hash = keccak(hexstr=artifact("UniswapV2Pair").bytecode).hex()
    if pair_hash != PAIR_INIT_CODE_HASH:
        raise ArtifactError(f"the UniswapV2Pair creation code hashes to {pair_hash}, not the router's")
    owner = to_checksum_address(fee_to_setter or deployer.address)

    def deploy(name: str, directory: Path, *args: Any) -> ChecksumAddress:
        address, receipt = _deploy(w3, deployer, artifact(name, directory), *args)
        if deployed is not None:
            deployed(name, address, receipt)
        return address

    factory = deploy("UniswapV2Factory", CORE, owner)
    weth = deploy("WETH9", PERIPHERY)
    return Exchange(factory, weth, deploy("UniswapV2Router02", PERIPHERY, factory, weth))


class UniswapV2Pool:
    """One Uniswap V2 pair: its two tokens (`token0` < `token1`, as the factory orders them), reserves,
    quotes, price, and liquidity and swaps from local keys."""

    def __init__(self, w3: Web3, exchange: Exchange, address: str) -> None:
        self.w3 = w3
        self.exchange = exchange
        self.router = w3.eth.contract(
            address=exchange.router, abi=artifact("UniswapV2Router02", PERIPHERY).abi
        )
        self.pair: Contract = w3.eth.contract(
            address=to_checksum_address(address), abi=artifact("UniswapV2Pair").abi
        )
        self.address: ChecksumAddress = self.pair.address
        self.token0: ChecksumAddress = to_checksum_address(self.pair.functions.token0().call())
        self.token1: ChecksumAddress = to_checksum_address(self.pair.functions.token1().call())

    @classmethod
    def open(
        cls, w3: Web3, sender: LocalAccount, exchange: Exchange, token_a: str, token_b: str
    ) -> "UniswapV2Pool":
        """The pair of `token_a` and `token_b` on `exchange`, created by `sender` if it does not exist yet."""
        contract = w3.eth.contract(address=exchange.factory, abi=artifact("UniswapV2Factory").abi)
        a, b = to_checksum_address(token_a), to_checksum_address(token_b)
        address = contract.functions.getPair(a, b).call()
        if int(address, 16) == 0:
            send_call(w3, sender, contract.functions.createPair(a, b))
            address = contract.functions.getPair(a, b).call()
        return cls(w3, exchange, address)

    def _side(self, token: str) -> int:
        """0 or 1: which of the pair's tokens `token` is."""
        address = to_checksum_address(token)
        if address == self.token0:
            return 0
        if address == self.token1:
            return 1
        raise ValueError(f"{address} is not a token of the pool {self.address}")

    def reserves(self, token_in: str) -> tuple[int, int]:
        """(reserve of `token_in`, reserve of the other token), as of the latest block."""
        reserve0, reserve1, _ = self.pair.functions.getReserves().call()
        return (reserve0, reserve1) if self._side(token_in) == 0 else (reserve1, reserve0)

    def quote_exact_in(self, token_in: str, amount: int) -> int:
        """What swapping `amount` of `token_in` would pay now, to the unit."""
        return amount_out(amount, *self.reserves(token_in))

    def price(self, base: str) -> Fraction:
        """The pool's marginal price of one base unit of `base` in units of the other token (reserves'
        ratio, before fees): the index the perpetual's mark is clamped to."""
        reserve_base, reserve_quote = self.reserves(base)
        if reserve_base == 0:
            raise InsufficientLiquidity("the pool has no liquidity")
        return Fraction(reserve_quote, reserve_base)

    def add_liquidity(
        self, sender: LocalAccount, token_a: str, amount_a: int, token_b: str, amount_b: int
    ) -> int:
        """Deposit up to `amount_a` and `amount_b` through the router (at the pool's ratio; all of both into
        an empty pool, which sets its price) and mint the LP tokens to `sender`; the LP tokens minted."""
        lp = self.pair.functions.balanceOf(sender.address)
        before = int(lp.call())
        self._approve(sender, token_a, amount_a)
        self._approve(sender, token_b, amount_b)
        a, b = to_checksum_address(token_a), to_checksum_address(token_b)
        deposit = self.router.functions.addLiquidity(
            a, b, amount_a, amount_b, 0, 0, sender.address, self._deadline()
        )
        send_call(self.w3, sender, deposit)
        return int(lp.call()) - before

    def swap_exact_in(
        self, sender: LocalAccount, token_in: str, amount: int, min_out: int, recipient: str | None = None
    ) -> int:
        """Swap `amount` of `token_in` for the other token, paid to `recipient` (the sender by default), in
        one router transaction that reverts if the pool pays less than `min_out`; refused before anything
        is sent when the quote is already below it. What was paid."""
        quoted = self.quote_exact_in(token_in, amount)
        if quoted < min_out:
            raise SlippageExceeded(f"the pool pays {quoted}, less than the minimum {min_out}")
        token_out = self.token1 if self._side(token_in) == 0 else self.token0
        to = to_checksum_address(recipient or sender.address)
        receiving = self._erc20(token_out).functions.balanceOf(to)
        before = int(receiving.call())
        self._approve(sender, token_in, amount)
        path = [to_checksum_address(token_in), token_out]
        swap = self.router.functions.swapExactTokensForTokens(amount, min_out, path, to, self._deadline())
        send_call(self.w3, sender, swap)
        return int(receiving.call()) - before

    def _erc20(self, token: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(token), abi=artifact("IERC20").abi)

    def _approve(self, sender: LocalAccount, token: str, amount: int) -> None:
        """Let the router pull exactly `amount` (an allowance left over is never larger than one trade)."""
        send_call(self.w3, sender, self._erc20(token).functions.approve(self.exchange.router, amount))

    def _deadline(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"]) + DEADLINE_SECONDS
