# pragma version ~=0.4.3
"""
@title TPWallet multisig treasury
@license Apache-2.0
@notice Holds ether, ERC-20, ERC-721 and ERC-1155 tokens and moves them on two kinds of authority: the owners'
        threshold signatures of an EIP-712 TreasuryTx (`execute_with_owners`), and the custody group key's
        FROST signature of a CustodyTransfer within the token's 24-hour limit, or queued behind a time lock
        when the limit leaves no room (`execute_with_custody`). It vouches for messages the owners signed
        (EIP-1271 `isValidSignature`). Its configuration changes only through an owners' TreasuryTx calling
        the treasury itself. docs/contracts.md gives the design, the rules and their reasons, the custody
        state word's bit layout and the trust assumptions.
"""

from ethereum.ercs import IERC20

from .modules import eip712
from .modules import owner_set
from .modules import schnorr

initializes: eip712
initializes: owner_set

exports: (
    eip712.DOMAIN_SEPARATOR,
    eip712.eip712Domain,
    owner_set.owners,
    owner_set.is_owner,
    owner_set.threshold,
    owner_set.get_owners,
)


# @dev The owners' order, as in `chain/intents.py` (TreasuryTx).
TREASURY_TX_TYPEHASH: constant(bytes32) = keccak256(
    "TreasuryTx(address to,address token,uint256 amount,bytes data,uint256 nonce,uint256 deadline)"
)
# @dev The custody key's order: a transfer only, nonce from the token's own custody sequence.
CUSTODY_TRANSFER_TYPEHASH: constant(bytes32) = keccak256(
    "CustodyTransfer(address to,address token,uint256 amount,uint256 nonce,uint256 deadline)"
)
# @dev What the owners sign for EIP-1271: the hash an outside protocol asks the treasury to vouch for.
TREASURY_MESSAGE_TYPEHASH: constant(bytes32) = keccak256("TreasuryMessage(bytes32 hash)")
# @dev EIP-1271: bytes4(keccak256("isValidSignature(bytes32,bytes)")).
EIP1271_MAGIC_VALUE: constant(bytes4) = 0x1626ba7e

MAX_OWNERS: public(constant(uint256)) = owner_set.MAX_OWNERS
MAX_SIGNATURES_LENGTH: constant(uint256) = owner_set.MAX_SIGNATURES_LENGTH
# @dev Longest call data an owners' transaction may carry.
MAX_DATA_LENGTH: constant(uint256) = 4096
# @dev How many tokens (ether counts as the zero address) the custody key may be allowed to move.
MAX_CUSTODY_TOKENS: public(constant(uint256)) = 32

SECONDS_PER_DAY: constant(uint256) = 86400
# @dev The reason a frozen token's custody transfer is refused (queued or being queued).
FROZEN: constant(String[68]) = "treasury: custody transfers of the token are frozen (its limit is 0)"
# @dev The time lock of queued custody transfers: at least an hour (else the queue would be a way around the
#      limit), at most thirty days (else a mistake could lock a transfer away for good).
MIN_DELAY: public(constant(uint256)) = 3600
MAX_DELAY: public(constant(uint256)) = 30 * SECONDS_PER_DAY

