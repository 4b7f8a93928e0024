# pragma version ~=0.4.3
"""
@title Bridge core: custody-attested batches, messages claimed once, rate limits, a guardian
@license Apache-2.0
@notice What `BridgeL1` and `BridgeL2` share; each contract adds how a message pays out (L1 releases
        escrowed tokens, L2 mints its bridged token) and how one is sent (L1 escrows, L2 burns).
        Link. The two bridges know each other: this side's guardian, the other chain's id and (set once,
        by the deployer, with `initialize`) the other bridge's address. Chain ids and both bridge
        addresses enter every signed batch digest and every message leaf, so neither a signature nor a
        proof made for another chain, another bridge or an earlier deployment is accepted here.
        Messages. A message is (srcChainId, dstChainId, srcBridge, dstBridge, nonce, srcToken, dstToken,
        sender, recipient, amount); its leaf is keccak256(abi.encode(those ten fields)) (`chain.bridge`),
        and the Merkle tree is `chain/merkle.py`'s, leaves and internal nodes hashed apart (RFC 6962
        prefixes, `modules/merkle.vy`). `nonce` is the sending bridge's sequence, 1, 2, 3, ...
        Batches. The custody group key signs the EIP-712 intent
        BridgeBatch(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,uint64 seq,
                    bytes32 root,uint64 count,bytes32 prevRoot)
        under ("TPWallet", "1", this chain, this bridge). Batches are numbered 1, 2, 3, ... with no gap and
        no reuse, and hash-chained as the settlement anchor's are: `prevRoot` is the root of the last batch
        not vetoed (zero for the first). Anyone may submit a signed batch: the relayer holds no authority.
        Challenge window. A batch's messages can be claimed from its deadline on: the attestation time
        plus the window, never before an earlier batch's deadline. Until then the guardian (the treasury
        owners through `MultisigTreasury`) may veto it, which vetoes every later batch too (they chained
        through it); the chain resumes from the last batch before it, and vetoed seqs are never reused.
        Consume once. A message pays out at most once: claims are recorded by the sender's nonce (a
        bitmap, one bit per nonce), which the leaf commits, so a second claim of the same message, or of
        another message with its nonce, is refused.
        Claims. `claim` takes one message (a user's self-claim); `claim_many` takes up to MAX_CLAIMS
        messages of one batch (the relay's: the transaction's base cost and the batch's checks are paid
        once, some 15,500 gas a message instead of 62,000 in a 100-message batch). Both check the same
        things with the same reasons, except that `claim_many` skips a message whose nonce was consumed
        already instead of reverting, so a user claiming their own message first cannot make the relay's
        whole transaction fail.
        Rate limits. Each token has a 24-hour limit: what was paid out refills linearly over 24 hours
        (a token bucket). A claim that would exceed it is queued (Wormhole's governor) and anyone may
        `release` it once the queue delay is over; a queued message is consumed already.
        Pause. The guardian pauses and unpauses sending, attesting, claiming and releasing; vetoes, and the
        guardian's configuration, work while paused.
@dev Storage is packed so a claim reads four cold slots (link, batch record, nonce bitmap word, token
     flow) and writes two warm ones; an attestation reads three (link, configuration, previous record)
     and writes one fresh record. The Python mirror is `chain/bridge/`.
"""

from . import eip712
from . import merkle
from . import schnorr

initializes: eip712

# @dev hashStruct's type hash of the signed batch; `chain.intents.BridgeBatch` has the same fields in order.
BRIDGE_BATCH_TYPEHASH: constant(bytes32) = keccak256(
    "BridgeBatch(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,uint64 seq,"
    "bytes32 root,uint64 count,bytes32 prevRoot)"
)

# @dev A batch record is (root fingerprint << FINGERPRINT_SHIFT) | vetoed flag | 39-bit deadline.
FINGERPRINT_SHIFT: constant(uint256) = 40
VETOED_FLAG: constant(uint256) = 2**39
DEADLINE_MASK: constant(uint256) = 2**39 - 1

