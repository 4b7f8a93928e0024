# pragma version ~=0.4.3
"""
@title Settlement anchor: custody-signed Merkle roots of off-chain batches
@license Apache-2.0
@notice Records, per kind of batch (trade settlement, proof of reserves, ...), a chain of Merkle roots
        that the custody group key signed as the EIP-712 intent
        Anchor(uint8 kind,uint64 seq,bytes32 root,uint64 count,uint256 total,bytes32 prevRoot)
        under the domain ("TPWallet", "1", chainId, this contract). Anyone may submit a signed anchor:
        the relayer pays gas and holds no authority.
        Chaining. Each kind's anchors are numbered 1, 2, 3, ... with no gap and no reuse; `prevRoot`
        is the root of the last valid (accepted, not voided) anchor of the kind, or zero when there is
        none (the first anchor).
        Challenge window. Every anchor has a deadline: the anchoring time plus the challenge window in
        force then, raised to the previous anchor's deadline if that is later, so deadlines never
        decrease along a chain. Until its deadline the owner may void it; after it, an anchor that was
        not voided is final (`is_final`) and stays final.
        Voiding. `void(kind, seq)` voids anchor `seq` and every later anchor of the kind: they signed
        a history that runs through the voided root. Seqs are never reused (a voided anchor's
        signature must not be replayable), so the next anchor carries the next unused seq (the last
        anchored seq + 1, voided or not) and, as `prevRoot`, the root of the last valid anchor, which
        is the `prevRoot` the first voided anchor was signed with (`head` returns both seqs). Because
        deadlines never decrease, every anchor a void reaches is still inside its window, so a final
        anchor is never voided.
        Owner. One address, in production the MultisigTreasury, so the owners' threshold lives there;
        it can void, rotate the custody key and change the window, and hands ownership over in two
        steps (propose, accept).
        Custody key. `anchor` reads one configuration slot: the custody key's x with its low 32 bits
        replaced by the challenge window and the key's y parity. The submitter supplies those 32 bits
        (`key_hint`, `custody_key()[0] % 2**32`): a wrong hint makes a different key, which nobody can
        sign for (the submitter cannot know the secret of a point whose x it picked from 2**32 values
        sharing the key's top 224 bits), so the signature check refuses it like any other forgery.
        Storage. One slot per anchor: the root's top 216 bits (its fingerprint), whether the batch has a
        single leaf, and the 39-bit deadline.
        A full root and a timestamp cannot share a slot, and a second fresh slot per anchor would cost
        another 22,100 gas; roots are compared by fingerprint, which leaves an outsider 2**216 work to
        forge a proof against an anchored root (and the custody signers, who choose roots, 2**108 to
        make two trees share one). The full root is in the `Anchored` event. Voids are kept as sorted,
        disjoint seq ranges per kind, written only by `void`.
@dev The Python face is `chain/anchor.py`; `anchor_digest` lets a test hold its digest equal to
     `chain.intents.Anchor.digest`.
     Gas: a steady-state anchor reads three cold slots (its own record, empty, which the write then finds
     warm; the previous record; the configuration) and writes one fresh slot. Records live in one
     mapping keyed by (kind << 64) | seq, one hash per access; the key's full x is kept in a slot of
     its own that only `custody_key` reads.
"""

from .modules import eip712
from .modules import merkle
from .modules import ownable_2step
from .modules import schnorr

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

# @dev hashStruct's type hash of the signed intent; `chain.intents.Anchor` has the same fields in order.
ANCHOR_TYPEHASH: constant(bytes32) = keccak256(
    "Anchor(uint8 kind,uint64 seq,bytes32 root,uint64 count,uint256 total,bytes32 prevRoot)"
)

# @dev The domain of every TPWallet contract.
DOMAIN_NAME: constant(String[8]) = "TPWallet"
DOMAIN_VERSION: constant(String[1]) = "1"

