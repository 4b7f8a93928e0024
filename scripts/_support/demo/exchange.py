"""Flow 8: the exchange (issue 13). Two traders, merchants with sandbox keys, get test money and trade
TPW/tUSD spot; they move margin in and trade TPW-PERP; a real swap on L1's Uniswap V2 pool moves the pool's
price, which is the perpetual's index, so the API's price loop marks the long down and partially liquidates
it (`GET /v1/liquidations`); the settlement anchorer anchors the spot trade's batch on `SettlementAnchor`,
and the trade's proof from `GET /v1/settlement/trades/{id}/proof` verifies on-chain through the contract's
`verify`.

Every step goes over HTTP to the API as two trading desks would, and the swap is an L1 transaction; the
price loop and the anchorer are the stack's own processes (`stack_settlement`), nothing here drives them.
"""

from fractions import Fraction
from math import isqrt
from typing import Any, Final

from chain.anchor import SettlementAnchor
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.liquidity import deployed_pool, pool_tokens
from chain.transactions import send_call
from chain.uniswap_v2 import UniswapV2Pool
from scripts._support.demo.merchants import APPLICATION, DemoMerchant
from scripts._support.demo.report import DemoFailed, Summary, wait_for
from scripts._support.stack.config import Progress, StackError
from scripts._support.stack.devnet import DevnetStack

SPOT: Final = "TPW-tUSD"
PERP: Final = "TPW-PERP"
ORDERS: Final = "/v1/orders"
PERP_QTY: Final = "1000"  # TPW: 2,500 tUSD of notional at 2.50
LONG_MARGIN: Final = "520"  # the initial margin at 5x (500) and the fee: liquidated below a mark of ~2.10
SHORT_MARGIN: Final = "1500"
COVER_PRICE: Final = "2.25"  # the lowest bid the price band (10 % off the last trade, 2.50) lets rest
COVER_QTY: Final = "500"  # what the partial liquidation's IOC sell can fill
TARGET_PRICE: Final = Fraction(205, 100)  # tUSD per TPW the swap takes the pool to
POOL_FEE: Final = Fraction(997, 1000)  # Uniswap V2 keeps 0.3 % of the input
TPW_WEI: Final = 10**18
TUSD_UNIT: Final = 10**6
NOT_BATCHED: Final = "trade-not-batched"  # the proof's problem type until the trade's batch is cut


def _trader(stack: DevnetStack, legal_name: str) -> DemoMerchant:
    """A merchant applied for and approved by the operator: its sandbox key trades the sandbox markets."""
    applied = stack.post_json("/v1/merchants/applications", {**APPLICATION, "legal_name": legal_name})
    approval = stack.post_json(f"/v1/merchants/{applied['id']}/approve", {})
    (sandbox,) = (key["token"] for key in approval["api_keys"] if key["mode"] == "sandbox")
    return DemoMerchant(applied["id"], sandbox, stack)


def _order(market: str, side: str, price: str, qty: str, **extra: str) -> dict[str, Any]:
    return {"market": market, "side": side, "price": price, "qty": qty, **extra}


def _spot_trade(progress: Progress, seller: DemoMerchant, buyer: DemoMerchant) -> str:
    """The seller rests 10 TPW at 2.50, the buyer takes it: the trade's settlement id."""
    for trader in (seller, buyer):
        with progress.step(f"{trader.id} credits sandbox test money: 100 TPW and 5,000 tUSD"):
            trader.post(f"/v1/markets/{SPOT}/sandbox-funds", {"base": "100", "quote": "5000"})
    with progress.step("the seller rests a limit sell of 10 TPW at 2.50 tUSD"):
        resting = seller.post(ORDERS, _order(SPOT, "sell", "2.50", "10"))
    with progress.step("the buyer takes it with an IOC buy"):
        taken = buyer.post(ORDERS, _order(SPOT, "buy", "2.50", "10", time_in_force="ioc"))
    if taken["filled_qty"] != "10" or seller.get(f"{ORDERS}/{resting['id']}")["status"] != "filled":
        raise DemoFailed(f"the spot orders did not fill: {taken}")
    tape = buyer.get(f"/v1/markets/{SPOT}/trades")["data"]
    seq, index = tape[0]["id"].split("-")
    balances = buyer.get(f"/v1/markets/{SPOT}/balances")
    progress.note(f"trade {tape[0]['id']} at {tape[0]['price']}; the buyer's balances {_brief(balances)}")
    return f"spot:{SPOT}.sandbox:{seq}:{index}"


