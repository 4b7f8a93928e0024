"""Merkle trees and inclusion proofs, OpenZeppelin's convention, as `contracts/modules/merkle.vy` checks them.

Settlement batches and bridge batches are anchored on-chain as a Merkle root; anyone holding a leaf and its
proof can then show the leaf was in the batch, in Python (`verify`) or in a contract (`merkle._verify`).

The trees are OpenZeppelin's `@openzeppelin/merkle-tree` trees, node for node:

- an internal node is keccak256 of its two children, the smaller first (`hash_pair`), so a proof is only the
  list of sibling hashes from the leaf up — the same rule as OpenZeppelin's `MerkleProof.sol`;
- the tree is a complete binary tree stored in an array of 2n−1 nodes: the root at 0, the children of node i
  at 2i+1 and 2i+2, the leaves at the end in reverse order. An odd node is not duplicated or promoted: the
  array shape decides where each leaf sits, so leaves end up at different depths;
- leaves are sorted by hash before they are placed (unless asked not to), which makes the root independent of
  input order.

`MerkleTree(leaves)` over bytes32 leaves is OpenZeppelin's `SimpleMerkleTree`; `MerkleTree.of(types, values)`,
whose leaves are `leaf_hash(types, value)`, is its `StandardMerkleTree`.

`MerkleSumTree` is the proof-of-reserves variant: every node also carries the sum of the amounts beneath it,
and its hash commits to both children's sums, so a holder checking their proof also checks that their balance
was neither left out of nor shrunk in the published total. See `sum_parent` for the exact encoding.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, TypeVar, cast

from eth_abi import encode
from eth_utils import keccak

from chain.errors import MerkleError

HASH_LENGTH = 32
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
    """The parent of two nodes: keccak256 of the smaller (as a uint256) followed by the larger."""
    return keccak(a + b) if a <= b else keccak(b + a)


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """OpenZeppelin's standard leaf: keccak256(bytes.concat(keccak256(abi.encode(values)))).

    Hashing twice makes a leaf's preimage 32 bytes while an internal node's is 64, so nobody can present an
    internal node as a leaf (a second-preimage attack on the tree).
    """
    if len(types) != len(values):
        raise MerkleError(f"{len(types)} types for {len(values)} values")
    return keccak(keccak(encode(list(types), list(values))))


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` (sibling hashes, leaf level first) leads to from `leaf`."""
    _check_hash(leaf, "leaf")
    return reduce(hash_pair, (_check_hash(node, "proof element") for node in proof), bytes(leaf))


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows that `leaf` is in the tree whose root is `root`."""
    return process_proof(leaf, proof) == _check_hash(root, "root")


class _CompleteTree(Generic[Node]):
    """OpenZeppelin's array layout, shared by both trees: 2n−1 nodes, root at 0, leaves at the end reversed.

    Leaves are kept in input order; `_tree_index[i]` is where input leaf i sits in the array.
    """

    def __init__(
        self, leaves: Sequence[Node], parent: Callable[[Node, Node], Node], sort_key: Callable[[Node], bytes]
    ) -> None:
        if not leaves:
            raise MerkleError("a Merkle tree needs at least one leaf")
        size = 2 * len(leaves) - 1
        order = sorted(range(len(leaves)), key=lambda i: sort_key(leaves[i]))
        self._leaves = tuple(leaves)
        self._tree_index = [0] * len(leaves)
        nodes: list[Node | None] = [None] * size
        for position, input_index in enumerate(order):
            self._tree_index[input_index] = size - 1 - position
            nodes[size - 1 - position] = leaves[input_index]
        for i in range(size - 1 - len(leaves), -1, -1):
            left, right = nodes[2 * i + 1], nodes[2 * i + 2]
            assert left is not None  # children sit after their parent in the array
            assert right is not None
            nodes[i] = parent(left, right)
        self._nodes: tuple[Node, ...] = tuple(cast(list[Node], nodes))

    def __len__(self) -> int:
        """The number of leaves."""
        return len(self._leaves)

    def _check_index(self, index: int) -> int:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self._leaves):
            raise MerkleError(f"leaf index {index!r} is not in [0, {len(self._leaves)})")
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
    """A Merkle tree over bytes32 leaves, identical to OpenZeppelin's SimpleMerkleTree / StandardMerkleTree.

    Give raw leaves only if they are hashes of data that cannot also be read as two 32-byte hashes; otherwise
    build the tree with `MerkleTree.of`, which double-hashes each value as `leaf_hash` does.
    `sort_leaves=False` keeps input order in the array, as OpenZeppelin's `{sortLeaves: false}`.
    """

    def __init__(self, leaves: Iterable[bytes], *, sort_leaves: bool = True) -> None:
        checked = [_check_hash(leaf, "leaf") for leaf in leaves]
        super().__init__(checked, hash_pair, (lambda leaf: leaf) if sort_leaves else (lambda _leaf: b""))

    @classmethod
    def of(
        cls, types: Sequence[str], values: Iterable[Sequence[Any]], *, sort_leaves: bool = True
    ) -> "MerkleTree":
        """A standard tree: each value (a tuple matching `types`) becomes the leaf `leaf_hash(types, value)`.

        This is OpenZeppelin's `StandardMerkleTree.of(values, types)`.
        """
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
        """Every node in OpenZeppelin's array order (root first): the tree a `dump()` of theirs holds."""
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
    """The leaf for `amount` held by `account`, a 32-byte commitment to the holder (e.g. a salted id hash).

    hash = keccak256(bytes.concat(keccak256(abi.encode(bytes32 account, uint256 amount)))), total = amount:
    OpenZeppelin's double-hashed standard leaf, which cannot collide with an internal node (128-byte input).
    """
    return SumNode(
        leaf_hash(SUM_LEAF_TYPES, (_check_hash(account, "account"), _check_amount(amount, "amount"))), amount
    )


