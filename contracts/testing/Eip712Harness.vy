# pragma version ~=0.4.3
"""
@title Test harness for the eip712 module and the intents' on-chain encoding
@notice Test-only: computes, with the eip712 module, the digests of the typed intents that
        `chain/intents.py` computes in Python, so a test can hold the two equal. The struct
        encodings here follow the intents' EIP-712 type strings field by field, as the contracts
        that verify those intents must. Never deployed to a real network.
"""

from ..modules import eip712

initializes: eip712

exports: (eip712.DOMAIN_SEPARATOR, eip712.eip712Domain)

TREASURY_TX_TYPEHASH: constant(bytes32) = keccak256(
    "TreasuryTx(address to,address token,uint256 amount,bytes data,uint256 nonce,uint256 deadline)"
)
ANCHOR_TYPEHASH: constant(bytes32) = keccak256(
    "Anchor(uint8 kind,uint64 seq,bytes32 root,uint64 count,uint256 total,bytes32 prevRoot)"
)
BRIDGE_BATCH_TYPEHASH: constant(bytes32) = keccak256(
    "BridgeBatch(uint256 srcChainId,uint256 dstChainId,address srcBridge,address dstBridge,uint64 seq,"
    "bytes32 root,uint64 count,bytes32 prevRoot)"
)

# @dev Longest call data the harness accepts; enough for the tests' generated payloads.
MAX_DATA_LENGTH: constant(uint256) = 2048


@deploy
def __init__(name_: String[eip712.MAX_NAME_LENGTH], version_: String[eip712.MAX_VERSION_LENGTH]):
    """
    @notice Initialises the signing domain with `name_` and `version_`.
    @param name_ The domain name.
    @param version_ The domain version.
    """
    eip712.__init__(name_, version_)


@external
@view
def hash_typed_data(struct_hash: bytes32) -> bytes32:
    """
    @notice The EIP-712 digest of a struct hash under this contract's domain.
    @param struct_hash hashStruct(message).
    @return The digest.
    """
    return eip712._hash_typed_data(struct_hash)


@external
@view
def treasury_tx_digest(
    to: address,
    token: address,
    amount: uint256,
    data: Bytes[MAX_DATA_LENGTH],
    nonce: uint256,
    deadline: uint256,
) -> bytes32:
    """
    @notice The digest of TreasuryTx(to, token, amount, data, nonce, deadline).
    @param to The call's target or the transfer's recipient.
    @param token The token moved (zero address for ether).
    @param amount The amount in base units.
    @param data The call data.
    @param nonce The treasury nonce.
    @param deadline The last valid timestamp.
    @return The digest.
    """
    return eip712._hash_typed_data(
        keccak256(abi_encode(TREASURY_TX_TYPEHASH, to, token, amount, keccak256(data), nonce, deadline))
    )


@external
@view
def anchor_digest(
    kind: uint8, seq: uint64, root: bytes32, count: uint64, total: uint256, prev_root: bytes32
) -> bytes32:
    """
    @notice The digest of Anchor(kind, seq, root, count, total, prevRoot).
    @param kind The kind of anchored tree.
    @param seq The anchor's sequence number.
    @param root The Merkle root.
    @param count The number of leaves.
    @param total The sum the tree commits to.
    @param prev_root The previous anchor's root.
    @return The digest.
    """
    return eip712._hash_typed_data(
        keccak256(abi_encode(ANCHOR_TYPEHASH, kind, seq, root, count, total, prev_root))
    )


@external
@view
def bridge_batch_digest(
    src_chain_id: uint256,
    dst_chain_id: uint256,
    src_bridge: address,
    dst_bridge: address,
    seq: uint64,
    root: bytes32,
    count: uint64,
    prev_root: bytes32,
) -> bytes32:
    """
    @notice The digest of BridgeBatch(srcChainId, dstChainId, srcBridge, dstBridge, seq, root, count,
            prevRoot).
    @param src_chain_id The chain the messages come from.
    @param dst_chain_id The chain the messages go to.
    @param src_bridge The bridge that sent them.
    @param dst_bridge The bridge that pays them out.
    @param seq The batch's sequence number.
    @param root The Merkle root of the messages.
    @param count The number of messages.
    @param prev_root The root of the previous batch not vetoed.
    @return The digest.
    """
    return eip712._hash_typed_data(
        keccak256(
            abi_encode(
                BRIDGE_BATCH_TYPEHASH,
                src_chain_id,
                dst_chain_id,
                src_bridge,
                dst_bridge,
                seq,
                root,
                count,
                prev_root,
            )
        )
    )