# @dev The configuration slot: the custody key's x with its low 32 bits replaced by
#      (challenge window << 1) | the key's y parity (as in `SettlementAnchor`).
KEY_HINT_MASK: constant(uint256) = 2**32 - 1
PARITY_MASK: constant(uint256) = 1
WINDOW_MASK: constant(uint256) = 2**25 - 1
MAX_CHALLENGE_WINDOW: constant(uint256) = 30 * 86400

# @dev The link slot: the other bridge's address, the paused flag, and the last nonce this bridge sent.
REMOTE_MASK: constant(uint256) = 2**160 - 1
PAUSED_FLAG: constant(uint256) = 2**160
NONCE_SHIFT: constant(uint256) = 161
NONCE_LIMIT: constant(uint256) = 2**64 - 1

# @dev A veto marks at most this many batches (the one vetoed and those after it, all inside the window).
MAX_VETO_SPAN: constant(uint256) = 256

# @dev A token flow is used (96 bits) | last update time (40 bits) << 96 | 24-hour limit (96 bits) << 136.
#      A limit of zero means the token is not allowlisted.
AMOUNT_MASK: constant(uint256) = 2**96 - 1
TIME_MASK: constant(uint256) = 2**40 - 1
UPDATED_SHIFT: constant(uint256) = 96
LIMIT_SHIFT: constant(uint256) = 136
RATE_PERIOD: constant(uint256) = 86400
MAX_QUEUE_DELAY: constant(uint256) = 30 * 86400

# @dev At most this many messages in one `claim_many`: a relayer's chunk. Its proofs are copied to memory
#      at their full bound (MAX_CLAIMS x MAX_PROOF_DEPTH words), so the bound is kept to what one
#      transaction's gas holds anyway.
MAX_CLAIMS: constant(uint256) = 128
# @dev What `_take` did with a message.
CLAIM_PAID: constant(uint256) = 1
CLAIM_QUEUED: constant(uint256) = 2
CLAIM_SKIPPED: constant(uint256) = 3


struct Message:
    nonce: uint64
    src_token: address
    dst_token: address
    sender: address
    recipient: address
    amount: uint256


event Initialized:
    remote_bridge: address


event BatchAttested:
    seq: indexed(uint64)
    root: bytes32
    count: uint64
    prev_root: bytes32
    deadline: uint256


event BatchVetoed:
    first_seq: indexed(uint64)
    last_seq: uint64


# @dev A message was paid out (the token's Transfer says to whom and how much): one topic, no data, as
#      every claim pays for it.
event Claimed:
    nonce: indexed(uint64)


event Queued:
    nonce: indexed(uint64)
    leaf: bytes32
    release_at: uint256


event Released:
    nonce: indexed(uint64)
    leaf: bytes32


event PauseChanged:
    paused: bool


event CustodyKeyChanged:
    key_x: uint256
    key_y_parity: uint256


event ChallengeWindowChanged:
    window: uint256


event TokenChanged:
    token: indexed(address)
    remote_token: address
    limit: uint256


event QueueDelayChanged:
    delay: uint256


_GUARDIAN: immutable(address)
_REMOTE_CHAIN_ID: immutable(uint256)
_DEPLOYER: immutable(address)

_custody_key_x: uint256
_config: uint256
_link: uint256
_queue_delay: uint256
# @dev seq -> batch record (zero: not attested). Seqs 1..last are all non-zero.
_records: HashMap[uint256, uint256]
# @dev nonce >> 8 -> a word whose bit (nonce & 255) is set once that nonce was claimed.
_consumed: HashMap[uint256, uint256]
# @dev local token -> its flow word; local token -> the other chain's token it is bridged with.
_flows: HashMap[address, uint256]
_remote_token: HashMap[address, address]
# @dev leaf -> when the queued message may be released (zero: not queued).
_queued: HashMap[bytes32, uint256]