# @dev A record is (fingerprint << FINGERPRINT_SHIFT) | single-leaf flag | deadline: the root's top 216
#      bits, whether the batch has one leaf (count == 1), then the 39-bit deadline.
FINGERPRINT_SHIFT: constant(uint256) = 40
SINGLE_LEAF_SHIFT: constant(uint256) = 39
SINGLE_LEAF_FLAG: constant(uint256) = 2**SINGLE_LEAF_SHIFT
DEADLINE_MASK: constant(uint256) = 2**39 - 1

# @dev The longest challenge window the owner may set (a year), far below what 40-bit deadlines hold and
#      within the WINDOW_BITS the configuration slot gives it.
MAX_CHALLENGE_WINDOW: constant(uint256) = 365 * 86400

# @dev A void range is (first seq << SEQ_BITS) | last seq.
SEQ_BITS: constant(uint256) = 64
SEQ_MASK: constant(uint256) = 2**SEQ_BITS - 1
# @dev Seqs are uint64: a search over them needs at most 64 halvings or doublings.
SEARCH_STEPS: constant(uint256) = 64

# @dev The configuration slot: the custody key's x with its low KEY_HINT_BITS bits replaced by
#      (challenge window << 1) | the key's y parity, so `anchor` reads all three at once.
KEY_HINT_BITS: constant(uint256) = 32
KEY_HINT_MASK: constant(uint256) = 2**KEY_HINT_BITS - 1
PARITY_MASK: constant(uint256) = 1
WINDOW_BITS: constant(uint256) = 25
WINDOW_MASK: constant(uint256) = 2**WINDOW_BITS - 1


event Anchored:
    kind: indexed(uint8)
    seq: indexed(uint64)
    root: bytes32
    count: uint64
    total: uint256
    prev_root: bytes32


event Voided:
    kind: indexed(uint8)
    first_seq: indexed(uint64)
    last_seq: uint64
    resume_seq: uint64


event CustodyKeyChanged:
    previous_key_x: uint256
    key_x: uint256
    key_y_parity: uint256


event ChallengeWindowChanged:
    previous_window: uint256
    window: uint256


# @dev The custody group key's x-coordinate, for `custody_key` (`anchor` reads `_config`, see above).
_custody_key_x: uint256
_config: uint256

# @dev (kind << 64) | seq -> record (zero: nothing anchored). Seqs 1..last of a kind are all non-zero.
_records: HashMap[uint256, uint256]
# @dev kind -> number of void ranges, and kind -> index -> range, sorted by first seq, disjoint and
#      not adjacent (adjacent ranges are merged).
_void_count: HashMap[uint8, uint256]
_voids: HashMap[uint8, HashMap[uint256, uint256]]


@deploy
def __init__(owner_: address, key_x: uint256, key_y: uint256, challenge_window_: uint256):
    """
    @notice Sets up the anchor with its owner, the custody group key and the challenge window.
    @param owner_ The owner (the MultisigTreasury in production); not the zero address.
    @param key_x The custody group key's x-coordinate (below the curve order n).
    @param key_y The custody group key's y-coordinate; (key_x, key_y) must be on secp256k1.
    @param challenge_window_ Seconds during which a new anchor can be voided, at most a year.
    """
    assert owner_ != empty(address), "anchor: owner is the zero address"
    assert challenge_window_ <= MAX_CHALLENGE_WINDOW, "anchor: challenge window is longer than a year"
    eip712.__init__(DOMAIN_NAME, DOMAIN_VERSION)
    ownable_2step.__init__(owner_, "anchor")
    self._custody_key_x = key_x
    self._config = self._configuration(key_x, challenge_window_, schnorr._check_group_key(key_x, key_y))
    log CustodyKeyChanged(previous_key_x=0, key_x=key_x, key_y_parity=key_y & PARITY_MASK)
    log ChallengeWindowChanged(previous_window=0, window=challenge_window_)


