# pragma version ~=0.4.3
"""
@title Bridge, L1 side: escrows allowlisted ERC-20s, releases withdrawals proven against attested L2 batches
@license Apache-2.0
@notice `deposit` takes an allowlisted token into escrow and emits `Deposited` with this bridge's next
        nonce: the message the relay batches for `BridgeL2`, which mints the bridged token there.
        Withdrawals come back as batches of L2 messages the custody group signed (`attest`); after a
        batch's challenge window, in which the guardian (the treasury owners through `MultisigTreasury`)
        may `veto` it, `claim` releases each message's tokens from escrow once, within the token's
        24-hour rate limit, else into the delay queue (`release`). See `modules/bridge_inbox.vy` for the
        batches, leaves, veto, rate limits and pause, and docs/bridge.md for the whole bridge.
        Only plain ERC-20s belong on the allowlist: a token that charges a fee on transfer would leave the
        escrow short of what was minted on L2.
"""

from ethereum.ercs import IERC20

from .modules import bridge_inbox as bridge
from .modules import merkle

initializes: bridge

exports: (
    bridge.eip712.DOMAIN_SEPARATOR,
    bridge.eip712.eip712Domain,
    bridge.initialize,
    bridge.attest,
    bridge.veto,
    bridge.pause,
    bridge.unpause,
    bridge.set_custody_key,
    bridge.set_challenge_window,
    bridge.set_token,
    bridge.set_queue_delay,
    bridge.guardian,
    bridge.remote,
    bridge.paused,
    bridge.last_nonce,
    bridge.custody_key,
    bridge.challenge_window,
    bridge.queue_delay,
    bridge.batch,
    bridge.is_consumed,
    bridge.queued,
    bridge.token,
    bridge.batch_digest,
    bridge.inbound_leaf,
    bridge.outbound_leaf,
)


event Deposited:
    nonce: indexed(uint64)
    token: indexed(address)
    l2_token: address
    sender: indexed(address)
    l2_recipient: address
    amount: uint256


@deploy
def __init__(
    guardian: address,
    l2_chain_id: uint256,
    key_x: uint256,
    key_y: uint256,
    challenge_window: uint256,
    queue_delay: uint256,
):
    """
    @notice Sets up the L1 bridge; `initialize` links it to the L2 bridge afterwards.
    @param guardian Who vetoes, pauses and configures: the MultisigTreasury in production.
    @param l2_chain_id The L2's chain id.
    @param key_x The custody group key's x-coordinate.
    @param key_y The custody group key's y-coordinate.
    @param challenge_window Seconds during which the guardian may veto an L2 batch.
    @param queue_delay Seconds a withdrawal over the rate limit waits.
    """
    bridge.__init__(guardian, l2_chain_id, key_x, key_y, challenge_window, queue_delay)


@external
@nonreentrant
def deposit(token: address, amount: uint256, l2_recipient: address) -> uint64:
    """
    @notice Escrows `amount` of `token` from the caller (who approved this bridge) for `l2_recipient` on L2.
    @param token An allowlisted ERC-20.
    @param amount Base units; not zero.
    @param l2_recipient Who receives the bridged token on L2; not zero.
    @return The message's nonce.
    """
    nonce: uint64 = 0
    l2_token: address = empty(address)
    nonce, l2_token = bridge._send(token, amount, l2_recipient)
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True), (
        "bridge: token transfer failed"
    )
    log Deposited(
        nonce=nonce,
        token=token,
        l2_token=l2_token,
        sender=msg.sender,
        l2_recipient=l2_recipient,
        amount=amount,
    )
    return nonce


@external
@nonreentrant
def claim(seq: uint64, message: bridge.Message, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH]) -> bool:
    """
    @notice Releases a withdrawal proven to be in L2 batch `seq` (attested, not vetoed, its challenge
            window over): pays `message.recipient` from escrow, or queues it when over the rate limit.
    @param seq The batch holding the message.
    @param message The message as `BridgeL2` emitted it (dst_token is this chain's token).
    @param proof The Merkle proof of its leaf, sibling hashes leaf level first.
    @return True when paid now, False when queued.
    """
    if not bridge._claim(seq, message, proof):
        return False
    self._pay(message)
    return True


@external
@nonreentrant
def claim_many(
    seq: uint64,
    messages: DynArray[bridge.Message, bridge.MAX_CLAIMS],
    proofs: DynArray[DynArray[bytes32, merkle.MAX_PROOF_DEPTH], bridge.MAX_CLAIMS],
) -> uint256:
    """
    @notice Releases several withdrawals of L2 batch `seq` at once, as `claim` each (queued over the rate
            limit), in one transaction: the relay's way, which pays the transaction's base cost and the
            batch's checks once. A message whose nonce was consumed already (its recipient claimed it
            first) is skipped, so nobody can make the relay's transaction revert by claiming one of its
            messages ahead of it; anything else `claim` refuses reverts the whole call.
    @param seq The batch holding the messages.
    @param messages At least one, at most MAX_CLAIMS messages of the batch.
    @param proofs The Merkle proof of each message's leaf, in the same order.
    @return The number of messages paid now (the others were queued or skipped).
    """
    assert len(messages) != 0, "bridge: no messages"
    assert len(messages) == len(proofs), "bridge: messages and proofs differ in number"
    link: uint256 = 0
    record: uint256 = 0
    link, record = bridge._open_batch(seq)
    paid: uint256 = 0
    for index: uint256 in range(len(messages), bound=bridge.MAX_CLAIMS):
        message: bridge.Message = messages[index]
        if bridge._take(link, record, message, proofs[index], True) == bridge.CLAIM_PAID:
            self._pay(message)
            paid = unsafe_add(paid, 1)
    return paid


@external
@nonreentrant
def release(message: bridge.Message):
    """
    @notice Pays a queued withdrawal once its delay is over; anyone may call it.
    @param message The queued message.
    """
    bridge._release(message)
    self._pay(message)


@internal
def _pay(message: bridge.Message):
    assert extcall IERC20(message.dst_token).transfer(
        message.recipient, message.amount, default_return_value=True
    ), "bridge: token transfer failed"