@deploy
def __init__(
    guardian_: address,
    remote_chain_id_: uint256,
    key_x: uint256,
    key_y: uint256,
    challenge_window_: uint256,
    queue_delay_: uint256,
):
    """
    @dev Sets the guardian, the other chain, the custody key, the challenge window and the queue delay.
         The other bridge's address comes later, once, with `initialize`.
    """
    assert guardian_ != empty(address), "bridge: guardian is the zero address"
    assert remote_chain_id_ != 0, "bridge: remote chain id is zero"
    assert challenge_window_ <= MAX_CHALLENGE_WINDOW, "bridge: challenge window is longer than 30 days"
    assert queue_delay_ <= MAX_QUEUE_DELAY, "bridge: queue delay is longer than 30 days"
    eip712.__init__("TPWallet", "1")
    _GUARDIAN = guardian_
    _REMOTE_CHAIN_ID = remote_chain_id_
    _DEPLOYER = msg.sender
    self._custody_key_x = key_x
    parity: uint256 = schnorr._check_group_key(key_x, key_y)
    self._config = (key_x & ~KEY_HINT_MASK) | (challenge_window_ << 1) | parity
    self._queue_delay = queue_delay_
    log CustodyKeyChanged(key_x=key_x, key_y_parity=parity)
    log ChallengeWindowChanged(window=challenge_window_)
    log QueueDelayChanged(delay=queue_delay_)


@external
def initialize(remote_bridge_: address):
    """
    @notice Links this bridge to the other chain's bridge; once, by the deployer.
    @param remote_bridge_ The bridge contract on the other chain; not zero. It may have this contract's
            address (the same deployer nonce, or CREATE2, on both chains): every digest also names both
            chain ids, so the two are never confused.
    """
    assert msg.sender == _DEPLOYER, "bridge: only the deployer initializes"
    link: uint256 = self._link
    assert link & REMOTE_MASK == 0, "bridge: already initialized"
    assert remote_bridge_ != empty(address), "bridge: remote bridge is zero"
    self._link = link | convert(remote_bridge_, uint256)
    log Initialized(remote_bridge=remote_bridge_)


@external
def attest(
    seq: uint64,
    root: bytes32,
    count: uint64,
    prev_root: bytes32,
    rx: uint256,
    ry: uint256,
    z: uint256,
    key_hint: uint32,
):
    """
    @notice Records batch `seq` of messages from the other bridge, on the custody group's signature of the
            BridgeBatch intent with these fields. Anyone may submit it.
    @param seq 1 for the first batch, else the last attested seq + 1 (vetoed or not).
    @param root The batch's Merkle root; not zero.
    @param count The number of messages in the batch; not zero.
    @param prev_root The root of the last batch not vetoed; zero when there is none.
    @param rx The x-coordinate of the signature's R.
    @param ry The y-coordinate of the signature's R.
    @param z The signature's response scalar.
    @param key_hint The custody key's x mod 2**32 (`custody_key()[0] % 2**32`).
    """
    link: uint256 = self._link
    assert link & REMOTE_MASK != 0, "bridge: not initialized"
    assert link & PAUSED_FLAG == 0, "bridge: paused"
    fingerprint: uint256 = convert(root, uint256) >> FINGERPRINT_SHIFT
    assert fingerprint != 0, "bridge: root is zero"
    assert count != 0, "bridge: count is zero (an empty batch)"
    slot: uint256 = convert(seq, uint256)
    assert self._records[slot] == 0, "bridge: seq is already attested"
    previous: uint256 = 0
    if seq != 1:
        assert seq != 0, "bridge: seq starts at 1"
        previous = self._records[unsafe_sub(slot, 1)]
        assert previous != 0, "bridge: seq is not the next batch"
    previous_fingerprint: uint256 = previous >> FINGERPRINT_SHIFT
    assert (
        convert(prev_root, uint256) >> FINGERPRINT_SHIFT == previous_fingerprint
        and (previous_fingerprint != 0 or prev_root == empty(bytes32))
    ), "bridge: prevRoot is not the root of the last batch not vetoed"
    config: uint256 = self._config
    deadline: uint256 = max(
        unsafe_add(block.timestamp, (config >> 1) & WINDOW_MASK), previous & DEADLINE_MASK
    )
    assert deadline <= DEADLINE_MASK, "bridge: deadline does not fit 39 bits"
    digest: bytes32 = self._batch_digest(link, seq, root, count, prev_root)
    assert schnorr._verify(
        (config & ~KEY_HINT_MASK) | convert(key_hint, uint256), config & PARITY_MASK, digest, rx, ry, z
    ), "bridge: signature is not the custody key's"
    self._records[slot] = (fingerprint << FINGERPRINT_SHIFT) | deadline
    log BatchAttested(seq=seq, root=root, count=count, prev_root=prev_root, deadline=deadline)