def _brief(balances: dict[str, Any]) -> str:
    return ", ".join(f"{row['currency']} {row['available']}" for row in balances.get("data", []))


def _perp_trade(progress: Progress, long: DemoMerchant, short: DemoMerchant) -> None:
    """Both move margin in; the long rests a bid of 1,000 TPW at 2.50, the short takes it."""
    for trader, amount in ((long, LONG_MARGIN), (short, SHORT_MARGIN)):
        with progress.step(f"{trader.id} moves {amount} tUSD into TPW-PERP margin"):
            trader.post("/v1/margin/transfers", {"market": PERP, "direction": "deposit", "amount": amount})
    wait_for(
        "the perpetual's first price",
        lambda: Fraction(long.get(f"/v1/margin?market={PERP}")["index_price"]) > 0,
    )
    with progress.step(f"the long rests a bid of {PERP_QTY} TPW at 2.50 (5x), the short sells into it"):
        long.post(ORDERS, _order(PERP, "buy", "2.5", PERP_QTY))
        taken = short.post(ORDERS, _order(PERP, "sell", "2.5", PERP_QTY, time_in_force="ioc"))
    if taken["filled_qty"] != PERP_QTY:
        raise DemoFailed(f"the perpetual's orders did not fill: {taken}")
    with progress.step(f"the short rests a bid of {COVER_QTY} TPW at {COVER_PRICE} to cover"):
        short.post(ORDERS, _order(PERP, "buy", COVER_PRICE, COVER_QTY))
    margin = long.get(f"/v1/margin?market={PERP}")
    progress.note(
        f"long {PERP_QTY} TPW: equity {margin['equity']}, initial {margin['initial_margin']}, "
        f"maintenance {margin['maintenance_margin']} tUSD at mark {margin['mark_price']}"
    )