# @dev The custody state word: nonce, day, outflow of the day, biased remaining, configured flag, low bits
#      first (docs/contracts.md, "MultisigTreasury", gives the layout and why).
NONCE_BITS: constant(uint256) = 45
DAY_SHIFT: constant(uint256) = 45
DAY_BITS: constant(uint256) = 32
SPENT_SHIFT: constant(uint256) = 77
AMOUNT_BITS: constant(uint256) = 88
REMAINING_SHIFT: constant(uint256) = 165
REMAINING_BITS: constant(uint256) = 90
REMAINING_BIAS: constant(uint256) = 2**89
CONFIGURED_FLAG: constant(uint256) = 2**255
NONCE_MASK: constant(uint256) = 2**NONCE_BITS - 1
DAY_MASK: constant(uint256) = 2**DAY_BITS - 1
AMOUNT_MASK: constant(uint256) = 2**AMOUNT_BITS - 1
REMAINING_MASK: constant(uint256) = 2**REMAINING_BITS - 1
# @dev The largest custody limit: outflows and limits are stored in 88 bits (3.09e26 base units).
MAX_CUSTODY_LIMIT: public(constant(uint256)) = AMOUNT_MASK
# @dev A queued transfer's entry: its earliest execution time, and the custody epoch it was queued in.
ETA_BITS: constant(uint256) = 64
ETA_MASK: constant(uint256) = 2**ETA_BITS - 1
# @dev How long after its time lock a queued custody transfer may still be executed; after that it can only
#      be cancelled. Long enough for a relayer outage, short enough that a transfer nobody carried out within
#      two weeks is not carried out months later, when the world it was signed for has changed.
QUEUE_WINDOW: public(constant(uint256)) = 14 * SECONDS_PER_DAY
# @dev At most this many queued custody transfers (of the current custody key) wait at once: what the owners
#      may have to review and cancel after a custody key was stolen stays bounded, and a stolen key cannot
#      fill the queue faster than the owners can rotate it. Executed and cancelled ones free their place; a key
#      change frees every place.
MAX_QUEUED_TRANSFERS: public(constant(uint256)) = 64
# @dev Revert data kept in `OwnersExecutionFailed`: an Error(string) with a reason of up to 128 bytes.
MAX_REVERT_DATA: constant(uint256) = 196
# @dev A call that runs out of gas hands its caller back about 1/64 of the gas it had (EIP-150), a call that
#      failed in a call of its own that ran out about 2/64, and so on. An owners' call that fails leaving less
#      than 1/STARVED_CALL_DIVISOR of the gas there was before it may have been starved by its sender: the
#      whole transaction reverts instead of consuming the nonce. 16 covers starvation up to three frames deep
#      (the target, a call it makes, a call that one makes). A target that catches a starved call deeper
#      down, or catches one and goes on, can still be made to fail for good by a sender giving too little
#      gas (the nonce is then spent, nothing moves): Safe prevents that only with a signed `safeTxGas`, a
#      field TreasuryTx does not have.
STARVED_CALL_DIVISOR: constant(uint256) = 16
# @dev ERC-721/ERC-1155 safe transfers: the longest `data` and the largest batch the treasury accepts.
MAX_RECEIVED_DATA: constant(uint256) = 1024
MAX_RECEIVED_BATCH: constant(uint256) = 256
# @dev ERC-165 interface ids: ERC-165 itself, IERC721Receiver, IERC1155Receiver.
ERC165_INTERFACE_ID: constant(bytes4) = 0x01ffc9a7
ERC721_RECEIVER_INTERFACE_ID: constant(bytes4) = 0x150b7a02
ERC1155_RECEIVER_INTERFACE_ID: constant(bytes4) = 0x4e2312e0


struct CustodyLimit:
    token: address
    limit: uint256


event DelayChanged:
    delay: uint256


event CustodyKeyChanged:
    key_id: indexed(bytes32)
    pk_x: uint256
    pk_parity: uint256
    epoch: uint256


event CustodyLimitChanged:
    token: indexed(address)
    limit: uint256


event OwnersExecuted:
    nonce: indexed(uint256)
    digest: bytes32
    to: address
    token: address
    amount: uint256


# @dev The owners' transaction `nonce` ran and its call or token transfer failed: the nonce is consumed all the
#      same. `revert_data` is the failure's revert data (an Error(string) for a reason), cut to MAX_REVERT_DATA
#      bytes; for a token that returned false, its return data.
event OwnersExecutionFailed:
    nonce: indexed(uint256)
    digest: bytes32
    to: address
    token: address
    amount: uint256
    revert_data: Bytes[MAX_REVERT_DATA]


# @dev Kept to what the ledger needs to match the transfer to the signed intent (token, nonce): the token's
#      own Transfer log, or for ether the transaction input, carries recipient and amount. Each topic or word
#      more costs every hot-wallet payout.
event CustodyTransferred:
    token: indexed(address)
    nonce: uint256


event TransferQueued:
    transfer_id: indexed(bytes32)
    token: indexed(address)
    to: indexed(address)
    amount: uint256
    nonce: uint256
    eta: uint256


event QueuedTransferExecuted:
    transfer_id: indexed(bytes32)


event QueuedTransferCancelled:
    transfer_id: indexed(bytes32)


event Received:
    sender: indexed(address)
    amount: uint256


# @dev The owners' next TreasuryTx nonce.
owners_nonce: public(uint256)
# @dev The time lock, in seconds, of custody transfers queued for exceeding the limit.
delay: public(uint256)

# @dev The custody group key: x, the parity of y, and keccak256(abi_encode(x, parity)), under which the
#      tokens' custody state lives. All zero when there is no custody key.
custody_pk_x: public(uint256)
custody_pk_parity: public(uint256)
custody_key_id: public(bytes32)
# @dev Counts custody key changes; a queued transfer executes only in the epoch it was queued in.
custody_epoch: public(uint256)
# @dev The tokens the owners configured for custody, in order of first configuration; never shortened, so a
#      token's custody nonces never restart.
custody_tokens: public(DynArray[address, MAX_CUSTODY_TOKENS])
custody_limit: public(HashMap[address, uint256])
# @dev key id => token => state word.
_custody_state: HashMap[bytes32, HashMap[address, uint256]]
# @dev transfer id => (custody epoch << 64) | earliest execution time; zero when none.
_queued: HashMap[bytes32, uint256]
# @dev How many transfers queued under the current custody key are neither executed nor cancelled (those
#      past their execution window included, until cancelled); at most MAX_QUEUED_TRANSFERS.
queued_count: public(uint256)