@external
def veto(seq: uint64):
    """
    @notice Vetoes batch `seq` and every batch attested after it; guardian only, while `seq`'s challenge
            window is open. The next batch carries the next unused seq and, as prevRoot, the root of the
            last batch before `seq` not vetoed.
    @param seq The first batch to veto: attested, not vetoed, inside its challenge window.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian vetoes"
    slot: uint256 = convert(seq, uint256)
    record: uint256 = self._records[slot]
    assert record != 0, "bridge: batch is not attested"
    assert record & VETOED_FLAG == 0, "bridge: batch is already vetoed"
    assert block.timestamp < record & DEADLINE_MASK, "bridge: challenge window is over"
    # deadlines never decrease along the chain, so every later batch is inside its window too
    last: uint256 = slot
    for offset: uint256 in range(MAX_VETO_SPAN):
        current: uint256 = self._records[slot + offset]
        if current == 0:
            break
        assert offset != MAX_VETO_SPAN - 1, "bridge: too many batches after the vetoed one"
        self._records[slot + offset] = current | VETOED_FLAG
        last = slot + offset
    # the next batch checks its prevRoot against the last record: give it the fingerprint the chain
    # resumes from (the record before `seq`: a batch not vetoed, or the end of an earlier veto, which
    # was given that fingerprint)
    resume: uint256 = 0
    if slot != 1:
        resume = self._records[slot - 1] >> FINGERPRINT_SHIFT
    last_record: uint256 = self._records[last]
    self._records[last] = (resume << FINGERPRINT_SHIFT) | (last_record & (VETOED_FLAG | DEADLINE_MASK))
    log BatchVetoed(first_seq=seq, last_seq=convert(last, uint64))


@external
def pause():
    """
    @notice Stops sending, attesting, claiming and releasing until `unpause`; guardian only.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian pauses"
    link: uint256 = self._link
    assert link & PAUSED_FLAG == 0, "bridge: already paused"
    self._link = link | PAUSED_FLAG
    log PauseChanged(paused=True)


@external
def unpause():
    """
    @notice Lets the bridge work again; guardian only.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian unpauses"
    link: uint256 = self._link
    assert link & PAUSED_FLAG != 0, "bridge: not paused"
    self._link = link & ~PAUSED_FLAG
    log PauseChanged(paused=False)


@external
def set_custody_key(key_x: uint256, key_y: uint256):
    """
    @notice Replaces the custody group key (after a rotation or a new DKG); guardian only.
    @param key_x The new key's x-coordinate (below the curve order n).
    @param key_y The new key's y-coordinate; (key_x, key_y) must be on secp256k1.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian sets the custody key"
    parity: uint256 = schnorr._check_group_key(key_x, key_y)
    self._custody_key_x = key_x
    self._config = (key_x & ~KEY_HINT_MASK) | (self._config & (WINDOW_MASK << 1)) | parity
    log CustodyKeyChanged(key_x=key_x, key_y_parity=parity)