def swap_to(pool: UniswapV2Pool, tpw: str, price: Fraction) -> int:
    """Sell TPW into the pool until its price is about `price` tUSD per TPW (from above): the TPW wei to
    sell, from the constant product (k = x·y, so x' = √(k / p')) and the pool's fee on the input."""
    reserve_tpw, reserve_tusd = pool.reserves(tpw)
    per_wei = price * TUSD_UNIT / TPW_WEI
    target = isqrt(reserve_tpw * reserve_tusd * per_wei.denominator // per_wei.numerator)
    if target <= reserve_tpw:
        raise DemoFailed(f"the pool is already at or below {float(price):.2f} tUSD per TPW")
    return int((target - reserve_tpw) / POOL_FEE)


def _move_the_index(stack: DevnetStack, progress: Progress) -> str:
    """A real swap on L1 pushes the pool's TPW price to ~2.05 tUSD: the pool's new price."""
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    pool = deployed_pool(w3, l1.deployments)
    tpw = pool_tokens(l1.deployments)[0]
    deployer, seller = dev_accounts()[0], dev_accounts()[5]
    amount = swap_to(pool, tpw, TARGET_PRICE)
    whole = amount // TPW_WEI
    with progress.step(f"a whale sells {whole:,} TPW into the Uniswap V2 pool on L1 (a real swap)"):
        send_call(w3, deployer, l1.deployments.contract(w3, "TPW").functions.mint(seller.address, amount))
        paid = pool.swap_exact_in(seller, tpw, amount, min_out=0)
    price = pool.price(tpw) * TPW_WEI / TUSD_UNIT
    progress.note(f"paid {paid / TUSD_UNIT:,.2f} tUSD; the pool now prices TPW at {float(price):.4f} tUSD")
    return f"{float(price):.4f}"


def _liquidation(progress: Progress, long: DemoMerchant) -> tuple[list[dict[str, Any]], str]:
    """The price loop marks the long at the new index and liquidates part of it (into the short's bid):
    its records, oldest first, and the size it keeps."""
    with progress.step("the API's price loop reads the pool: a new index and mark, a liquidation round"):
        started = wait_for(
            "a liquidation of the long",
            lambda: [
                record
                for record in long.get(f"/v1/liquidations?market={PERP}")["data"]
                if record["kind"] == "liquidation_started"
            ],
        )
    records = list(reversed(long.get(f"/v1/liquidations?market={PERP}")["data"]))
    if [record["tier"] for record in started] != ["partial"]:
        raise DemoFailed(f"the long was not liquidated in the partial tier alone: {started}")
    for record in records:
        progress.note(
            f"{record['kind']:<20} tier {record['tier'] or '-':<8} size {record['size'] or '-':>8} "
            f"price {record['price'] or '-'}  equity {record['equity'] or '-'}"
        )
    (position,) = long.get(f"/v1/positions?market={PERP}")["data"]
    progress.note(f"the long keeps {position['size']} TPW at mark {position['mark_price']}")
    return records, position["size"]


def _anchored_proof(stack: DevnetStack, progress: Progress, buyer: DemoMerchant, trade_id: str) -> str:
    """The anchorer anchors the trade's batch; its proof from the API verifies on-chain: the anchor seq."""
    path = f"/v1/settlement/trades/{trade_id}/proof"

    def anchored() -> dict[str, Any] | None:
        try:
            answer = buyer.get(path)
        except StackError as error:  # 409 until the anchorer cuts the batch
            if NOT_BATCHED not in str(error):
                raise
            return None
        return answer if answer["batch"]["status"] == "anchored" else None

    with progress.step("the settlement anchorer batches the trade, the custody group signs, L1 records it"):
        proof = wait_for("the trade's batch anchored", anchored)
    l1 = stack.chains[0]
    assert l1.deployments is not None
    anchor = SettlementAnchor(make_web3(l1.url), l1.deployments.get("SettlementAnchor").address)
    with progress.step(f"GET {path}: SettlementAnchor.verify(kind, seq, leaf, proof) on L1"):
        leaf = bytes.fromhex(proof["leaf"].removeprefix("0x"))
        siblings = [bytes.fromhex(node.removeprefix("0x")) for node in proof["proof"]]
        verified = anchor.verify(int(proof["kind"]), int(proof["seq"]), leaf, siblings)
    if not verified:
        raise DemoFailed(f"SettlementAnchor.verify answered false for trade {trade_id}")
    progress.note(
        f"batch {proof['batch']['id']} of {proof['batch']['count']} trade(s), seq {proof['seq']}, "
        f"root {proof['root'][:18]}…: verify answered true"
    )
    return str(proof["seq"])


def exchange_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    Progress.heading("flow 8: the exchange: spot and TPW-PERP, a liquidation off the pool, trades anchored")
    with progress.step("onboarding two trading desks (merchants with sandbox keys)"):
        long, short = _trader(stack, "Long Desk GmbH"), _trader(stack, "Short Desk GmbH")
    trade_id = _spot_trade(progress, short, long)
    summary.add("spot trade", f"10 TPW at 2.50 tUSD between two merchants ({trade_id})")
    _perp_trade(progress, long, short)
    price = _move_the_index(stack, progress)
    records, kept = _liquidation(progress, long)
    summary.add(
        "perpetual liquidation",
        f"pool swap to {price} tUSD/TPW: the long of {PERP_QTY} TPW partially liquidated, {kept} kept "
        f"({', '.join(record['kind'] for record in records)})",
    )
    seq = _anchored_proof(stack, progress, long, trade_id)
    summary.add("trades anchored", f"batch anchored by the anchorer (seq {seq}); proof verified on-chain")