@deploy
def __init__(
    owners_: DynArray[address, MAX_OWNERS],
    threshold_: uint256,
    custody_pk_x_: uint256,
    custody_pk_y_: uint256,
    custody_limits_: DynArray[CustodyLimit, MAX_CUSTODY_TOKENS],
    delay_: uint256,
):
    """
    @notice Creates the treasury with its owners, threshold, custody key, custody limits and time lock.
    @param owners_ The owners: distinct, none the zero address or this contract.
    @param threshold_ How many owners must sign, in [1, len(owners_)].
    @param custody_pk_x_ The custody group key's x, or 0 (with custody_pk_y_ 0) for no custody key yet.
    @param custody_pk_y_ The custody group key's y.
    @param custody_limits_ The tokens (zero address: ether) custody may move, each with its 24-hour limit.
    @param delay_ The time lock of queued custody transfers, in seconds, in [MIN_DELAY, MAX_DELAY].
    """
    eip712.__init__("TPWallet", "1")
    assert len(owners_) > 0, "treasury: no owners"
    for owner: address in owners_:
        owner_set._add_owner(owner)
    owner_set._set_threshold(threshold_)
    self._set_delay(delay_)
    if custody_pk_x_ != 0 or custody_pk_y_ != 0:
        self._set_custody_key(custody_pk_x_, custody_pk_y_)
    for entry: CustodyLimit in custody_limits_:
        self._set_custody_limit(entry.token, entry.limit)


@external
@payable
def __default__():
    """
    @notice Receives ether sent with no call data.
    """
    assert len(msg.data) == 0, "treasury: no such function (only plain ether transfers are accepted)"
    log Received(sender=msg.sender, amount=msg.value)


@external
@nonreentrant
def execute_with_owners(
    to: address,
    token: address,
    amount: uint256,
    data: Bytes[MAX_DATA_LENGTH],
    nonce: uint256,
    deadline: uint256,
    signatures: Bytes[MAX_SIGNATURES_LENGTH],
) -> bool:
    """
    @notice Executes a TreasuryTx the owners signed; anyone may submit it (the sender only pays gas).
    @dev token == zero address: calls `to` with `amount` wei and `data`; otherwise transfers `amount` of `token`
         to `to`. The nonce is consumed whether the call succeeds (`OwnersExecuted`) or fails
         (`OwnersExecutionFailed`, with its revert data), so a signed transaction runs at most once. A call
         that fails having used up all but 1/STARVED_CALL_DIVISOR of the gas it could use reverts the whole
         transaction instead (nonce kept): more gas might have made it succeed.
    @param to The call's target or the transfer's recipient; not the zero address.
    @param token The token to transfer, or the zero address for a call (with or without ether).
    @param amount Wei to send with the call, or token base units to transfer.
    @param data The call data; empty for a token transfer.
    @param nonce The owners' next nonce (`owners_nonce()`).
    @param deadline The last block timestamp at which the transaction may execute.
    @param signatures At least `threshold` owners' 65-byte signatures of `tx_digest(...)`, signers ascending.
    @return True if the call or transfer succeeded, False if it failed (the nonce is consumed either way).
    """
    assert block.timestamp <= deadline, "treasury: the transaction's deadline has passed"
    current: uint256 = self.owners_nonce
    assert nonce == current, "treasury: nonce is not the owners' next nonce"
    digest: bytes32 = self._tx_digest(to, token, amount, data, nonce, deadline)
    owner_set._check_owner_signatures(digest, signatures)
    assert to != empty(address), "treasury: the recipient is the zero address"
    self.owners_nonce = current + 1
    success: bool = False
    response: Bytes[MAX_REVERT_DATA] = b""
    gas_before: uint256 = msg.gas
    if token == empty(address):
        success, response = raw_call(
            to, data, value=amount, max_outsize=MAX_REVERT_DATA, revert_on_failure=False
        )
    else:
        assert len(data) == 0, "treasury: a token transfer carries no call data"
        assert token.is_contract, "treasury: the token has no code"
        success, response = raw_call(
            token,
            abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")),
            max_outsize=MAX_REVERT_DATA,
            revert_on_failure=False,
        )
        # tokens that return nothing (USDT) count as success; a token that returns false fails the transfer
        if success and len(response) != 0:
            success = len(response) >= 32 and extract32(response, 0, output_type=uint256) == 1
    if not success:
        assert msg.gas * STARVED_CALL_DIVISOR > gas_before, (
            "treasury: the call ran out of gas; send the transaction again with a higher gas limit"
        )
        log OwnersExecutionFailed(
            nonce=nonce, digest=digest, to=to, token=token, amount=amount, revert_data=response
        )
        return False
    log OwnersExecuted(nonce=nonce, digest=digest, to=to, token=token, amount=amount)
    return True