@external
def set_challenge_window(challenge_window_: uint256):
    """
    @notice Changes the challenge window of batches attested from now on; guardian only.
    @param challenge_window_ Seconds, at most 30 days; zero makes new batches claimable at once.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian sets the challenge window"
    assert challenge_window_ <= MAX_CHALLENGE_WINDOW, "bridge: challenge window is longer than 30 days"
    self._config = (self._config & ~(WINDOW_MASK << 1)) | (challenge_window_ << 1)
    log ChallengeWindowChanged(window=challenge_window_)


@external
def set_token(token: address, remote_token: address, limit: uint256):
    """
    @notice Allowlists `token` (on this chain) as bridged with `remote_token` (on the other), with its
            24-hour limit; a limit of zero delists it. Guardian only. What was paid out in the last
            24 hours still counts against the new limit.
    @param token The token on this chain.
    @param remote_token Its counterpart on the other chain; not zero when allowlisting.
    @param limit What may be paid out in 24 hours before claims queue, below 2**96; 0 to delist.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian sets tokens"
    assert token != empty(address), "bridge: token is the zero address"
    assert limit <= AMOUNT_MASK, "bridge: limit does not fit 96 bits"
    assert limit == 0 or remote_token != empty(address), "bridge: remote token is the zero address"
    flow: uint256 = self._flows[token]
    self._flows[token] = (limit << LIMIT_SHIFT) | (flow & ~(AMOUNT_MASK << LIMIT_SHIFT))
    self._remote_token[token] = remote_token
    log TokenChanged(token=token, remote_token=remote_token, limit=limit)


@external
def set_queue_delay(delay: uint256):
    """
    @notice Changes how long a message over the rate limit waits before `release`; guardian only.
    @param delay Seconds, at most 30 days; messages already queued keep their release time.
    """
    assert msg.sender == _GUARDIAN, "bridge: only the guardian sets the queue delay"
    assert delay <= MAX_QUEUE_DELAY, "bridge: queue delay is longer than 30 days"
    self._queue_delay = delay
    log QueueDelayChanged(delay=delay)


@external
@view
def guardian() -> address:
    """
    @notice Who may veto, pause and configure (the MultisigTreasury in production).
    """
    return _GUARDIAN


@external
@view
def remote() -> (uint256, address):
    """
    @notice The other side: its chain id and its bridge (zero before `initialize`).
    """
    return _REMOTE_CHAIN_ID, convert(self._link & REMOTE_MASK, address)


@external
@view
def paused() -> bool:
    """
    @notice Whether the guardian paused the bridge.
    """
    return self._link & PAUSED_FLAG != 0


@external
@view
def last_nonce() -> uint64:
    """
    @notice The nonce of the last message this bridge sent (0: none yet).
    """
    return convert(self._link >> NONCE_SHIFT, uint64)


@external
@view
def custody_key() -> (uint256, uint256):
    """
    @notice The custody group key batches must be signed with: x and the parity of y.
    """
    return self._custody_key_x, self._config & PARITY_MASK


@external
@view
def challenge_window() -> uint256:
    """
    @notice The challenge window new batches get, in seconds.
    """
    return (self._config >> 1) & WINDOW_MASK


@external
@view
def queue_delay() -> uint256:
    """
    @notice How long a message over the rate limit waits, in seconds.
    """
    return self._queue_delay


@external
@view
def batch(seq: uint64) -> (bytes32, uint256, bool):
    """
    @notice What is stored for batch `seq`.
    @return fingerprint The root's top 216 bits, low 40 bits zero (zero: not attested; for the last batch
            of a veto, the fingerprint the chain resumed from).
    @return deadline When its messages become claimable unless vetoed.
    @return vetoed Whether the guardian vetoed it.
    """
    stored: uint256 = self._records[convert(seq, uint256)]
    return (
        convert((stored >> FINGERPRINT_SHIFT) << FINGERPRINT_SHIFT, bytes32),
        stored & DEADLINE_MASK,
        stored & VETOED_FLAG != 0,
    )


@external
@view
def is_consumed(nonce: uint64) -> bool:
    """
    @notice Whether the message with this nonce from the other bridge was claimed (paid or queued).
    """
    return (self._consumed[convert(nonce, uint256) >> 8] >> (convert(nonce, uint256) & 255)) & 1 != 0


@external
@view
def queued(leaf: bytes32) -> uint256:
    """
    @notice When the queued message with this leaf may be released (zero: not queued).
    """
    return self._queued[leaf]


