"""Tokens that misbehave the way real ones do, as Vyper source compiled when a test deploys one.

Each does one thing a real token might, and no more. The plain ones share `LEDGER` (balances, allowances,
anyone may mint) and its `_move`/`_take`, so a source shows only how it misbehaves.
"""

from typing import Any

import vyper
from ape.contracts import ContractContainer
from ethpm_types import ContractType

LEDGER = """
# pragma version ~=0.4.3
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

@external
def mint(receiver: address, amount: uint256):
    self.balanceOf[receiver] += amount

@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True

@internal
def _move(sender: address, receiver: address, amount: uint256):
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount

@internal
def _take(sender: address, receiver: address, amount: uint256):
    self.allowance[sender][msg.sender] -= amount
    self._move(sender, receiver, amount)
"""
"""A plain ERC-20 ledger without events: balances, allowances, `mint` for anyone, and the internal moves."""

GAS_BURNING_TOKEN = """
# pragma version ~=0.4.3
@external
@view
def balanceOf(owner: address) -> uint256:
    return max_value(uint256)

@external
@view
def allowance(owner: address, spender: address) -> uint256:
    return max_value(uint256)

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    for i: uint256 in range(1000000):
        self.burnt = i
    return True

burnt: uint256
"""
"""Everyone holds plenty and allows everything; transferFrom burns all the gas it is given: the shape of a
call starved of gas."""

INVALID_FAILING_TOKEN = (
    LEDGER
    + """
frozen: public(HashMap[address, bool])

@external
def freeze(owner: address):
    self.frozen[owner] = True

@external
def transfer(receiver: address, amount: uint256) -> bool:
    assert self.balanceOf[msg.sender] >= amount, UNREACHABLE
    self._move(msg.sender, receiver, amount)
    return True

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    assert not self.frozen[sender], UNREACHABLE
    assert self.balanceOf[sender] >= amount, UNREACHABLE
    assert self.allowance[sender][msg.sender] >= amount, UNREACHABLE
    self._take(sender, receiver, amount)
    return True
"""
)
"""A plain ledger that fails as Solidity before 0.8 compiled `assert` (and as SafeMath-era tokens do): with
INVALID, which burns all the gas the call was given. A frozen account cannot send."""

REENTERING_TOKEN = """
# pragma version ~=0.4.3
interface Manager:
    def subscribe(plan_id: uint256) -> uint256: nonpayable
    def cancel(subscription_id: uint256): nonpayable

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
manager: address
subscription_id: uint256

@external
def join(manager: address, plan_id: uint256):
    self.manager = manager
    self.balanceOf[self] = max_value(uint256)
    self.allowance[self][manager] = max_value(uint256)
    self.subscription_id = extcall Manager(manager).subscribe(plan_id)

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    extcall Manager(self.manager).cancel(self.subscription_id)
    return False
"""
"""The token is itself a SubscriptionManager subscriber, holding and allowing plenty; its transferFrom
cancels its own subscription, then reports failure."""

BLOCKING_TOKEN = (
    LEDGER
    + """
blocked: address

@deploy
def __init__(blocked: address):
    self.blocked = blocked

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    if receiver == self.blocked:
        return False
    self._take(sender, receiver, amount)
    return True
"""
)
"""A plain ledger whose transfers to one blocked address fail (as USDC's blocklist does)."""

REFUSING_TOKEN = (
    LEDGER
    + """
refuse: public(bool)

@external
def set_refuse(refuse_: bool):
    self.refuse = refuse_

@external
def transfer(receiver: address, amount: uint256) -> bool:
    if self.refuse:
        return False
    self._move(msg.sender, receiver, amount)
    return True

@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    if self.refuse:
        return False
    self._take(sender, receiver, amount)
    return True
"""
)
"""A plain ledger answering False instead of moving tokens while `refuse` is set, as some old ERC-20s do."""


def deploy_source(source: str, deployer: Any, *args: Any) -> Any:
    """Compiles a test token's Vyper source and deploys it with Ape from `deployer`."""
    compiled = vyper.compile_code(source, output_formats=["abi", "bytecode", "bytecode_runtime"])
    contract_type = ContractType.model_validate(
        {
            "contractName": "TestToken",
            "abi": compiled["abi"],
            "deploymentBytecode": {"bytecode": compiled["bytecode"]},
            "runtimeBytecode": {"bytecode": compiled["bytecode_runtime"]},
        }
    )
    return ContractContainer(contract_type).deploy(*args, sender=deployer)