def sum_parent(a: SumNode, b: SumNode) -> SumNode:
    """The parent of two sum nodes: each child's hash and total are committed, the totals added.

    With (left, right) the two children ordered by hash (smaller first, as in `hash_pair`):
    hash = keccak256(abi.encode(bytes32 left.hash, uint256 left.total,
                                bytes32 right.hash, uint256 right.total)),
    total = left.total + right.total, refused if it overflows uint256. Committing both children's totals (not
    only their sum) stops a prover from moving value between siblings unseen.
    """
    left, right = (a, b) if a.hash <= b.hash else (b, a)
    total = left.total + right.total
    if total >= UINT256_LIMIT:
        raise MerkleError("sum of amounts overflows uint256")
    return SumNode(keccak(encode(SUM_NODE_TYPES, (left.hash, left.total, right.hash, right.total))), total)


def process_sum_proof(leaf: SumNode, proof: Sequence[SumNode]) -> SumNode:
    """The root (hash and total) that `proof` (sibling nodes, leaf level first) leads to from `leaf`."""
    return reduce(sum_parent, proof, leaf)


def verify_sum(root: SumNode, leaf: SumNode, proof: Sequence[SumNode]) -> bool:
    """Whether `proof` shows `leaf` is in the sum tree whose root (hash and published total) is `root`."""
    try:
        return process_sum_proof(leaf, proof) == root
    except MerkleError:  # a proof whose totals overflow proves nothing
        return False


class MerkleSumTree(_CompleteTree[SumNode]):
    """A Merkle-sum tree over (account, amount) entries, in the same array layout as `MerkleTree`."""

    def __init__(self, entries: Iterable[tuple[bytes, int]], *, sort_leaves: bool = True) -> None:
        leaves = [sum_leaf(account, amount) for account, amount in entries]
        super().__init__(leaves, sum_parent, (lambda node: node.hash) if sort_leaves else (lambda _node: b""))

    @property
    def root(self) -> SumNode:
        """The root: its hash is what gets anchored, its total the reserves the tree claims."""
        return self._nodes[0]

    @property
    def total(self) -> int:
        """The sum of every entry's amount."""
        return self._nodes[0].total

    def leaf(self, index: int) -> SumNode:
        """The leaf of the entry given at position `index`."""
        return self._leaves[self._check_index(index)]

    def proof(self, index: int) -> list[SumNode]:
        """The proof for the entry given at position `index`: sibling nodes, leaf level first."""
        return self._node_proof(index)