@external
@nonreentrant
def execute_with_custody(
    to: address,
    token: address,
    amount: uint256,
    nonce: uint256,
    deadline: uint256,
    pk_x: uint256,
    pk_parity: uint256,
    rx: uint256,
    ry: uint256,
    z: uint256,
) -> bool:
    """
    @notice Executes a CustodyTransfer the custody group key signed: at once if the token's 24-hour limit
            leaves room, else queued behind the time lock. Anyone may submit it (the sender only pays gas).
    @dev Refused for a token whose limit is 0 (frozen), and, when it would be queued, while
         MAX_QUEUED_TRANSFERS already wait (the signature stays valid until its deadline).
    @param to The recipient; not the zero address.
    @param token The token (zero address: ether); the owners must have configured it for custody.
    @param amount The amount in base units.
    @param nonce The token's next custody nonce (`custody_nonce(token)`).
    @param deadline The last block timestamp at which the transfer may be submitted.
    @param pk_x The custody group key's x (`custody_pk_x()`).
    @param pk_parity The parity of the custody group key's y (`custody_pk_parity()`).
    @param rx The x-coordinate of the signature's R.
    @param ry The y-coordinate of the signature's R.
    @param z The signature's response scalar.
    @return True if the transfer was made now, False if it was queued.
    """
    assert block.timestamp <= deadline, "treasury: the transfer's deadline has passed"
    key_id: bytes32 = keccak256(abi_encode(pk_x, pk_parity))
    word: uint256 = self._custody_state[key_id][token]
    assert word != 0, "treasury: not the custody key, or a token custody may not move"
    assert nonce == word & NONCE_MASK, "treasury: nonce is not the token's next custody nonce"
    # `_custody_digest(...)` and, below, `_send(...)` written out: this path runs for every hot-wallet
    # payout, and each internal call costs it about 100 gas
    digest: bytes32 = eip712._hash_typed_data(
        keccak256(abi_encode(CUSTODY_TRANSFER_TYPEHASH, to, token, amount, nonce, deadline))
    )
    assert schnorr._verify(pk_x, pk_parity, digest, rx, ry, z), "treasury: the custody signature does not verify"
    assert to != empty(address), "treasury: the recipient is the zero address"

    # the state word is worked on in place: this path runs for every hot-wallet payout
    today: uint256 = block.timestamp // SECONDS_PER_DAY
    if (word >> DAY_SHIFT) & DAY_MASK != today:
        word = self._roll_over(word, today, token)
    biased_remaining: uint256 = (word >> REMAINING_SHIFT) & REMAINING_MASK
    # remaining > 0 as well: with a limit of 0 (frozen) remaining is never positive, so nothing, not even a
    # transfer of 0, is immediate; a frozen token's transfers are refused below
    immediate: bool = biased_remaining > REMAINING_BIAS and unsafe_sub(biased_remaining, REMAINING_BIAS) >= amount
    if immediate:
        # amount <= remaining < 2**88, so no field over- or underflows into its neighbour: the nonce grows by
        # one (it cannot reach 2**45), the day's outflow by amount, what remains shrinks by amount
        self._custody_state[key_id][token] = unsafe_sub(
            unsafe_add(word, (amount << SPENT_SHIFT) | 1), amount << REMAINING_SHIFT
        )
        log CustodyTransferred(token=token, nonce=nonce)
        if token == empty(address):
            success: bool = raw_call(to, b"", value=amount, revert_on_failure=False)
            assert success, "treasury: the ether transfer failed"
        else:
            # tokens that return nothing (USDT) count as success; a token that returns false fails
            assert extcall IERC20(token).transfer(to, amount, default_return_value=True), (
                "treasury: the token transfer returned false"
            )
    else:
        assert self.custody_limit[token] != 0, FROZEN
        count: uint256 = self.queued_count
        assert count < MAX_QUEUED_TRANSFERS, (
            "treasury: the queue is full (MAX_QUEUED_TRANSFERS wait); execute or cancel queued transfers first"
        )
        self.queued_count = count + 1
        self._custody_state[key_id][token] = unsafe_add(word, 1)
        transfer_id: bytes32 = self._queued_transfer_id(to, token, amount, nonce)
        eta: uint256 = block.timestamp + self.delay
        self._queued[transfer_id] = (self.custody_epoch << ETA_BITS) | eta
        log TransferQueued(transfer_id=transfer_id, token=token, to=to, amount=amount, nonce=nonce, eta=eta)
    return immediate


