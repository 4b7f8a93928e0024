# pragma version ~=0.4.3
"""
@title A token bridged to L2: only its bridge mints and burns it
@license Apache-2.0
@notice The L2 face of an L1 token escrowed in `BridgeL1`. `BridgeL2` (fixed at deployment, never changed)
        mints it for a claimed deposit and burns it from the withdrawing holder; nobody else can create or
        destroy it, not even its deployer, so the supply on L2 never exceeds what the bridge accepted.
        Plain ERC-20 otherwise: no transfer or approval to the zero address, an allowance of max(uint256)
        is infinite.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

implements: IERC20
implements: IERC20Detailed


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


name: public(immutable(String[50]))
symbol: public(immutable(String[32]))
decimals: public(immutable(uint8))
# @dev The only account that mints and burns.
bridge: public(immutable(address))

totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])


@deploy
def __init__(name_: String[50], symbol_: String[32], decimals_: uint8, bridge_: address):
    """
    @notice Creates the token with no supply; `bridge_` alone may mint and burn.
    @param name_ The token name, e.g. "TPWallet USD (bridged)".
    @param symbol_ The ticker; not empty.
    @param decimals_ The L1 token's decimals.
    @param bridge_ The `BridgeL2` contract; not the zero address.
    """
    assert len(symbol_) > 0, "bridged token: empty symbol"
    assert bridge_ != empty(address), "bridged token: bridge is the zero address"
    name = name_
    symbol = symbol_
    decimals = decimals_
    bridge = bridge_


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` base units from the caller to `receiver` (not the zero address).
    """
    self._move(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` base units from `sender` to `receiver`, spending the caller's allowance.
    """
    allowed: uint256 = self.allowance[sender][msg.sender]
    if allowed != max_value(uint256):
        assert allowed >= amount, "bridged token: insufficient allowance"
        self.allowance[sender][msg.sender] = unsafe_sub(allowed, amount)
    self._move(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Sets the caller's allowance for `spender` (not the zero address) to `amount`.
    """
    assert spender != empty(address), "bridged token: approve to the zero address"
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Creates `amount` base units for `receiver`: a claimed deposit. Bridge only.
    """
    assert msg.sender == bridge, "bridged token: only the bridge mints"
    assert receiver != empty(address), "bridged token: mint to the zero address"
    self.totalSupply += amount
    # the supply bounds every balance: no overflow
    self.balanceOf[receiver] = unsafe_add(self.balanceOf[receiver], amount)
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def burn(holder: address, amount: uint256):
    """
    @notice Destroys `amount` of `holder`'s base units: a withdrawal `holder` asked the bridge for.
            Bridge only.
    """
    assert msg.sender == bridge, "bridged token: only the bridge burns"
    held: uint256 = self.balanceOf[holder]
    assert held >= amount, "bridged token: burn amount exceeds balance"
    self.balanceOf[holder] = unsafe_sub(held, amount)
    self.totalSupply = unsafe_sub(self.totalSupply, amount)
    log Transfer(sender=holder, receiver=empty(address), value=amount)


@internal
def _move(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "bridged token: transfer to the zero address"
    held: uint256 = self.balanceOf[sender]
    assert held >= amount, "bridged token: transfer amount exceeds balance"
    self.balanceOf[sender] = unsafe_sub(held, amount)
    self.balanceOf[receiver] = unsafe_add(self.balanceOf[receiver], amount)
    log Transfer(sender=sender, receiver=receiver, value=amount)
