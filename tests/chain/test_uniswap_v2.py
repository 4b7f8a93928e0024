"""The real Uniswap V2 (npm bytecode) on py-evm: deploy, create a pair, deposit, and swap for exactly the
quoted amount; the quote arithmetic against the router's own `getAmountOut`/`getAmountIn`; slippage and bad
input refused before anything moves."""

from fractions import Fraction

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed as EvmRevert
from hypothesis import given
from hypothesis import strategies as st
from web3 import Web3
from web3.contract import Contract
from web3.types import Wei

from chain import uniswap_v2
from chain.transactions import TransactionFailed, send_call
from chain.uniswap_v2 import Exchange, InsufficientLiquidity, SlippageExceeded, UniswapV2Pool

SUPPLY = 10**30
MINIMUM_LIQUIDITY = 1000
"""LP tokens the pair locks forever on the first deposit."""
REVERTED = (TransactionFailed, EvmRevert)
"""A revert as `send_call` raises it on a node, or as eth-tester raises it from the gas estimate."""


def _funded(w3: Web3, label: str) -> LocalAccount:
    """A new account with ether. Random, not derived from `label`: `send_call`'s nonce tracker knows a chain
    by its id and genesis hash, and two in-process chains started in the same second share both, so a key
    reused across tests could be handed the other chain's next nonce."""
    account: LocalAccount = Account.create(label)
    w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": account.address, "value": Wei(10**20)})
    return account


def _token(w3: Web3, owner: LocalAccount) -> Contract:
    """v2-core's own test ERC-20, its whole supply minted to `owner`."""
    built = uniswap_v2.artifact("ERC20")
    constructor = w3.eth.contract(abi=built.abi, bytecode=built.bytecode).constructor(SUPPLY)
    tx_hash = constructor.transact({"from": w3.eth.accounts[0]})
    address = w3.eth.wait_for_transaction_receipt(tx_hash)["contractAddress"]
    assert address is not None
    token = w3.eth.contract(address=address, abi=built.abi)
    token.functions.transfer(owner.address, SUPPLY).transact({"from": w3.eth.accounts[0]})
    return token


@pytest.fixture
def market(tester_w3: Web3) -> tuple[Web3, Exchange, LocalAccount, Contract, Contract]:
    provider = _funded(tester_w3, "liquidity provider")
    exchange = uniswap_v2.deploy_exchange(tester_w3, _funded(tester_w3, "deployer"))
    return tester_w3, exchange, provider, _token(tester_w3, provider), _token(tester_w3, provider)


def test_a_pair_is_created_once_and_the_first_deposit_sets_its_price(market):
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    assert UniswapV2Pool.open(w3, provider, exchange, quote.address, base.address).address == pool.address
    assert {pool.token0, pool.token1} == {base.address, quote.address}

    minted = pool.add_liquidity(provider, base.address, 10**18, quote.address, 4 * 10**18)

    assert minted == 2 * 10**18 - MINIMUM_LIQUIDITY  # sqrt(a * b) less the locked minimum
    assert pool.reserves(base.address) == (10**18, 4 * 10**18)
    assert pool.price(base.address) == Fraction(4)
    assert pool.price(quote.address) == Fraction(1, 4)


def test_a_swap_pays_exactly_the_quote_and_moves_the_price(market):
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    pool.add_liquidity(provider, base.address, 10**18, quote.address, 4 * 10**18)
    trader = _funded(w3, "trader")
    send_call(w3, provider, base.functions.transfer(trader.address, 10**17))
    received = 0

    for amount in (10**15, 3 * 10**16, 5 * 10**16):
        quoted = pool.quote_exact_in(base.address, amount)
        reserve_in, reserve_out = pool.reserves(base.address)
        paid = pool.swap_exact_in(trader, base.address, amount, min_out=quoted)
        assert paid == quoted
        assert pool.reserves(base.address) == (reserve_in + amount, reserve_out - paid)
        received += paid
    assert quote.functions.balanceOf(trader.address).call() == received
    assert base.functions.balanceOf(trader.address).call() == 10**17 - (10**15 + 3 * 10**16 + 5 * 10**16)
    assert pool.price(base.address) < Fraction(4)  # selling base made it cheaper
    assert base.functions.allowance(trader.address, exchange.router).call() == 0