@external
@nonreentrant
def execute_queued(to: address, token: address, amount: uint256, nonce: uint256):
    """
    @notice Executes a queued custody transfer once its time lock has passed, for QUEUE_WINDOW seconds
            after that; anyone may call it.
    @dev Refused after a change of custody key (which voids every transfer queued before it), after the
         execution window, and while the token is frozen (limit 0): the configuration in force when it runs
         applies, not the one when it was queued. A configured token stays configured (`custody_tokens` is
         never shortened), so freezing is how the owners withdraw one; raising the limit again lets the
         transfers still in their window run.
    @param to The recipient the custody key signed.
    @param token The token it signed (zero address: ether).
    @param amount The amount it signed.
    @param nonce The custody nonce the transfer was signed with.
    """
    transfer_id: bytes32 = self._queued_transfer_id(to, token, amount, nonce)
    entry: uint256 = self._queued[transfer_id]
    assert entry != 0, "treasury: no such queued transfer (never queued, executed or cancelled)"
    assert entry >> ETA_BITS == self.custody_epoch, "treasury: the queued transfer was voided by a custody key change"
    eta: uint256 = entry & ETA_MASK
    assert block.timestamp >= eta, "treasury: the queued transfer's time lock has not passed"
    assert block.timestamp <= eta + QUEUE_WINDOW, (
        "treasury: the queued transfer's execution window has passed (it can only be cancelled)"
    )
    assert self.custody_limit[token] != 0, FROZEN
    self._queued[transfer_id] = 0
    self.queued_count -= 1
    log QueuedTransferExecuted(transfer_id=transfer_id)
    self._send(to, token, amount)


@external
def cancel_queued(transfer_id: bytes32):
    """
    @notice Cancels a queued custody transfer, within its execution window or after it, or one a custody key
            change voided; only through an owners' TreasuryTx.
    @param transfer_id The transfer's id (`queued_transfer_id(...)`, or from its TransferQueued event).
    """
    self._only_self()
    entry: uint256 = self._queued[transfer_id]
    assert entry != 0, "treasury: no such queued transfer (never queued, executed or cancelled)"
    self._queued[transfer_id] = 0
    if entry >> ETA_BITS == self.custody_epoch:
        self.queued_count -= 1
    log QueuedTransferCancelled(transfer_id=transfer_id)


@external
def add_owner(owner: address, threshold_: uint256):
    """
    @notice Adds an owner and sets the threshold; only through an owners' TreasuryTx.
    @param owner The new owner: not the zero address, this contract or an owner already.
    @param threshold_ The threshold afterwards, in [1, number of owners].
    """
    self._only_self()
    owner_set._add_owner(owner)
    owner_set._set_threshold(threshold_)


@external
def remove_owner(owner: address, threshold_: uint256):
    """
    @notice Removes an owner and sets the threshold; only through an owners' TreasuryTx.
    @param owner The owner to remove; the last owner cannot be removed.
    @param threshold_ The threshold afterwards, in [1, number of owners].
    """
    self._only_self()
    owner_set._remove_owner(owner)
    owner_set._set_threshold(threshold_)


@external
def set_threshold(threshold_: uint256):
    """
    @notice Sets how many owners must sign; only through an owners' TreasuryTx.
    @param threshold_ The new threshold, in [1, number of owners].
    """
    self._only_self()
    owner_set._set_threshold(threshold_)


@external
def set_delay(delay_: uint256):
    """
    @notice Sets the time lock of custody transfers queued from now on; only through an owners' TreasuryTx.
    @param delay_ The delay in seconds, in [MIN_DELAY, MAX_DELAY].
    """
    self._only_self()
    self._set_delay(delay_)


@external
def set_custody_key(pk_x: uint256, pk_y: uint256):
    """
    @notice Installs a new custody group key; only through an owners' TreasuryTx. The old key loses all
            authority at once and every transfer it queued is voided; nonces and limits carry over.
    @param pk_x The group key's x-coordinate, in [1, n).
    @param pk_y The group key's y-coordinate (the point must be on secp256k1).
    """
    self._only_self()
    self._set_custody_key(pk_x, pk_y)


@external
def remove_custody_key():
    """
    @notice Removes the custody key, so no custody transfer can run, and voids every queued transfer; only
            through an owners' TreasuryTx. Nonces and limits are kept for the next key.
    """
    self._only_self()
    assert self.custody_key_id != empty(bytes32), "treasury: there is no custody key to remove"
    self._move_custody_states(empty(bytes32))
    self.custody_pk_x = 0
    self.custody_pk_parity = 0
    self._bump_custody_epoch(empty(bytes32), 0, 0)