@external
def anchor(
    kind: uint8,
    seq: uint64,
    root: bytes32,
    count: uint64,
    total: uint256,
    prev_root: bytes32,
    rx: uint256,
    ry: uint256,
    z: uint256,
    key_hint: uint32,
):
    """
    @notice Records `root` as anchor `seq` of `kind`, on the custody group's signature of the Anchor
            intent with exactly these fields. Anyone may call it.
    @param kind The kind of batch: each kind is its own chain of anchors.
    @param seq The anchor's number: 1 for a kind's first, else the last anchored seq + 1.
    @param root The batch's Merkle root; not zero.
    @param count The number of leaves in the batch; not zero. One lets `verify` take the empty proof.
    @param total What the leaves add up to (a Merkle-sum tree's total; as the batch defines it).
    @param prev_root The root of the kind's last valid anchor; zero when there is none.
    @param rx The x-coordinate of the signature's R.
    @param ry The y-coordinate of the signature's R.
    @param z The signature's response scalar.
    @param key_hint The custody key's x mod 2**32 (`custody_key()[0] % 2**32`); see the notes above.
    """
    fingerprint: uint256 = convert(root, uint256) >> FINGERPRINT_SHIFT
    assert fingerprint != 0, "anchor: root is zero"
    assert count != 0, "anchor: count is zero (an empty batch)"
    # `_slot(kind, seq)`, written out: an internal call costs more than the expression
    slot: uint256 = (convert(kind, uint256) << SEQ_BITS) | convert(seq, uint256)
    # reading the record's slot also warms it for the write below
    assert self._records[slot] == 0, "anchor: seq is already anchored"
    previous: uint256 = 0
    if seq != 1:
        assert seq != 0, "anchor: seq starts at 1"
        # seq >= 2: the kind's previous seq is the slot just below
        previous = self._records[unsafe_sub(slot, 1)]
        assert previous != 0, "anchor: seq is not the next of its kind"
    previous_fingerprint: uint256 = previous >> FINGERPRINT_SHIFT
    assert (
        convert(prev_root, uint256) >> FINGERPRINT_SHIFT == previous_fingerprint
        and (previous_fingerprint != 0 or prev_root == empty(bytes32))
    ), "anchor: prevRoot is not the root of the last valid anchor"
    config: uint256 = self._config
    # a timestamp plus a window of WINDOW_BITS cannot overflow
    deadline: uint256 = max(
        unsafe_add(block.timestamp, (config >> 1) & WINDOW_MASK), previous & DEADLINE_MASK
    )
    assert deadline <= DEADLINE_MASK, "anchor: deadline does not fit 39 bits"
    digest: bytes32 = eip712._hash_typed_data(
        keccak256(abi_encode(ANCHOR_TYPEHASH, kind, seq, root, count, total, prev_root))
    )
    assert schnorr._verify(
        (config & ~KEY_HINT_MASK) | convert(key_hint, uint256), config & PARITY_MASK, digest, rx, ry, z
    ), "anchor: signature is not the custody key's"
    self._records[slot] = (
        (fingerprint << FINGERPRINT_SHIFT) | (convert(count == 1, uint256) << SINGLE_LEAF_SHIFT) | deadline
    )
    log Anchored(kind=kind, seq=seq, root=root, count=count, total=total, prev_root=prev_root)


