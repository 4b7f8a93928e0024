"""The devnet's LP pool on a real anvil: the TPW/tUSD pair deployed beside the plan's contracts, seeded,
recorded in the registry and found again from it (by the perpetual's price loop too, by name); the router's
pool venue quotes exactly what a real swap then pays, and a swap's gas stays under what the venue charges
for it."""

from fractions import Fraction
from pathlib import Path
from typing import cast

import pytest
from hexbytes import HexBytes

from api.perps.pricing import IndexResolver, index_source
from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.liquidity import EXCHANGE_NAMES, POOL_NAME, deployed_pool, pool_tokens
from chain.transactions import send_call
from matching.engine import Side
from matching.routing.venues import PoolVenue
from matching.routing.venues.pool import SWAP_GAS
from scripts._support.anvil import AnvilNode
from scripts._support.stack.deployments import (
    L1_NETWORK,
    LIQUIDITY_INDEX,
    POOL_SEED_TPW,
    POOL_SEED_TUSD,
    Chain,
    deploy_lp_pool,
)

WEI = 10**18


@pytest.fixture(scope="module")
def pool_registry(l1_anvil: AnvilNode, deployments_dir: Path) -> Deployments:
    deploy_lp_pool(Chain("L1", L1_NETWORK, l1_anvil), deployments_dir)
    return Deployments.load(L1_NETWORK, deployments_dir)


def test_the_pool_is_recorded_seeded_and_found_again(l1_anvil: AnvilNode, pool_registry: Deployments):
    for name in (*EXCHANGE_NAMES, POOL_NAME):
        assert name in pool_registry.names()
    w3 = make_web3(l1_anvil.url)
    pool = deployed_pool(w3, pool_registry)
    tpw, tusd = pool_tokens(pool_registry)
    assert pool.address == pool_registry.get(POOL_NAME).address
    assert pool.reserves(tpw) == (POOL_SEED_TPW * WEI, POOL_SEED_TUSD * 10**6)
    assert {pool.token0, pool.token1} == {tpw, tusd}


@pytest.mark.parametrize(("side", "lots"), [(Side.SELL, 37), (Side.BUY, 120)])
def test_the_venue_quotes_what_a_real_swap_pays(
    l1_anvil: AnvilNode, pool_registry: Deployments, side: Side, lots: int
):
    w3 = make_web3(l1_anvil.url)
    pool = deployed_pool(w3, pool_registry)
    tpw, tusd = pool_tokens(pool_registry)
    trader = dev_accounts()[LIQUIDITY_INDEX]  # it holds no tokens once the seed is in: give it some
    reserve_base, reserve_quote = pool.reserves(tpw)
    venue = PoolVenue("pool", reserve_base, reserve_quote, WEI, gas=0)
    fill = venue.quote(side, lots)
    token_in, amount = (tpw, lots * WEI) if side is Side.SELL else (tusd, fill.notional + fill.fee)
    registry_token = pool_registry.contract(w3, "TPW" if token_in == tpw else "tUSD")
    send_call(w3, dev_accounts()[0], registry_token.functions.mint(trader.address, amount))
    block_before = w3.eth.block_number
    paid = pool.swap_exact_in(trader, token_in, amount, min_out=0)
    if side is Side.SELL:
        assert paid == fill.notional - fill.fee
    else:
        assert paid >= lots * WEI  # exact input of the quoted amount buys at least the lots
        assert paid - lots * WEI < WEI // 10**6  # and at most the rounding of one unit of tUSD more
    swap_gas = max(
        w3.eth.get_transaction_receipt(cast(HexBytes, tx))["gasUsed"]
        for number in range(block_before + 1, w3.eth.block_number + 1)
        for tx in w3.eth.get_block(number)["transactions"]
    )
    assert swap_gas <= SWAP_GAS


def test_the_price_loop_finds_the_pool_by_name_once_it_is_deployed(
    l1_anvil: AnvilNode, pool_registry: Deployments, tmp_path: Path
) -> None:
    """The devnet names the pair and TPW (the API starts before the pool exists): no source while the
    registry lacks them, then the pool's exact price, kept; addresses work as they always did."""

    def named(directory: Path) -> ApiSettings:
        return ApiSettings(
            perp_index_pair=POOL_NAME,
            perp_index_base="TPW",
            l1_rpc_url=l1_anvil.url,
            deployments_dir=directory,
        )

    not_yet = named(tmp_path / "empty")
    assert index_source(not_yet) is None
    waiting = IndexResolver(not_yet)
    assert waiting.source() is None
    deployed = named(pool_registry.path.parent)
    resolver = IndexResolver(deployed)
    source = resolver.source()
    assert source is not None
    assert resolver.source() is source
    pool = deployed_pool(make_web3(l1_anvil.url), pool_registry)
    tpw = pool_tokens(pool_registry)[0]
    reserve_tpw, reserve_tusd = pool.reserves(tpw)  # the other tests' swaps have moved it: read it
    assert source.price() == pool.price(tpw) == Fraction(reserve_tusd, reserve_tpw)
    by_address = ApiSettings(
        perp_index_pair=pool.address.lower(), perp_index_base=tpw, l1_rpc_url=l1_anvil.url
    )
    source_by_address = index_source(by_address)
    assert source_by_address is not None
    assert source_by_address.price() == source.price()
