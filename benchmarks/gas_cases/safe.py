"""The peer: the real Safe 1.5.0 moving an ERC-20, at 1-of-1, 2-of-2 and 3-of-5 owners.

The Safe singleton and SafeProxyFactory are deployed from `@safe-global/safe-smart-account`'s build artifacts
(npm, pinned in package.json); each Safe is a proxy made with `createProxyWithNonce` and `setup`, as the Safe
wallet makes them. Owners sign the Safe's EIP-712 `SafeTx` with eth_account (the digest is checked against the
Safe's own `getTransactionHash`), signatures go sorted by owner, and the relayer calls `execTransaction`.
"""

import functools
import json
from collections.abc import Mapping
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from benchmarks.gas_cases.common import TRANSFER_AMOUNT, GasEnv, Measurement, steady_state_gas
from chain.paths import PROJECT_ROOT

SAFE_CONTRACTS = PROJECT_ROOT / "node_modules/@safe-global/safe-smart-account/build/artifacts/contracts"
SAFE_SINGLETON = SAFE_CONTRACTS / "Safe.sol" / "Safe.json"
SAFE_PROXY_FACTORY = SAFE_CONTRACTS / "proxies" / "SafeProxyFactory.sol" / "SafeProxyFactory.json"
SAFE_VERSION = "1.5.0"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
CALL_OPERATION = 0

SAFE_TX_TYPES = {
    "EIP712Domain": [
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "SafeTx": [
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
        {"name": "operation", "type": "uint8"},
        {"name": "safeTxGas", "type": "uint256"},
        {"name": "baseGas", "type": "uint256"},
        {"name": "gasPrice", "type": "uint256"},
        {"name": "gasToken", "type": "address"},
        {"name": "refundReceiver", "type": "address"},
        {"name": "nonce", "type": "uint256"},
    ],
}
SAFE_TX_DEFAULTS = {
    "operation": CALL_OPERATION,
    "safeTxGas": 0,
    "baseGas": 0,
    "gasPrice": 0,
    "gasToken": ZERO_ADDRESS,
    "refundReceiver": ZERO_ADDRESS,
}
"""A plain call with no gas refund: what a relayer-paid Safe transaction looks like."""

CONFIGURATIONS = ((1, 1), (2, 2), (3, 5))


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """The third ERC-20 transfer of a fresh Safe proxy for each (threshold, owners) configuration."""
    singleton = _deploy_artifact(env, SAFE_SINGLETON)
    factory = _deploy_artifact(env, SAFE_PROXY_FACTORY)
    version = singleton.functions.VERSION().call()
    if version != SAFE_VERSION:
        raise RuntimeError(f"the Safe artifacts in node_modules are version {version}, not {SAFE_VERSION}")
    results = {}
    for threshold, count in CONFIGURATIONS:
        owners = [env.key(f"safe owner {index}") for index in range(count)]
        safe = _create_safe(env, singleton, factory, [owner.address for owner in owners], threshold)
        token = env.token(safe.address, 100 * TRANSFER_AMOUNT)
        recipient = env.key("recipient").address
        transfer = token.functions.transfer(recipient, TRANSFER_AMOUNT)._encode_transaction_data()
        send = functools.partial(
            _exec_transaction, env, safe, owners[:threshold], token.address, bytes.fromhex(transfer[2:])
        )
        results[f"safe_{threshold}of{count}_erc20"] = Measurement(
            gas=steady_state_gas(send),
            what=f"Safe {SAFE_VERSION} {threshold}-of-{count} execTransaction: ERC-20 transfer, total tx gas",
        )
    return results


def _deploy_artifact(env: GasEnv, path: Any) -> Contract:
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `npm ci` (make install) to fetch the Safe artifacts")
    artifact = json.loads(path.read_text())
    return env.deploy_bytecode(artifact["abi"], artifact["bytecode"])


def _create_safe(
    env: GasEnv, singleton: Contract, factory: Contract, owners: list[str], threshold: int
) -> Contract:
    setup = singleton.functions.setup(
        owners, threshold, ZERO_ADDRESS, b"", ZERO_ADDRESS, ZERO_ADDRESS, 0, ZERO_ADDRESS
    )._encode_transaction_data()
    receipt = env.transact(factory.functions.createProxyWithNonce(singleton.address, setup, threshold))
    (created,) = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
    return env.w3.eth.contract(address=created["args"]["proxy"], abi=singleton.abi)


def _exec_transaction(
    env: GasEnv, safe: Contract, signers: list[LocalAccount], to: str, data: bytes
) -> TxReceipt:
    nonce = safe.functions.nonce().call()
    message = {"to": to, "value": 0, "data": data, **SAFE_TX_DEFAULTS, "nonce": nonce}
    typed_data = {
        "types": SAFE_TX_TYPES,
        "primaryType": "SafeTx",
        "domain": {"chainId": env.w3.eth.chain_id, "verifyingContract": safe.address},
        "message": message,
    }
    expected = safe.functions.getTransactionHash(to, 0, data, *SAFE_TX_DEFAULTS.values(), nonce).call()
    signatures = b""
    for signer in sorted(signers, key=lambda account: int(account.address, 16)):
        signed = Account.sign_typed_data(signer.key, full_message=typed_data)
        if signed.message_hash != expected:
            raise RuntimeError("eth_account's SafeTx digest differs from the Safe's getTransactionHash")
        signatures += signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    call = safe.functions.execTransaction(to, 0, data, *SAFE_TX_DEFAULTS.values(), signatures)
    receipt = env.relay(call)
    if not safe.events.ExecutionSuccess().process_receipt(receipt, errors=DISCARD):
        raise RuntimeError("the Safe transaction did not succeed (no ExecutionSuccess event)")
    return receipt