@external
def set_custody_limit(token: address, limit: uint256):
    """
    @notice Sets the custody key's 24-hour limit for `token`, configuring the token for custody the first
            time; only through an owners' TreasuryTx. A limit of 0 freezes the token: the custody key can
            neither move nor queue it, and no queued transfer of it executes, until the limit is raised.
    @dev A change applies at once: what an immediate transfer may still move changes by the difference.
    @param token The token (zero address: ether); must have code.
    @param limit The limit in base units, at most MAX_CUSTODY_LIMIT.
    """
    self._only_self()
    self._set_custody_limit(token, limit)


@external
@pure
def onERC721Received(
    operator: address, sender: address, token_id: uint256, data: Bytes[MAX_RECEIVED_DATA]
) -> bytes4:
    """
    @notice ERC-721: accepts a safe transfer of an NFT to the treasury (the owners move it out by a call).
    @param operator The account that made the transfer.
    @param sender The NFT's previous holder.
    @param token_id The NFT's id.
    @param data Data passed along with the transfer, at most MAX_RECEIVED_DATA bytes.
    @return The IERC721Receiver.onERC721Received selector, 0x150b7a02.
    """
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)


@external
@pure
def onERC1155Received(
    operator: address, sender: address, token_id: uint256, amount: uint256, data: Bytes[MAX_RECEIVED_DATA]
) -> bytes4:
    """
    @notice ERC-1155: accepts a safe transfer of one token type to the treasury.
    @param operator The account that made the transfer.
    @param sender The tokens' previous holder.
    @param token_id The token type's id.
    @param amount How many were transferred.
    @param data Data passed along with the transfer, at most MAX_RECEIVED_DATA bytes.
    @return The IERC1155Receiver.onERC1155Received selector, 0xf23a6e61.
    """
    return method_id("onERC1155Received(address,address,uint256,uint256,bytes)", output_type=bytes4)


@external
@pure
def onERC1155BatchReceived(
    operator: address,
    sender: address,
    token_ids: DynArray[uint256, MAX_RECEIVED_BATCH],
    amounts: DynArray[uint256, MAX_RECEIVED_BATCH],
    data: Bytes[MAX_RECEIVED_DATA],
) -> bytes4:
    """
    @notice ERC-1155: accepts a safe batch transfer to the treasury.
    @param operator The account that made the transfer.
    @param sender The tokens' previous holder.
    @param token_ids The token types' ids, at most MAX_RECEIVED_BATCH.
    @param amounts How many of each were transferred.
    @param data Data passed along with the transfer, at most MAX_RECEIVED_DATA bytes.
    @return The IERC1155Receiver.onERC1155BatchReceived selector, 0xbc197c81.
    """
    return method_id(
        "onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)", output_type=bytes4
    )