@external
@view
def token(token: address) -> (address, uint256, uint256):
    """
    @notice A token's bridging: its counterpart, its 24-hour limit and what may be paid out now.
    @return remote_token The other chain's token (zero: never allowlisted).
    @return limit The 24-hour limit (zero: not allowlisted).
    @return available What a claim may pay out now without being queued.
    """
    flow: uint256 = self._flows[token]
    limit: uint256 = flow >> LIMIT_SHIFT
    return self._remote_token[token], limit, limit - min(self._used_now(flow), limit)


@external
@view
def batch_digest(seq: uint64, root: bytes32, count: uint64, prev_root: bytes32) -> bytes32:
    """
    @notice The EIP-712 digest the custody group signs for a batch to this bridge.
    """
    return self._batch_digest(self._link, seq, root, count, prev_root)


@external
@view
def inbound_leaf(message: Message) -> bytes32:
    """
    @notice The leaf of a message from the other bridge to this one.
    """
    return self._inbound_leaf(self._link, message)


@external
@view
def outbound_leaf(message: Message) -> bytes32:
    """
    @notice The leaf of a message from this bridge to the other one.
    """
    return self._leaf(chain.id, _REMOTE_CHAIN_ID, self, convert(self._link & REMOTE_MASK, address), message)


@internal
@view
def _batch_digest(link: uint256, seq: uint64, root: bytes32, count: uint64, prev_root: bytes32) -> bytes32:
    """
    @dev The BridgeBatch digest for a batch from the other bridge to this one.
    """
    return eip712._hash_typed_data(
        keccak256(
            abi_encode(
                BRIDGE_BATCH_TYPEHASH,
                _REMOTE_CHAIN_ID,
                chain.id,
                convert(link & REMOTE_MASK, address),
                self,
                seq,
                root,
                count,
                prev_root,
            )
        )
    )


@internal
@pure
def _leaf(
    src_chain_id: uint256, dst_chain_id: uint256, src_bridge: address, dst_bridge: address, message: Message
) -> bytes32:
    """
    @dev keccak256(abi.encode(srcChainId, dstChainId, srcBridge, dstBridge, nonce, srcToken, dstToken,
         sender, recipient, amount)): `chain.bridge.message_leaf`.
    """
    return keccak256(
        abi_encode(
            src_chain_id,
            dst_chain_id,
            src_bridge,
            dst_bridge,
            message.nonce,
            message.src_token,
            message.dst_token,
            message.sender,
            message.recipient,
            message.amount,
        )
    )


@internal
@view
def _inbound_leaf(link: uint256, message: Message) -> bytes32:
    """
    @dev The leaf of `message` sent by the other bridge to this one.
    """
    return self._leaf(_REMOTE_CHAIN_ID, chain.id, convert(link & REMOTE_MASK, address), self, message)


@internal
@view
def _used_now(flow: uint256) -> uint256:
    """
    @dev What a flow's used amount has decayed to now: it refills at limit / 24 hours.
    """
    elapsed: uint256 = block.timestamp - ((flow >> UPDATED_SHIFT) & TIME_MASK)
    refill: uint256 = elapsed * (flow >> LIMIT_SHIFT) // RATE_PERIOD
    used: uint256 = flow & AMOUNT_MASK
    if refill >= used:
        return 0
    return unsafe_sub(used, refill)


@internal
def _send(token: address, amount: uint256, recipient: address) -> (uint64, address):
    """
    @dev Checks an outgoing message and takes its nonce: the bridge is linked and not paused, the token
         allowlisted, the amount and recipient not zero. Returns the nonce and the other chain's token.
    """
    link: uint256 = self._link
    assert link & REMOTE_MASK != 0, "bridge: not initialized"
    assert link & PAUSED_FLAG == 0, "bridge: paused"
    assert amount != 0, "bridge: amount is zero"
    assert recipient != empty(address), "bridge: recipient is the zero address"
    remote_token: address = self._remote_token[token]
    assert remote_token != empty(address) and self._flows[token] >> LIMIT_SHIFT != 0, (
        "bridge: token is not allowlisted"
    )
    nonce: uint256 = (link >> NONCE_SHIFT) + 1
    assert nonce <= NONCE_LIMIT, "bridge: nonces are used up"
    self._link = (link & (REMOTE_MASK | PAUSED_FLAG)) | (nonce << NONCE_SHIFT)
    return convert(nonce, uint64), remote_token


