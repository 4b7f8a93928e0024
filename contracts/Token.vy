# pragma version ~=0.4.3
"""
@title TPWallet ERC-20 token
@notice An ERC-20 token with EIP-2612 `permit`, minted by accounts the owner grants the minter role
        (the L2 bridge, a faucet on a devnet) and burnt by holders or by spenders they approved
        (the L2 bridge burns on withdrawal with `burn_from`).
        Deployed as tUSD (6 decimals) and TPW (18 decimals).
        Conventions: no transfer, mint or approval to the zero address; an allowance of
        max(uint256) is infinite and never decremented; every other allowance change emits `Approval`.
        The permit domain is EIP712Domain(name = the token name, version = "1", chainId, this address),
        rebuilt if the chain id changes.
        Ownership moves in two steps (propose, then accept) so it cannot be handed to a mistyped address.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed

implements: IERC20
implements: IERC20Detailed

from .modules import ecdsa
from .modules import eip712
from .modules import ownable_2step

initializes: eip712
initializes: ownable_2step

exports: (
    eip712.DOMAIN_SEPARATOR,
    eip712.eip712Domain,
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

# @dev EIP-2612: the permit struct's type hash.
PERMIT_TYPEHASH: constant(bytes32) = keccak256(
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)

# @dev EIP-2612 convention: the permit domain's version is "1".
PERMIT_DOMAIN_VERSION: constant(String[1]) = "1"

# @dev An allowance of this size is infinite: `transferFrom` and `burn_from` leave it as it is.
INFINITE_ALLOWANCE: constant(uint256) = max_value(uint256)

MAX_NAME_LENGTH: constant(uint256) = eip712.MAX_NAME_LENGTH
MAX_SYMBOL_LENGTH: constant(uint256) = 32


event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


event MinterUpdated:
    minter: indexed(address)
    enabled: bool


name: public(immutable(String[MAX_NAME_LENGTH]))
symbol: public(immutable(String[MAX_SYMBOL_LENGTH]))
decimals: public(immutable(uint8))

totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])

# @dev EIP-2612: the next permit nonce of each owner; a permit consumes it.
nonces: public(HashMap[address, uint256])

is_minter: public(HashMap[address, bool])


@deploy
def __init__(name_: String[MAX_NAME_LENGTH], symbol_: String[MAX_SYMBOL_LENGTH], decimals_: uint8):
    """
    @notice Creates the token with no supply and no minter; the deployer becomes the owner.
    @param name_ The token name, also the permit domain's name.
    @param symbol_ The ticker, e.g. "tUSD".
    @param decimals_ The number of decimals of the base unit, e.g. 6 for tUSD, 18 for TPW.
    """
    assert len(symbol_) > 0, "token: empty symbol"
    eip712.__init__(name_, PERMIT_DOMAIN_VERSION)
    name = name_
    symbol = symbol_
    decimals = decimals_
    ownable_2step.__init__(msg.sender, "token")


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` base units from the caller to `receiver`.
    @param receiver The recipient; not the zero address.
    @param amount The number of base units to move.
    @return True (a failure reverts).
    """
    self._transfer(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @notice Moves `amount` base units from `sender` to `receiver`, spending the caller's allowance.
    @param sender The holder whose tokens move; the caller must be allowed at least `amount`.
    @param receiver The recipient; not the zero address.
    @param amount The number of base units to move.
    @return True (a failure reverts).
    """
    self._spend_allowance(sender, msg.sender, amount)
    self._transfer(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice Sets the caller's allowance for `spender` to `amount` (max(uint256) means unlimited).
    @param spender The account allowed to spend; not the zero address.
    @param amount The new allowance in base units.
    @return True (a failure reverts).
    """
    self._approve(msg.sender, spender, amount)
    return True


@external
def permit(
    owner: address,
    spender: address,
    amount: uint256,
    deadline: uint256,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    """
    @notice EIP-2612: sets `owner`'s allowance for `spender` to `amount` from the owner's signature,
            so the owner needs no transaction (and no ether) of their own.
    @dev The signed struct is Permit(owner, spender, value = amount, nonce = nonces[owner], deadline);
         consuming the nonce makes each signature valid once.
    @param owner The holder granting the allowance, and the signer.
    @param spender The account allowed to spend; not the zero address.
    @param amount The new allowance in base units (the struct's `value`).
    @param deadline The last block timestamp at which the signature is valid.
    @param v The signature's recovery id (27 or 28).
    @param r The signature's r.
    @param s The signature's s (lower half of the curve order).
    """
    assert block.timestamp <= deadline, "token: permit expired"
    nonce: uint256 = self.nonces[owner]
    struct_hash: bytes32 = keccak256(abi_encode(PERMIT_TYPEHASH, owner, spender, amount, nonce, deadline))
    signer: address = ecdsa._recover(eip712._hash_typed_data(struct_hash), v, r, s)
    assert signer == owner, "token: permit signer is not the owner"
    self.nonces[owner] = nonce + 1
    self._approve(owner, spender, amount)


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Creates `amount` new base units for `receiver`; minters only.
    @param receiver The recipient; not the zero address.
    @param amount The number of base units to create.
    """
    assert self.is_minter[msg.sender], "token: caller is not a minter"
    assert receiver != empty(address), "token: mint to the zero address"
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def burn(amount: uint256):
    """
    @notice Destroys `amount` of the caller's base units.
    @param amount The number of base units to destroy.
    """
    self._burn(msg.sender, amount)


@external
def burn_from(owner: address, amount: uint256):
    """
    @notice Destroys `amount` of `owner`'s base units, spending the caller's allowance (how the L2
            bridge burns a withdrawal).
    @param owner The holder whose tokens are destroyed; the caller must be allowed at least `amount`.
    @param amount The number of base units to destroy.
    """
    self._spend_allowance(owner, msg.sender, amount)
    self._burn(owner, amount)


@external
def set_minter(minter: address, enabled: bool):
    """
    @notice Grants (`enabled` true) or revokes (false) the minter role; owner only.
    @param minter The account whose role changes; not the zero address.
    @param enabled Whether `minter` may mint afterwards.
    """
    ownable_2step._check_owner()
    assert minter != empty(address), "token: minter is the zero address"
    self.is_minter[minter] = enabled
    log MinterUpdated(minter=minter, enabled=enabled)


@internal
def _transfer(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "token: transfer to the zero address"
    sender_balance: uint256 = self.balanceOf[sender]
    assert sender_balance >= amount, "token: transfer amount exceeds balance"
    self.balanceOf[sender] = sender_balance - amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)


@internal
def _burn(owner: address, amount: uint256):
    owner_balance: uint256 = self.balanceOf[owner]
    assert owner_balance >= amount, "token: burn amount exceeds balance"
    self.balanceOf[owner] = owner_balance - amount
    self.totalSupply -= amount
    log Transfer(sender=owner, receiver=empty(address), value=amount)


@internal
def _approve(owner: address, spender: address, amount: uint256):
    assert spender != empty(address), "token: approve to the zero address"
    self.allowance[owner][spender] = amount
    log Approval(owner=owner, spender=spender, value=amount)


@internal
def _spend_allowance(owner: address, spender: address, amount: uint256):
    allowed: uint256 = self.allowance[owner][spender]
    if allowed == INFINITE_ALLOWANCE:
        return
    assert allowed >= amount, "token: insufficient allowance"
    self.allowance[owner][spender] = allowed - amount
    log Approval(owner=owner, spender=spender, value=allowed - amount)
