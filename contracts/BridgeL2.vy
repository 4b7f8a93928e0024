# pragma version ~=0.4.3
"""
@title Bridge, L2 side: mints bridged tokens for attested L1 deposits, burns them on withdrawal
@license Apache-2.0
@notice Deposits come as batches of L1 messages the custody group signed (`attest`); `claim` mints each
        message's bridged token (`BridgedToken`, which only this bridge mints and burns) once, within the
        token's 24-hour rate limit, else into the delay queue (`release`). `withdraw` burns the caller's
        bridged tokens and emits `Withdrawn` with this bridge's next nonce: the L2->L1 message that
        `BridgeL1` releases after its challenge window. See `modules/bridge_inbox.vy` and docs/bridge.md.
"""

from .modules import bridge_inbox as bridge
from .modules import merkle

interface Bridged:
    def mint(receiver: address, amount: uint256): nonpayable
    def burn(holder: address, amount: uint256): nonpayable

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


event Withdrawn:
    nonce: indexed(uint64)
    token: indexed(address)
    l1_token: address
    sender: indexed(address)
    l1_recipient: address
    amount: uint256


@deploy
def __init__(
    guardian: address,
    l1_chain_id: uint256,
    key_x: uint256,
    key_y: uint256,
    challenge_window: uint256,
    queue_delay: uint256,
):
    """
    @notice Sets up the L2 bridge; `initialize` links it to the L1 bridge afterwards.
    @param guardian Who vetoes, pauses and configures.
    @param l1_chain_id The L1's chain id.
    @param key_x The custody group key's x-coordinate.
    @param key_y The custody group key's y-coordinate.
    @param challenge_window Seconds during which the guardian may veto an L1 batch (0: claimable at once).
    @param queue_delay Seconds a deposit over the rate limit waits.
    """
    bridge.__init__(guardian, l1_chain_id, key_x, key_y, challenge_window, queue_delay)


@external
def claim(seq: uint64, message: bridge.Message, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH]) -> bool:
    """
    @notice Mints a deposit proven to be in L1 batch `seq` (attested, not vetoed, its window over) to
            `message.recipient`, or queues it when over the rate limit.
    @param seq The batch holding the message.
    @param message The message as `BridgeL1` emitted it (dst_token is the bridged token here).
    @param proof The Merkle proof of its leaf, sibling hashes leaf level first.
    @return True when minted now, False when queued.
    """
    if not bridge._claim(seq, message, proof):
        return False
    extcall Bridged(message.dst_token).mint(message.recipient, message.amount)
    return True


@external
def claim_many(
    seq: uint64,
    messages: DynArray[bridge.Message, bridge.MAX_CLAIMS],
    proofs: DynArray[DynArray[bytes32, merkle.MAX_PROOF_DEPTH], bridge.MAX_CLAIMS],
) -> uint256:
    """
    @notice Mints several deposits of L1 batch `seq` at once, as `claim` each (queued over the rate
            limit), in one transaction: the relay's way, which pays the transaction's base cost and the
            batch's checks once. A message whose nonce was consumed already (its recipient claimed it
            first) is skipped, so nobody can make the relay's transaction revert by claiming one of its
            messages ahead of it; anything else `claim` refuses reverts the whole call.
    @param seq The batch holding the messages.
    @param messages At least one, at most MAX_CLAIMS messages of the batch.
    @param proofs The Merkle proof of each message's leaf, in the same order.
    @return The number of messages minted now (the others were queued or skipped).
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
            extcall Bridged(message.dst_token).mint(message.recipient, message.amount)
            paid = unsafe_add(paid, 1)
    return paid


@external
def release(message: bridge.Message):
    """
    @notice Mints a queued deposit once its delay is over; anyone may call it.
    @param message The queued message.
    """
    bridge._release(message)
    extcall Bridged(message.dst_token).mint(message.recipient, message.amount)


@external
def withdraw(token: address, amount: uint256, l1_recipient: address) -> uint64:
    """
    @notice Burns `amount` of the caller's bridged `token` for `l1_recipient` on L1.
    @param token An allowlisted bridged token.
    @param amount Base units; not zero.
    @param l1_recipient Who receives the L1 token; not zero.
    @return The message's nonce.
    """
    nonce: uint64 = 0
    l1_token: address = empty(address)
    nonce, l1_token = bridge._send(token, amount, l1_recipient)
    extcall Bridged(token).burn(msg.sender, amount)
    log Withdrawn(
        nonce=nonce,
        token=token,
        l1_token=l1_token,
        sender=msg.sender,
        l1_recipient=l1_recipient,
        amount=amount,
    )
    return nonce