@external
@pure
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165: whether the treasury implements an interface.
    @param interface_id The interface's ERC-165 id.
    @return True for ERC-165, IERC721Receiver and IERC1155Receiver.
    """
    return interface_id in [ERC165_INTERFACE_ID, ERC721_RECEIVER_INTERFACE_ID, ERC1155_RECEIVER_INTERFACE_ID]


@external
@view
def isValidSignature(message_hash: bytes32, signature: Bytes[MAX_SIGNATURES_LENGTH]) -> bytes4:
    """
    @notice EIP-1271: whether the treasury vouches for `message_hash`, i.e. whether `signature` holds
            `threshold` owners' signatures of `message_digest(message_hash)`, signers ascending.
    @dev Reverts with the reason when the signatures are not valid, as Safe does.
    @param message_hash The hash an outside protocol asks about.
    @param signature The owners' 65-byte signatures, concatenated.
    @return The EIP-1271 magic value 0x1626ba7e.
    """
    owner_set._check_owner_signatures(self._message_digest(message_hash), signature)
    return EIP1271_MAGIC_VALUE


@external
@view
def tx_digest(
    to: address, token: address, amount: uint256, data: Bytes[MAX_DATA_LENGTH], nonce: uint256, deadline: uint256
) -> bytes32:
    """
    @notice The EIP-712 digest of TreasuryTx(to, token, amount, data, nonce, deadline) that owners sign.
    @param to The call's target or the transfer's recipient.
    @param token The token, or the zero address for a call.
    @param amount Wei or token base units.
    @param data The call data.
    @param nonce The owners' nonce.
    @param deadline The last valid timestamp.
    @return The digest.
    """
    return self._tx_digest(to, token, amount, data, nonce, deadline)


@external
@view
def custody_digest(to: address, token: address, amount: uint256, nonce: uint256, deadline: uint256) -> bytes32:
    """
    @notice The EIP-712 digest of CustodyTransfer(to, token, amount, nonce, deadline) the custody key signs.
    @param to The recipient.
    @param token The token (zero address: ether).
    @param amount The amount in base units.
    @param nonce The token's custody nonce.
    @param deadline The last valid timestamp.
    @return The digest.
    """
    return self._custody_digest(to, token, amount, nonce, deadline)


@external
@view
def message_digest(message_hash: bytes32) -> bytes32:
    """
    @notice The EIP-712 digest of TreasuryMessage(message_hash) that owners sign for EIP-1271.
    @param message_hash The hash to vouch for.
    @return The digest.
    """
    return self._message_digest(message_hash)


@external
@view
def get_custody_tokens() -> DynArray[address, MAX_CUSTODY_TOKENS]:
    """
    @notice Every token configured for custody (zero address: ether).
    @return The tokens, in order of configuration.
    """
    return self.custody_tokens


@external
@view
def custody_state(token: address) -> (bool, uint256, uint256, uint256, int256):
    """
    @notice The token's custody state under the current key, as last written.
    @param token The token (zero address: ether).
    @return configured Whether the owners configured the token for custody.
    @return nonce The token's next custody nonce.
    @return day The day (timestamp // 86400) the state was last brought up to date.
    @return spent_today The custody outflow of that day.
    @return remaining What an immediate transfer could still move on that day (negative after a cut limit).
    """
    word: uint256 = self._custody_state[self.custody_key_id][token]
    if word == 0:
        return False, 0, 0, 0, 0
    remaining: int256 = convert((word >> REMAINING_SHIFT) & REMAINING_MASK, int256) - convert(
        REMAINING_BIAS, int256
    )
    return True, word & NONCE_MASK, (word >> DAY_SHIFT) & DAY_MASK, (word >> SPENT_SHIFT) & AMOUNT_MASK, remaining


@external
@view
def custody_nonce(token: address) -> uint256:
    """
    @notice The token's next custody nonce, the one the custody key signs next.
    @param token The token (zero address: ether).
    @return The nonce.
    """
    return self._custody_state[self.custody_key_id][token] & NONCE_MASK


@external
@view
def custody_available(token: address) -> uint256:
    """
    @notice How much of `token` an immediate custody transfer may move now; more is queued.
    @param token The token (zero address: ether).
    @return The amount in base units (0 for a token not configured).
    """
    word: uint256 = self._custody_state[self.custody_key_id][token]
    if word == 0:
        return 0
    today: uint256 = block.timestamp // SECONDS_PER_DAY
    if (word >> DAY_SHIFT) & DAY_MASK != today:
        word = self._roll_over(word, today, token)
    biased_remaining: uint256 = (word >> REMAINING_SHIFT) & REMAINING_MASK
    if biased_remaining < REMAINING_BIAS:
        return 0
    return biased_remaining - REMAINING_BIAS


@external
@view
def queued_transfer_id(to: address, token: address, amount: uint256, nonce: uint256) -> bytes32:
    """
    @notice The id of the custody transfer (to, token, amount, nonce), queued or not.
    @param to The recipient.
    @param token The token (zero address: ether).
    @param amount The amount.
    @param nonce The custody nonce it was signed with.
    @return keccak256(abi_encode(to, token, amount, nonce)).
    """
    return self._queued_transfer_id(to, token, amount, nonce)


@external
@view
def queued_eta(transfer_id: bytes32) -> uint256:
    """
    @notice When a queued transfer becomes executable.
    @param transfer_id The transfer's id.
    @return Its earliest execution timestamp, or 0 if it is not queued or was voided by a custody key change.
            It may be executed until that time plus QUEUE_WINDOW.
    """
    entry: uint256 = self._queued[transfer_id]
    if entry >> ETA_BITS != self.custody_epoch:
        return 0
    return entry & ETA_MASK


@internal
@view
def _only_self():
    assert msg.sender == self, "treasury: only the treasury itself may call this (an owners' TreasuryTx)"


@internal
@view
def _tx_digest(
    to: address, token: address, amount: uint256, data: Bytes[MAX_DATA_LENGTH], nonce: uint256, deadline: uint256
) -> bytes32:
    return eip712._hash_typed_data(
        keccak256(abi_encode(TREASURY_TX_TYPEHASH, to, token, amount, keccak256(data), nonce, deadline))
    )


@internal
@view
def _custody_digest(to: address, token: address, amount: uint256, nonce: uint256, deadline: uint256) -> bytes32:
    return eip712._hash_typed_data(
        keccak256(abi_encode(CUSTODY_TRANSFER_TYPEHASH, to, token, amount, nonce, deadline))
    )


@internal
@view
def _message_digest(message_hash: bytes32) -> bytes32:
    return eip712._hash_typed_data(keccak256(abi_encode(TREASURY_MESSAGE_TYPEHASH, message_hash)))


@internal
@pure
def _queued_transfer_id(to: address, token: address, amount: uint256, nonce: uint256) -> bytes32:
    # (token, nonce) never repeats, so neither does the id
    return keccak256(abi_encode(to, token, amount, nonce))


@internal
@view
def _roll_over(word: uint256, today: uint256, token: address) -> uint256:
    """
    @dev Brings the state word of an earlier day up to `today`: the outflow of the day before today (the
         word's day, if that was yesterday) keeps counting against the limit, older outflow stops counting.
    """
    limit: uint256 = self.custody_limit[token]
    spent_yesterday: uint256 = 0
    if today == ((word >> DAY_SHIFT) & DAY_MASK) + 1:
        spent_yesterday = (word >> SPENT_SHIFT) & AMOUNT_MASK
    # both are below 2**88, so the biased value is in [2**88, 2**89 + 2**88)
    return (
        CONFIGURED_FLAG
        | ((limit + REMAINING_BIAS - spent_yesterday) << REMAINING_SHIFT)
        | (today << DAY_SHIFT)
        | (word & NONCE_MASK)
    )


@internal
def _send(to: address, token: address, amount: uint256):
    if token == empty(address):
        success: bool = raw_call(to, b"", value=amount, revert_on_failure=False)
        assert success, "treasury: the ether transfer failed"
    else:
        self._transfer_token(token, to, amount)


@internal
def _transfer_token(token: address, to: address, amount: uint256):
    # tokens that return nothing (USDT) count as success; a token that returns false fails the transfer
    assert extcall IERC20(token).transfer(to, amount, default_return_value=True), (
        "treasury: the token transfer returned false"
    )


@internal
def _set_delay(delay_: uint256):
    assert delay_ >= MIN_DELAY, "treasury: the delay is shorter than MIN_DELAY"
    assert delay_ <= MAX_DELAY, "treasury: the delay is longer than MAX_DELAY"
    self.delay = delay_
    log DelayChanged(delay=delay_)


@internal
def _set_custody_key(pk_x: uint256, pk_y: uint256):
    parity: uint256 = schnorr._check_group_key(pk_x, pk_y)
    key_id: bytes32 = keccak256(abi_encode(pk_x, parity))
    assert key_id != self.custody_key_id, "treasury: that is already the custody key"
    self._move_custody_states(key_id)
    self.custody_pk_x = pk_x
    self.custody_pk_parity = parity
    self._bump_custody_epoch(key_id, pk_x, parity)


@internal
def _bump_custody_epoch(key_id: bytes32, pk_x: uint256, parity: uint256):
    self.custody_key_id = key_id
    epoch: uint256 = self.custody_epoch + 1
    self.custody_epoch = epoch
    self.queued_count = 0  # every transfer queued before is void
    log CustodyKeyChanged(key_id=key_id, pk_x=pk_x, pk_parity=parity, epoch=epoch)


@internal
def _move_custody_states(new_key_id: bytes32):
    """
    @dev Moves every configured token's state word from the current key's place to `new_key_id`'s, so the old
         key finds nothing and the new one continues the nonces and the day's outflow.
    """
    old_key_id: bytes32 = self.custody_key_id
    for token: address in self.custody_tokens:
        self._custody_state[new_key_id][token] = self._custody_state[old_key_id][token]
        self._custody_state[old_key_id][token] = 0


@internal
def _set_custody_limit(token: address, limit: uint256):
    assert limit <= MAX_CUSTODY_LIMIT, "treasury: the limit exceeds MAX_CUSTODY_LIMIT"
    key_id: bytes32 = self.custody_key_id
    word: uint256 = self._custody_state[key_id][token]
    if word == 0:
        assert token == empty(address) or token.is_contract, "treasury: the token has no code"
        assert len(self.custody_tokens) < MAX_CUSTODY_TOKENS, "treasury: too many custody tokens"
        self.custody_tokens.append(token)
        word = (
            CONFIGURED_FLAG
            | ((limit + REMAINING_BIAS) << REMAINING_SHIFT)
            | ((block.timestamp // SECONDS_PER_DAY) << DAY_SHIFT)
        )
    else:
        # what remains moves by the change of limit; it stays in [-(2**88), 2**88) as the outflow it is
        # measured against is below the old limit, so the biased value stays in (0, 2**90)
        biased_remaining: uint256 = (word >> REMAINING_SHIFT) & REMAINING_MASK
        biased_remaining = biased_remaining + limit - self.custody_limit[token]
        word = (word & ~(REMAINING_MASK << REMAINING_SHIFT)) | (biased_remaining << REMAINING_SHIFT)
    self._custody_state[key_id][token] = word
    self.custody_limit[token] = limit
    log CustodyLimitChanged(token=token, limit=limit)
