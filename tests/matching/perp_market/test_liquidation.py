"""A liquidation end to end: the index comes from the real Uniswap V2 pair (npm bytecode on py-evm); a
swap moves it, the price round marks the long under maintenance, a partial liquidation trades in the
book, every step is a record in the database, and the ledger agrees with the domain."""

from fractions import Fraction

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from web3 import Web3
from web3.contract import Contract
from web3.types import Wei

from chain import uniswap_v2
from chain.uniswap_v2 import UniswapV2Pool
from matching.engine import Kind, Place, Side, Tif
from matching.perp_market.accounts import fund_account
from matching.perp_market.market import PerpMarket
from matching.perpetuals.index import AmmIndexSource
from tests.chain.conftest import tester_w3  # noqa: F401  (fixture)
from tests.matching.perp_market.view import UNIT, assert_ledger_agrees, balance, records

TPW = 10**18
TUSD = 10**6


def _funded(w3: Web3) -> LocalAccount:
    account: LocalAccount = Account.create()
    w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": account.address, "value": Wei(10**20)})
    return account


def _token(w3: Web3, owner: LocalAccount, supply: int) -> Contract:
    built = uniswap_v2.artifact("ERC20")
    tx = (
        w3.eth.contract(abi=built.abi, bytecode=built.bytecode)
        .constructor(supply)
        .transact({"from": w3.eth.accounts[0]})
    )
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    assert address is not None
    token = w3.eth.contract(address=address, abi=built.abi)
    token.functions.transfer(owner.address, supply).transact({"from": w3.eth.accounts[0]})
    return token


def test_an_index_drop_partially_liquidates_and_the_ledger_agrees(
    perp: PerpMarket,
    ledger: Engine,
    tester_w3: Web3,  # noqa: F811
) -> None:
    w3 = tester_w3
    provider = _funded(w3)
    exchange = uniswap_v2.deploy_exchange(w3, _funded(w3))
    tpw, tusd = _token(w3, provider, 10**9 * TPW), _token(w3, provider, 10**9 * TUSD)
    pool = UniswapV2Pool.open(w3, provider, exchange, tpw.address, tusd.address)
    pool.add_liquidity(provider, tpw.address, 1_000 * TPW, tusd.address, 2_500 * TUSD)
    index = AmmIndexSource(pool, tpw.address)
    assert index.price() == Fraction(25, 10**13)  # 2.5 tUSD per TPW in tUSD units per wei

    perp.deposit(1, 101, 600 * UNIT)
    perp.deposit(2, 102, 1_000 * UNIT)
    perp.deposit(3, 103, 1_000 * UNIT)
    perp.price_from(index)
    assert perp.prices() == (25_000, 25_000)
    perp.place(Place(0, 11, 2, Side.SELL, Kind.LIMIT, 100_000, 25_000))
    perp.place(Place(0, 12, 1, Side.BUY, Kind.LIMIT, 100_000, 25_000, tif=Tif.IOC))  # 1,000 TPW long
    perp.place(Place(0, 13, 3, Side.BUY, Kind.LIMIT, 100_000, 19_700))  # a bid the liquidation can hit
    assert_ledger_agrees(ledger, perp)

    pool.swap_exact_in(provider, tpw.address, 130 * TPW, min_out=0)  # the pool's price falls ~22 %
    perp.price_from(index)
    _, mark = perp.prices()
    assert 19_020 < mark < 20_000  # under trader 1's maintenance, above its bankruptcy price

    calls = records(ledger, "margin_call")
    assert [(r.trader, r.reason) for r in calls] == [(1, "equity_below_maintenance")]
    started = records(ledger, "liquidation_started")
    assert [(r.trader, r.tier) for r in started][:1] == [(1, "partial")]
    assert 0 < -started[0].lots < 100_000
    filled = records(ledger, "liquidation_filled")
    assert [(r.trader, r.price) for r in filled][:1] == [(1, 19_700)]
    assert filled[0].amount > 0
    account = perp.runner.perp.accounts[1]
    assert 0 < account.position.size < 100_000  # partly closed, still long
    assert perp.runner.perp.accounts[3].position.size == 100_000 - account.position.size
    assert balance(ledger, fund_account(perp.id)) == sum(r.amount for r in filled) > 0
    assert_ledger_agrees(ledger, perp)
