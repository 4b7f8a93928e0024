"""VestingEscrow against its peer, OpenZeppelin's VestingWallet (5.4.0), paying out TPW in steady state.

The peer is deployed from `@openzeppelin/contracts`' build artifact (npm, pinned in package.json): one wallet
per beneficiary, linear over four years, funded with TPW by plain transfer; `release(token)` pays what has
vested. The escrow holds many grants in one contract; its claim pays the same kind of grant. Both are
measured on their third payout a day apart, sent by the beneficiary, when the beneficiary already holds
TPW and the contract still does: every storage slot involved is then non-zero, as in real use.

Grant creation is measured on the escrow's third grant, with the exact allowance the allocation script
gives (so the token spends and logs it) and a keccak reference as the script logs.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from eth_utils import keccak
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from benchmarks.gas_cases.common import SECONDS_PER_DAY, GasEnv, Measurement, steady_state_gas
from chain.paths import PROJECT_ROOT

OZ_VESTING_WALLET = PROJECT_ROOT / "node_modules/@openzeppelin/contracts/build/contracts/VestingWallet.json"
TPW_DECIMALS = 18
GRANT = 1_000_000 * 10**TPW_DECIMALS
DURATION = 4 * 365 * SECONDS_PER_DAY
CLAIM_GAS_TARGET = 45_000
CREATE_GAS_TARGET = 120_000
LINEAR = 1  # the escrow's period for vesting every second


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Steady-state payouts of the escrow and of OpenZeppelin's wallet, and one grant creation."""
    beneficiary = env.relayer  # a local key with ether: it sends its own claims
    tpw = env.deploy("Token", "TPWallet", "TPW", TPW_DECIMALS)
    env.transact(tpw.functions.set_minter(env.deployer, True))
    env.transact(tpw.functions.mint(env.deployer, 10 * GRANT))
    start = env.timestamp()

    escrow = env.deploy("VestingEscrow", tpw.address)
    created = [_create_grant(env, tpw, escrow, beneficiary.address, start, index) for index in range(3)]
    grant_id = int(
        escrow.events.GrantCreated().process_receipt(created[0], errors=DISCARD)[0]["args"]["grant_id"]
    )
    claim = _after_a_day(env, lambda: env.relay(escrow.functions.claim(grant_id)))

    wallet = _deploy_vesting_wallet(env, beneficiary.address, start)
    env.transact(tpw.functions.transfer(wallet.address, GRANT))
    release = _after_a_day(
        env, lambda: env.relay(wallet.get_function_by_signature("release(address)")(tpw.address))
    )

    return {
        "vesting_claim_steady": Measurement(
            gas=steady_state_gas(claim),
            what="VestingEscrow.claim of a linear grant, third claim, total tx gas",
            target=CLAIM_GAS_TARGET,
            peer="oz_vesting_release_steady",
        ),
        "oz_vesting_release_steady": Measurement(
            gas=steady_state_gas(release),
            what="OpenZeppelin 5.4.0 VestingWallet.release(token), third release, total tx gas",
        ),
        "vesting_create_grant": Measurement(
            gas=int(created[-1]["gasUsed"]),
            what="VestingEscrow.create_grant (transferFrom of an exact allowance), third grant, total tx gas",
            target=CREATE_GAS_TARGET,
        ),
    }


def _create_grant(
    env: GasEnv, tpw: Contract, escrow: Contract, beneficiary: str, start: int, index: int
) -> TxReceipt:
    """The admin approves exactly the grant and creates it, as `scripts/allocate.py` does."""
    env.transact(tpw.functions.approve(escrow.address, GRANT))
    reference = keccak(text=f"tpwallet gas benchmark grant {index}")
    return env.transact(
        escrow.functions.create_grant(beneficiary, GRANT, start, 0, DURATION, LINEAR, True, reference)
    )


def _after_a_day(env: GasEnv, send: Callable[[], TxReceipt]) -> Callable[[], TxReceipt]:
    """`send`, a day later than the chain's latest block each time it is called."""

    def later() -> TxReceipt:
        env.tester.time_travel(env.timestamp() + SECONDS_PER_DAY)
        return send()

    return later


def _deploy_vesting_wallet(env: GasEnv, beneficiary: str, start: int) -> Contract:
    if not OZ_VESTING_WALLET.is_file():
        raise FileNotFoundError(f"{OZ_VESTING_WALLET} is missing: run `npm ci` (make install)")
    artifact: dict[str, Any] = json.loads(OZ_VESTING_WALLET.read_text())
    return env.deploy_bytecode(artifact["abi"], artifact["bytecode"], beneficiary, start, DURATION)
