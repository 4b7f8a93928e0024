"""Merkle trees and inclusion proofs, leaves and internal nodes hashed apart, as `contracts/modules/merkle.vy`
checks them.

Settlement batches and bridge batches are anchored on-chain as a Merkle root; anyone holding a leaf and its
proof can then show the leaf was in the batch, in Python (`verify`) or in a contract (`merkle._verify`).

- Hashing is domain-separated as in RFC 6962: a leaf's node is keccak256(0x00 || leaf) (`leaf_node`) and an
  internal node keccak256(0x01 || a || b) (`hash_pair`). A verifier is given the leaf, never its node hash,
  and hashes it itself, so no internal node (the root included) can be presented as a leaf.
- Pairs are sorted (the smaller child first), as OpenZeppelin's `MerkleProof` does, so a proof is only the
  list of sibling hashes from the leaf's node up.
- The tree is OpenZeppelin's `@openzeppelin/merkle-tree` layout: a complete binary tree stored in an array of
  2n−1 nodes, the root at 0, the children of node i at 2i+1 and 2i+2, the leaves' nodes at the end in reverse
  order. An odd node is not duplicated or promoted: the array shape decides where each leaf sits, so leaves
  end up at different depths; leaves are sorted by node hash before they are placed (unless asked not to),
  which makes the root independent of input order.

Because of the prefixes the roots are not OpenZeppelin's (whose trees hash leaves twice and pairs bare, and
whose on-chain verifiers take a leaf's node hash).

`MerkleTree(leaves)` is built over 32-byte leaves; `MerkleTree.of(types, values)` over records, each leaf
being `leaf_hash(types, value)`, keccak256 of the record's ABI encoding.

`MerkleSumTree` is the proof-of-reserves variant: every node also carries the sum of the amounts beneath it,
and its hash commits to both children's sums, so a holder checking their proof also checks that their balance
was neither left out of nor shrunk in the published total. See `sum_leaf` and `sum_parent` for the encoding.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, TypeVar, cast

from eth_abi import encode
from eth_utils import keccak

from chain.errors import MerkleError

HASH_LENGTH = 32
LEAF_PREFIX = b"\x00"
"""The first byte hashed into a leaf's node (RFC 6962's leaf prefix)."""
NODE_PREFIX = b"\x01"
"""The first byte hashed into an internal node (RFC 6962's node prefix)."""
UINT256_LIMIT = 2**256
SUM_LEAF_TYPES = ("bytes32", "uint256")
SUM_NODE_TYPES = ("bytes32", "uint256", "bytes32", "uint256")

Node = TypeVar("Node")


def _check_hash(value: bytes, what: str) -> bytes:
    """The value as `bytes` if it is a 32-byte hash; a `MerkleError` naming `what` otherwise."""
    if not isinstance(value, bytes | bytearray):
        raise MerkleError(f"{what} must be {HASH_LENGTH} bytes, got {type(value).__name__}")
    if len(value) != HASH_LENGTH:
        raise MerkleError(f"{what} must be {HASH_LENGTH} bytes, got {len(value)}")
    return bytes(value)


def _check_amount(amount: int, what: str) -> int:
    """The amount if it is a uint256; a `MerkleError` otherwise (money is integers, never bools or floats)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount < UINT256_LIMIT:
        raise MerkleError(f"{what} must be an integer in [0, 2**256), got {amount!r}")
    return amount


def hash_pair(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes: keccak256(0x01 || the smaller (as a uint256) || the larger)."""
    return keccak(NODE_PREFIX + a + b) if a <= b else keccak(NODE_PREFIX + b + a)


def leaf_node(leaf: bytes) -> bytes:
    """The tree node of a 32-byte leaf: keccak256(0x00 || leaf), which no internal node can equal."""
    return keccak(LEAF_PREFIX + _check_hash(leaf, "leaf"))


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """The leaf of a record: keccak256(abi.encode(values)), 32 bytes whatever the record's size.

    This is what a tree is built over and what a verifier is given (`verify`, `SettlementAnchor.verify`);
    the verifier hashes it into its node (`leaf_node`).
    """
    if len(types) != len(values):
        raise MerkleError(f"{len(types)} types for {len(values)} values")
    return keccak(encode(list(types), list(values)))


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` (sibling hashes, leaf level first) leads to from `leaf` (not its node hash)."""
    return reduce(hash_pair, (_check_hash(node, "proof element") for node in proof), leaf_node(leaf))


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows that `leaf` is in the tree whose root is `root`."""
    return process_proof(leaf, proof) == _check_hash(root, "root")


class _CompleteTree(Generic[Node]):
    """OpenZeppelin's array layout, shared by both trees: 2n−1 nodes, root at 0, leaves' nodes last, reversed.

    `leaf_nodes[i]` is the node of input leaf i; `_tree_index[i]` is where it sits in the array.
    """

    def __init__(
        self,
        leaf_nodes: Sequence[Node],
        parent: Callable[[Node, Node], Node],
        sort_key: Callable[[Node], bytes],
    ) -> None:
        if not leaf_nodes:
            raise MerkleError("a Merkle tree needs at least one leaf")
        size = 2 * len(leaf_nodes) - 1
        order = sorted(range(len(leaf_nodes)), key=lambda i: sort_key(leaf_nodes[i]))
        self._tree_index = [0] * len(leaf_nodes)
        nodes: list[Node | None] = [None] * size
        for position, input_index in enumerate(order):
            self._tree_index[input_index] = size - 1 - position
            nodes[size - 1 - position] = leaf_nodes[input_index]
        for i in range(size - 1 - len(leaf_nodes), -1, -1):
            left, right = nodes[2 * i + 1], nodes[2 * i + 2]
            assert left is not None  # children sit after their parent in the array
            assert right is not None
            nodes[i] = parent(left, right)
        self._nodes: tuple[Node, ...] = tuple(cast(list[Node], nodes))

    def __len__(self) -> int:
        """The number of leaves."""
        return len(self._tree_index)

    def _check_index(self, index: int) -> int:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self):
            raise MerkleError(f"leaf index {index!r} is not in [0, {len(self)})")
        return index

    def _node_proof(self, index: int) -> list[Node]:
        """The siblings of the leaf with input index `index` and of each of its ancestors below the root."""
        node_index = self._tree_index[self._check_index(index)]
        proof = []
        while node_index > 0:
            sibling = node_index + 1 if node_index % 2 == 1 else node_index - 1
            proof.append(self._nodes[sibling])
            node_index = (node_index - 1) // 2
        return proof


class MerkleTree(_CompleteTree[bytes]):
    """A Merkle tree over 32-byte leaves, each placed as its node `leaf_node(leaf)` (see the module docs).

    Any 32-byte values may be leaves: the prefixes keep them apart from internal nodes. `sort_leaves=False`
    keeps input order in the array, as OpenZeppelin's `{sortLeaves: false}`.
    """

    def __init__(self, leaves: Iterable[bytes], *, sort_leaves: bool = True) -> None:
        self._leaves = tuple(_check_hash(leaf, "leaf") for leaf in leaves)
        nodes = [leaf_node(leaf) for leaf in self._leaves]
        super().__init__(nodes, hash_pair, (lambda node: node) if sort_leaves else (lambda _node: b""))

    @classmethod
    def of(
        cls, types: Sequence[str], values: Iterable[Sequence[Any]], *, sort_leaves: bool = True
    ) -> "MerkleTree":
        """A tree of records: each value (a tuple matching `types`) is the leaf `leaf_hash(types, value)`."""
        return cls((leaf_hash(types, value) for value in values), sort_leaves=sort_leaves)

    @property
    def root(self) -> bytes:
        """The root hash: what a contract records and proofs are checked against."""
        return self._nodes[0]

    @property
    def leaves(self) -> tuple[bytes, ...]:
        """The leaves in the order they were given; proofs are asked for by an index into this."""
        return self._leaves

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """Every node in OpenZeppelin's array order (root first); the last `len(self)` are leaves' nodes."""
        return self._nodes

    def index_of(self, leaf: bytes) -> int:
        """The input index of the first leaf equal to `leaf`."""
        try:
            return self._leaves.index(_check_hash(leaf, "leaf"))
        except ValueError:
            raise MerkleError(f"leaf 0x{bytes(leaf).hex()} is not in the tree") from None

    def proof(self, index: int) -> list[bytes]:
        """The proof for the leaf given at position `index`: sibling hashes, leaf level first."""
        return self._node_proof(index)


@dataclass(frozen=True)
class SumNode:
    """A node of a Merkle-sum tree: a hash that commits to everything beneath it, and their total amount."""

    hash: bytes
    total: int

    def __post_init__(self) -> None:
        _check_hash(self.hash, "node hash")
        _check_amount(self.total, "node total")


def sum_leaf(account: bytes, amount: int) -> SumNode:
    """The leaf node for `amount` held by `account`, a 32-byte commitment to the holder (a salted id hash).

    hash = keccak256(0x00 || abi.encode(bytes32 account, uint256 amount)), total = amount: the leaf prefix
    keeps it apart from every internal node (`sum_parent`), so only an (account, amount) entry can be a leaf.
    """
    entry = encode(SUM_LEAF_TYPES, (_check_hash(account, "account"), _check_amount(amount, "amount")))
    return SumNode(keccak(LEAF_PREFIX + entry), amount)


def sum_parent(a: SumNode, b: SumNode) -> SumNode:
    """The parent of two sum nodes: each child's hash and total are committed, the totals added.

    With (left, right) the two children ordered by hash (smaller first, as in `hash_pair`):
    hash = keccak256(0x01 || abi.encode(bytes32 left.hash, uint256 left.total,
                                        bytes32 right.hash, uint256 right.total)),
    total = left.total + right.total, refused if it overflows uint256. Committing both children's totals (not
    only their sum) stops a prover from moving value between siblings unseen.
    """
    left, right = (a, b) if a.hash <= b.hash else (b, a)
    total = left.total + right.total
    if total >= UINT256_LIMIT:
        raise MerkleError("sum of amounts overflows uint256")
    children = encode(SUM_NODE_TYPES, (left.hash, left.total, right.hash, right.total))
    return SumNode(keccak(NODE_PREFIX + children), total)


def process_sum_proof(leaf: SumNode, proof: Sequence[SumNode]) -> SumNode:
    """The root (hash and total) that `proof` (sibling nodes, leaf level first) leads to from the leaf node
    `leaf` (`sum_leaf` of an entry: a verifier builds it from the entry, never takes it from a prover)."""
    return reduce(sum_parent, proof, leaf)


def verify_sum(root: SumNode, account: bytes, amount: int, proof: Sequence[SumNode]) -> bool:
    """Whether `proof` shows the entry (`account`, `amount`) is in the sum tree whose root (hash and published
    total) is `root`."""
    try:
        return process_sum_proof(sum_leaf(account, amount), proof) == root
    except MerkleError:  # a proof whose totals overflow proves nothing
        return False


class MerkleSumTree(_CompleteTree[SumNode]):
    """A Merkle-sum tree over (account, amount) entries, in the same array layout as `MerkleTree`."""

    def __init__(self, entries: Iterable[tuple[bytes, int]], *, sort_leaves: bool = True) -> None:
        self._leaves = tuple(sum_leaf(account, amount) for account, amount in entries)
        super().__init__(
            self._leaves, sum_parent, (lambda node: node.hash) if sort_leaves else (lambda _node: b"")
        )

    @property
    def root(self) -> SumNode:
        """The root: its hash is what gets anchored, its total the reserves the tree claims."""
        return self._nodes[0]

    @property
    def total(self) -> int:
        """The sum of every entry's amount."""
        return self._nodes[0].total

    def leaf(self, index: int) -> SumNode:
        """The leaf node of the entry given at position `index`."""
        return self._leaves[self._check_index(index)]

    def proof(self, index: int) -> list[SumNode]:
        """The proof for the entry given at position `index`: sibling nodes, leaf level first."""
        return self._node_proof(index)
