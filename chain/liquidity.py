"""The devnet's LP pool: the TPW/tUSD Uniswap V2 pair, deployed beside the project's contracts, seeded with
liquidity and recorded in the same deployments registry, where the API finds it (`deployed_pool`).

The registry names the exchange's three contracts by their artifact names and the pair as `POOL_NAME`;
their `contract_type` is the npm artifact's name (they are not in Ape's build manifest: read them through
`chain.uniswap_v2`, never `Deployments.contract`). The liquidity provider mints nothing itself: the tokens'
minter (the deployer) mints it the seed amounts, and it deposits them through the router, which sets the
pool's opening price to their ratio.
"""

from typing import Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from chain.deployments import Deployments
from chain.transactions import send_call
from chain.uniswap_v2 import Exchange, UniswapV2Pool, artifact, deploy_exchange

POOL_NAME: Final = "TPW-tUSD-UniswapV2Pair"
BASE: Final = "TPW"
QUOTE: Final = "tUSD"
EXCHANGE_NAMES: Final = ("UniswapV2Factory", "WETH9", "UniswapV2Router02")


def _record(registry: Deployments, name: str, address: ChecksumAddress, receipt: TxReceipt) -> None:
    registry.record(
        name,
        address=address,
        tx_hash=bytes(receipt["transactionHash"]),
        block_number=receipt["blockNumber"],
        contract_type=name if name != POOL_NAME else "UniswapV2Pair",
    )


def deploy_pool(
    w3: Web3,
    registry: Deployments,
    deployer: LocalAccount,
    provider: LocalAccount,
    base_amount: int,
    quote_amount: int,
) -> UniswapV2Pool:
    """Deploy the exchange, create the TPW/tUSD pair, mint `base_amount` TPW and `quote_amount` tUSD (token
    units) to `provider` and deposit them; record all four in `registry` and save it."""
    registry.check_chain_id(w3)
    exchange = deploy_exchange(
        w3, deployer, deployed=lambda name, address, receipt: _record(registry, name, address, receipt)
    )
    base, quote = registry.get(BASE).address, registry.get(QUOTE).address
    factory = w3.eth.contract(address=exchange.factory, abi=artifact("UniswapV2Factory").abi)
    created = send_call(w3, deployer, factory.functions.createPair(base, quote))
    pool = UniswapV2Pool(w3, exchange, factory.functions.getPair(base, quote).call())
    _record(registry, POOL_NAME, pool.address, created)
    for name, amount in ((BASE, base_amount), (QUOTE, quote_amount)):
        send_call(w3, deployer, registry.contract(w3, name).functions.mint(provider.address, amount))
    pool.add_liquidity(provider, base, base_amount, quote, quote_amount)
    registry.save()
    return pool


def deployed_pool(w3: Web3, registry: Deployments) -> UniswapV2Pool:
    """The pool `registry` records, on the node behind `w3` (refused if it is on another chain)."""
    registry.check_chain_id(w3)
    factory, weth, router = (registry.get(name).address for name in EXCHANGE_NAMES)
    return UniswapV2Pool(w3, Exchange(factory, weth, router), registry.get(POOL_NAME).address)


def pool_tokens(registry: Deployments) -> tuple[ChecksumAddress, ChecksumAddress]:
    """(TPW, tUSD) token addresses."""
    return registry.get(BASE).address, registry.get(QUOTE).address
