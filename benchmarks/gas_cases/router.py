"""PaymentRouter: paying an intent with `pay` and with `payWithPermit`, in steady state.

A payer pays 25 tUSD intents to a treasury that already holds tUSD; each figure is the payer's third payment
(its balance, the treasury's and the payer's permit nonce are then all non-zero slots, as in real use). A
fresh intent id always writes one fresh slot (`is_paid`, 22,100 gas): that is the price of "each intent
paid once" on-chain. For comparison, the same 25 tUSD moved with a bare `Token.transfer`.
"""

from collections.abc import Mapping

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxParams, TxReceipt, Wei

from benchmarks.gas_cases.common import GasEnv, Measurement, steady_state_gas
from chain.subscriptions import sign_permit
from chain.transactions import send_call

AMOUNT = 25_000_000  # 25 tUSD
PAYER_ETHER = 10**18
PAYER_TUSD = 1_000 * AMOUNT
UNLIMITED = 2**256 - 1
PERMIT_LIFETIME = 3_600


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """`pay` with an unlimited and an exact approval, `payWithPermit`, and a bare transfer as the peer."""
    treasury = env.key("router treasury").address
    token = env.token(env.deployer, 10**15)
    env.transact(token.functions.transfer(treasury, AMOUNT))
    router = env.deploy("PaymentRouter", env.deployer, treasury)
    env.transact(router.functions.set_token_allowed(token.address, True))
    intents = (keccak(text=f"router benchmark intent {index}") for index in range(100))

    unlimited = _payer(env, token, "unlimited")
    send_call(env.w3, unlimited, token.functions.approve(router.address, UNLIMITED))
    pay = steady_state_gas(
        lambda: send_call(env.w3, unlimited, router.functions.pay(next(intents), token.address, AMOUNT))
    )

    exact = _payer(env, token, "exact")

    def pay_exact() -> TxReceipt:
        send_call(env.w3, exact, token.functions.approve(router.address, AMOUNT))
        return send_call(env.w3, exact, router.functions.pay(next(intents), token.address, AMOUNT))

    permitting = _payer(env, token, "permit")

    def pay_with_permit() -> TxReceipt:
        deadline = env.timestamp() + PERMIT_LIFETIME
        nonce = token.functions.nonces(permitting.address).call()
        signature = sign_permit(
            permitting,
            "TPWallet USD",
            token.address,
            env.w3.eth.chain_id,
            router.address,
            AMOUNT,
            nonce,
            deadline,
        )
        call = router.functions.payWithPermit(
            next(intents), token.address, AMOUNT, deadline, signature.v, signature.r, signature.s
        )
        return send_call(env.w3, permitting, call)

    sender = _payer(env, token, "transfer")
    transfer = steady_state_gas(lambda: send_call(env.w3, sender, token.functions.transfer(treasury, AMOUNT)))
    return {
        "router_pay": Measurement(
            gas=pay,
            what="PaymentRouter.pay of 25 tUSD, unlimited approval, 3rd payment, total tx gas",
            peer="token_transfer",
        ),
        "router_pay_exact_approval": Measurement(
            gas=steady_state_gas(pay_exact),
            what="PaymentRouter.pay of 25 tUSD after an approval of exactly 25 tUSD, total tx gas (pay only)",
        ),
        "router_pay_with_permit": Measurement(
            gas=steady_state_gas(pay_with_permit),
            what="PaymentRouter.payWithPermit of 25 tUSD (EIP-2612 permit + pay in one tx), total tx gas",
            peer="router_pay",
        ),
        "token_transfer": Measurement(
            gas=transfer, what="Token.transfer of 25 tUSD to a holder (the cheapest way to pay at all)"
        ),
    }


def _payer(env: GasEnv, token: Contract, label: str) -> LocalAccount:
    """A local key holding ether and tUSD."""
    account = env.key(f"router payer {label}")
    funding: TxParams = {"from": env.deployer, "to": account.address, "value": Wei(PAYER_ETHER)}
    env.w3.eth.wait_for_transaction_receipt(env.w3.eth.send_transaction(funding))
    env.transact(token.functions.transfer(account.address, PAYER_TUSD))
    return account