@internal
@view
def _open_batch(seq: uint64) -> (uint256, uint256):
    """
    @dev Checks that batch `seq` pays out now: the bridge is not paused, and the batch is attested, not
         vetoed and past its deadline. Returns the link slot and the batch record, for `_take`.
    """
    link: uint256 = self._link
    assert link & PAUSED_FLAG == 0, "bridge: paused"
    record: uint256 = self._records[convert(seq, uint256)]
    assert record != 0, "bridge: batch is not attested"
    assert record & VETOED_FLAG == 0, "bridge: batch was vetoed"
    assert block.timestamp >= record & DEADLINE_MASK, "bridge: batch is inside its challenge window"
    return link, record


@internal
def _take(
    link: uint256,
    record: uint256,
    message: Message,
    proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH],
    skip_consumed: bool,
) -> uint256:
    """
    @dev Proves `message` against the batch whose record `_open_batch` returned, consumes its nonce and
         takes it from the token's rate limit. Returns CLAIM_PAID (the caller pays it now), CLAIM_QUEUED
         (over the limit: `release` pays it after the delay) or, only when `skip_consumed`, CLAIM_SKIPPED
         (its nonce was consumed already: nothing changes); without `skip_consumed` that reverts.
    """
    assert message.amount != 0, "bridge: amount is zero"
    assert message.recipient != empty(address), "bridge: recipient is the zero address"
    leaf: bytes32 = self._inbound_leaf(link, message)
    root: uint256 = convert(merkle._process_proof(proof, leaf), uint256)
    assert root >> FINGERPRINT_SHIFT == record >> FINGERPRINT_SHIFT, (
        "bridge: proof does not lead to the batch root"
    )
    word: uint256 = convert(message.nonce, uint256) >> 8
    bit: uint256 = 1 << (convert(message.nonce, uint256) & 255)
    consumed: uint256 = self._consumed[word]
    if consumed & bit != 0:
        assert skip_consumed, "bridge: message already claimed"
        return CLAIM_SKIPPED
    self._consumed[word] = consumed | bit
    flow: uint256 = self._flows[message.dst_token]
    limit: uint256 = flow >> LIMIT_SHIFT
    assert limit != 0, "bridge: token is not allowlisted"
    used: uint256 = self._used_now(flow)
    if message.amount > limit or used + message.amount > limit:
        release_at: uint256 = block.timestamp + self._queue_delay
        self._queued[leaf] = release_at
        log Queued(nonce=message.nonce, leaf=leaf, release_at=release_at)
        return CLAIM_QUEUED
    self._flows[message.dst_token] = (
        (limit << LIMIT_SHIFT) | (block.timestamp << UPDATED_SHIFT) | (used + message.amount)
    )
    log Claimed(nonce=message.nonce)
    return CLAIM_PAID


@internal
def _claim(seq: uint64, message: Message, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH]) -> bool:
    """
    @dev One message of batch `seq` (`_open_batch`, then `_take`; a consumed nonce reverts).
         True: pay it now; False: it was queued (over the limit) and `release` pays it after the delay.
    """
    link: uint256 = 0
    record: uint256 = 0
    link, record = self._open_batch(seq)
    return self._take(link, record, message, proof, False) == CLAIM_PAID


@internal
def _release(message: Message):
    """
    @dev Takes a queued message off the queue once its delay is over, so the caller pays it out.
    """
    link: uint256 = self._link
    assert link & PAUSED_FLAG == 0, "bridge: paused"
    leaf: bytes32 = self._inbound_leaf(link, message)
    release_at: uint256 = self._queued[leaf]
    assert release_at != 0, "bridge: message is not queued"
    assert block.timestamp >= release_at, "bridge: queue delay is not over"
    self._queued[leaf] = 0
    log Released(nonce=message.nonce, leaf=leaf)
    log Claimed(nonce=message.nonce)