@external
def void(kind: uint8, seq: uint64):
    """
    @notice Voids anchor `seq` of `kind` and every later anchor of the kind; owner only, and only
            before `seq`'s deadline. The chain resumes from the last valid anchor before `seq`: the
            next anchor carries the next unused seq and that anchor's root as prevRoot.
    @param kind The kind of batch.
    @param seq The first anchor to void; anchored, not voided, its challenge window still open.
    """
    ownable_2step._check_owner()
    record: uint256 = self._records[self._slot(kind, seq)]
    assert record != 0, "anchor: nothing is anchored at this seq"
    assert not self._is_voided(kind, seq), "anchor: seq is already voided"
    assert block.timestamp < record & DEADLINE_MASK, "anchor: challenge window is over"
    last: uint64 = self._last_seq(kind, seq)
    # ranges that start after `seq` lie inside [seq, last]: drop them, then merge with a range ending
    # right before `seq`, if there is one
    kept: uint256 = self._voids_starting_before(kind, convert(seq, uint256))
    first: uint64 = seq
    if kept != 0:
        before: uint256 = self._voids[kind][kept - 1]
        if before & SEQ_MASK == convert(seq, uint256) - 1:
            first = convert(before >> SEQ_BITS, uint64)
            kept -= 1
    self._voids[kind][kept] = (convert(first, uint256) << SEQ_BITS) | convert(last, uint256)
    self._void_count[kind] = kept + 1
    # the next anchor checks its prevRoot against the record of `last`: give it the fingerprint of the
    # root the chain resumes from, which the record before `seq` holds (`seq - 1` is valid, or the end of
    # a voided range whose own record was given that fingerprint)
    resume_fingerprint: uint256 = 0
    if seq != 1:
        resume_fingerprint = self._records[self._slot(kind, seq) - 1] >> FINGERPRINT_SHIFT
    last_slot: uint256 = self._slot(kind, last)
    last_deadline: uint256 = self._records[last_slot] & DEADLINE_MASK
    self._records[last_slot] = (resume_fingerprint << FINGERPRINT_SHIFT) | last_deadline
    log Voided(kind=kind, first_seq=seq, last_seq=last, resume_seq=first - 1)


@external
def set_custody_key(key_x: uint256, key_y: uint256):
    """
    @notice Replaces the custody group key (after a key rotation or a new DKG); owner only. Anchors
            signed by the previous key are refused from now on.
    @param key_x The new key's x-coordinate (below the curve order n).
    @param key_y The new key's y-coordinate; (key_x, key_y) must be on secp256k1.
    """
    ownable_2step._check_owner()
    parity: uint256 = schnorr._check_group_key(key_x, key_y)
    previous_key_x: uint256 = self._custody_key_x
    self._custody_key_x = key_x
    self._config = self._configuration(key_x, (self._config >> 1) & WINDOW_MASK, parity)
    log CustodyKeyChanged(previous_key_x=previous_key_x, key_x=key_x, key_y_parity=parity)


@external
def set_challenge_window(challenge_window_: uint256):
    """
    @notice Changes the challenge window of anchors made from now on; owner only. Deadlines already
            set stay as they are, and a later anchor's deadline is never before an earlier one's.
    @param challenge_window_ The new window in seconds, at most a year; zero makes new anchors final
           at once.
    """
    ownable_2step._check_owner()
    assert challenge_window_ <= MAX_CHALLENGE_WINDOW, "anchor: challenge window is longer than a year"
    config: uint256 = self._config
    self._config = (config & ~(WINDOW_MASK << 1)) | (challenge_window_ << 1)
    log ChallengeWindowChanged(previous_window=(config >> 1) & WINDOW_MASK, window=challenge_window_)


@external
@view
def anchor_digest(
    kind: uint8, seq: uint64, root: bytes32, count: uint64, total: uint256, prev_root: bytes32
) -> bytes32:
    """
    @notice The EIP-712 digest the custody group signs for an anchor with these fields.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @param root The Merkle root.
    @param count The number of leaves.
    @param total What the leaves add up to.
    @param prev_root The root of the kind's last valid anchor, or zero.
    @return The 32-byte digest.
    """
    return eip712._hash_typed_data(
        keccak256(abi_encode(ANCHOR_TYPEHASH, kind, seq, root, count, total, prev_root))
    )


@external
@view
def custody_key() -> (uint256, uint256):
    """
    @notice The custody group key anchors must be signed with.
    @return key_x The key's x-coordinate.
    @return key_y_parity The key's y-coordinate mod 2.
    """
    return self._custody_key_x, self._config & PARITY_MASK


@external
@view
def challenge_window() -> uint256:
    """
    @notice The challenge window new anchors get, in seconds.
    @return The window in seconds.
    """
    return (self._config >> 1) & WINDOW_MASK