def test_a_swap_below_its_minimum_is_refused_before_anything_moves(market):
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    pool.add_liquidity(provider, base.address, 10**18, quote.address, 10**18)
    before = base.functions.balanceOf(provider.address).call()
    quoted = pool.quote_exact_in(base.address, 10**16)

    with pytest.raises(SlippageExceeded):
        pool.swap_exact_in(provider, base.address, 10**16, min_out=quoted + 1)
    assert base.functions.balanceOf(provider.address).call() == before


def test_the_router_refuses_a_fill_worse_than_its_minimum(market):
    """The check that matters on a live chain: a trade landing between quote and swap cannot make the swap
    pay less than its minimum; the router reverts it whole."""
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    pool.add_liquidity(provider, base.address, 10**18, quote.address, 10**18)
    quoted = pool.quote_exact_in(base.address, 10**16)
    pool.swap_exact_in(provider, base.address, 10**17, min_out=0)  # the price moves first
    send_call(w3, provider, base.functions.approve(exchange.router, 10**16))
    late = pool.router.functions.swapExactTokensForTokens(
        10**16, quoted, [base.address, quote.address], provider.address, 2**40
    )
    with pytest.raises(REVERTED, match="INSUFFICIENT_OUTPUT_AMOUNT"):
        send_call(w3, provider, late)


def test_the_pair_itself_refuses_a_swap_that_breaks_its_invariant(market):
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    pool.add_liquidity(provider, base.address, 10**18, quote.address, 10**18)
    send_call(w3, provider, base.functions.transfer(pool.address, 10**16))
    greedy = pool.quote_exact_in(base.address, 10**16) + 1
    outs = (0, greedy) if pool.token0 == base.address else (greedy, 0)
    with pytest.raises(REVERTED, match="UniswapV2: K"):
        send_call(w3, provider, pool.pair.functions.swap(*outs, provider.address, b""))


def test_bad_requests_are_refused(market):
    w3, exchange, provider, base, quote = market
    pool = UniswapV2Pool.open(w3, provider, exchange, base.address, quote.address)
    with pytest.raises(InsufficientLiquidity):
        pool.quote_exact_in(base.address, 10**6)
    with pytest.raises(InsufficientLiquidity):
        pool.price(base.address)
    with pytest.raises(ValueError, match="not a token of the pool"):
        pool.reserves(exchange.weth)
    with pytest.raises(ValueError, match="positive"):
        uniswap_v2.amount_out(0, 10, 10)
    with pytest.raises(InsufficientLiquidity):
        uniswap_v2.amount_in(10, 10, 10)


def test_the_quote_arithmetic_is_the_routers(market):
    w3, exchange, *_ = market
    router = w3.eth.contract(
        address=exchange.router, abi=uniswap_v2.artifact("UniswapV2Router02", uniswap_v2.PERIPHERY).abi
    )
    for amount, reserve_in, reserve_out in (
        (1, 10**6, 10**6),
        (10**18, 3 * 10**20, 7 * 10**19),
        (997, 1000, 1001),
    ):
        assert (
            uniswap_v2.amount_out(amount, reserve_in, reserve_out)
            == router.functions.getAmountOut(amount, reserve_in, reserve_out).call()
        )
        if amount < reserve_out:
            assert (
                uniswap_v2.amount_in(amount, reserve_in, reserve_out)
                == router.functions.getAmountIn(amount, reserve_in, reserve_out).call()
            )


@given(
    amount=st.integers(1, 10**24),
    reserve_in=st.integers(1, 10**27),
    reserve_out=st.integers(2, 10**27),
)
def test_amount_in_pays_amount_out_with_at_most_one_unit_to_spare(
    amount: int, reserve_in: int, reserve_out: int
):
    """`getAmountIn` rounds down and adds one: the least input that pays, or one more when the exact
    quotient is whole (the library's rounding, kept so quotes match the router's)."""
    wanted = amount % (reserve_out - 1) + 1
    needed = uniswap_v2.amount_in(wanted, reserve_in, reserve_out)
    assert uniswap_v2.amount_out(needed, reserve_in, reserve_out) >= wanted
    if needed > 2:
        assert uniswap_v2.amount_out(needed - 2, reserve_in, reserve_out) < wanted