@external
@view
def head(kind: uint8) -> (uint64, uint64):
    """
    @notice Where a kind's chain stands: the next anchor carries seq `last_seq + 1` and, as prevRoot,
            the root of anchor `valid_seq` (the zero root when `valid_seq` is 0).
    @param kind The kind of batch.
    @return last_seq The last anchored seq, voided or not (0: none yet).
    @return valid_seq The last valid (not voided) seq (0: none).
    """
    last: uint64 = self._last_seq(kind, 0)
    count: uint256 = self._void_count[kind]
    if count != 0:
        top: uint256 = self._voids[kind][count - 1]
        if top & SEQ_MASK == convert(last, uint256):
            return last, convert((top >> SEQ_BITS) - 1, uint64)
    return last, last


@external
@view
def record(kind: uint8, seq: uint64) -> (bytes32, uint256, bool):
    """
    @notice What is stored for anchor `seq` of `kind`.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @return fingerprint The root's top 216 bits, the low 40 bits zero (all zero: nothing anchored). For
            a voided anchor that was the last one when voided, the fingerprint of the root the chain
            resumed from instead.
    @return deadline The timestamp from which the anchor is final unless voided (0: nothing anchored).
    @return voided Whether the anchor was voided.
    """
    stored: uint256 = self._records[self._slot(kind, seq)]
    return (
        convert((stored >> FINGERPRINT_SHIFT) << FINGERPRINT_SHIFT, bytes32),
        stored & DEADLINE_MASK,
        stored != 0 and self._is_voided(kind, seq),
    )


@external
@view
def is_voided(kind: uint8, seq: uint64) -> bool:
    """
    @notice Whether anchor `seq` of `kind` was voided.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @return True when it was anchored and then voided.
    """
    return self._records[self._slot(kind, seq)] != 0 and self._is_voided(kind, seq)


@external
@view
def is_final(kind: uint8, seq: uint64) -> bool:
    """
    @notice Whether anchor `seq` of `kind` is final: anchored, not voided, and past its deadline.
            A final anchor stays final.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @return True when the anchor is final.
    """
    stored: uint256 = self._records[self._slot(kind, seq)]
    return stored != 0 and block.timestamp >= stored & DEADLINE_MASK and not self._is_voided(kind, seq)


@external
@view
def is_anchored_root(kind: uint8, seq: uint64, root: bytes32) -> bool:
    """
    @notice Whether `root` is the root of anchor `seq` of `kind` and that anchor is not voided
            (compared by fingerprint). It may still be inside its challenge window: see `is_final`.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @param root The root to check.
    @return True when `root` is the anchor's root and the anchor stands.
    """
    return self._matches(kind, seq, convert(root, uint256) >> FINGERPRINT_SHIFT)


@external
@view
def verify(kind: uint8, seq: uint64, leaf: bytes32, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH]) -> bool:
    """
    @notice Whether `proof` shows `leaf` is in the tree of anchor `seq` of `kind`, and that anchor is not
            voided. The anchor may still be inside its challenge window, where the owner can void it: a
            decision that must not be undone later uses `verify_final`.
            Trees are `chain/merkle.py`'s: leaves and internal nodes hashed apart (RFC 6962 prefixes),
            sorted pairs. A batch of one leaf takes the empty proof and only it; a larger batch never does.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @param leaf The leaf itself (`chain.merkle.leaf_hash` of a record's values), not its node hash: the
           contract hashes it, so no internal node, nor the root, can pass for a leaf.
    @param proof The sibling hashes, leaf level first.
    @return True when the proof leads from `leaf` to the anchored root and the anchor stands.
    """
    return self._proves(kind, seq, leaf, proof, False)


@external
@view
def verify_final(
    kind: uint8, seq: uint64, leaf: bytes32, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH]
) -> bool:
    """
    @notice As `verify`, and the anchor is final (`is_final`): past its deadline and not voided. Nobody can
            void a final anchor (a void needs the anchor's window open, and deadlines never decrease along a
            chain, so no void of an earlier seq reaches it), so a true answer here stays true.
    @param kind The kind of batch.
    @param seq The anchor's number.
    @param leaf The leaf itself, not its node hash (see `verify`).
    @param proof The sibling hashes, leaf level first.
    @return True when the proof leads from `leaf` to the anchored root and the anchor is final.
    """
    return self._proves(kind, seq, leaf, proof, True)


@internal
@pure
def _slot(kind: uint8, seq: uint64) -> uint256:
    """
    @dev The key of anchor `seq` of `kind` in `_records`: consecutive seqs of a kind are consecutive keys.
    """
    return (convert(kind, uint256) << SEQ_BITS) | convert(seq, uint256)


@internal
@pure
def _configuration(key_x: uint256, challenge_window_: uint256, parity: uint256) -> uint256:
    """
    @dev The configuration slot's word (see `KEY_HINT_BITS`): the key's x above its hint bits, then the
         window and the parity.
    """
    return (key_x & ~KEY_HINT_MASK) | (challenge_window_ << 1) | parity


@internal
@view
def _proves(
    kind: uint8, seq: uint64, leaf: bytes32, proof: DynArray[bytes32, merkle.MAX_PROOF_DEPTH], final: bool
) -> bool:
    """
    @dev Whether anchor `seq` of `kind` exists, has the root `proof` leads to from `leaf`, is not voided,
         and (when `final`) is past its deadline. The proof is empty exactly when the batch has one leaf.
    """
    stored: uint256 = self._records[self._slot(kind, seq)]
    if stored == 0:
        return False
    if (len(proof) == 0) != (stored & SINGLE_LEAF_FLAG != 0):
        return False
    if final and block.timestamp < stored & DEADLINE_MASK:
        return False
    root: uint256 = convert(merkle._process_proof(proof, leaf), uint256)
    if root >> FINGERPRINT_SHIFT != stored >> FINGERPRINT_SHIFT:
        return False
    return not self._is_voided(kind, seq)


@internal
@view
def _matches(kind: uint8, seq: uint64, fingerprint: uint256) -> bool:
    """
    @dev Whether anchor `seq` of `kind` exists, has this root fingerprint and is not voided.
    """
    stored: uint256 = self._records[self._slot(kind, seq)]
    return stored != 0 and stored >> FINGERPRINT_SHIFT == fingerprint and not self._is_voided(kind, seq)


@internal
@view
def _voids_starting_before(kind: uint8, bound: uint256) -> uint256:
    """
    @dev The number of void ranges of `kind` whose first seq is below `bound` (they come first).
    """
    low: uint256 = 0
    high: uint256 = self._void_count[kind]
    for _: uint256 in range(SEARCH_STEPS):
        if low >= high:
            break
        middle: uint256 = (low + high) // 2
        if self._voids[kind][middle] >> SEQ_BITS < bound:
            low = middle + 1
        else:
            high = middle
    return low


@internal
@view
def _is_voided(kind: uint8, seq: uint64) -> bool:
    """
    @dev Whether `seq` lies in a void range of `kind`: the last range starting at or before it.
    """
    before: uint256 = self._voids_starting_before(kind, convert(seq, uint256) + 1)
    if before == 0:
        return False
    return convert(seq, uint256) <= self._voids[kind][before - 1] & SEQ_MASK


@internal
@view
def _last_seq(kind: uint8, anchored: uint64) -> uint64:
    """
    @dev The last anchored seq of `kind`, searched from `anchored` (a seq known to be anchored, or 0):
         seqs 1..last all have records, so gallop up until an empty one, then halve the gap.
    """
    low: uint256 = convert(anchored, uint256)
    step: uint256 = 1
    high: uint256 = 0
    for _: uint256 in range(SEARCH_STEPS + 1):
        probe: uint256 = low + step
        if probe > SEQ_MASK or self._records[self._slot(kind, convert(probe, uint64))] == 0:
            high = probe
            break
        low = probe
        step <<= 1
    for _: uint256 in range(SEARCH_STEPS):
        if high - low <= 1:
            break
        middle: uint256 = (low + high) // 2
        if middle <= SEQ_MASK and self._records[self._slot(kind, convert(middle, uint64))] != 0:
            low = middle
        else:
            high = middle
    return convert(low, uint64)
