# pragma version ~=0.4.3
"""
@title EIP-712 signing domain
@notice The domain every typed intent of a contract is signed under:
        EIP712Domain(string name,string version,uint256 chainId,address verifyingContract).
        The separator is computed once at deployment and rebuilt whenever the chain id (or the
        executing address) differs from the one cached, so a signature made for one chain can
        never be replayed on a fork that changed its chain id.
        Contracts of TPWallet initialise it with ("TPWallet", "1"); a token initialises it with
        its own name and "1", as EIP-2612 wallets expect.
        `eip712Domain` follows EIP-5267 so wallets can discover the domain.
        The Python twin is `chain/eip712.py`; a test holds the two digests equal.
"""

# @dev The type hash of the domain struct; field order is part of the hash.
EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)

# @dev The EIP-191 prefix of a typed-data digest (version byte 0x01).
EIP712_PREFIX: constant(Bytes[2]) = b"\x19\x01"

# @dev EIP-5267 field bitmap: name (0x01), version (0x02), chainId (0x04) and
#      verifyingContract (0x08) are used; salt (0x10) is not.
EIP5267_FIELDS: constant(bytes1) = 0x0f

# @dev Longest name and version a domain may carry (Vyper strings are bounded).
MAX_NAME_LENGTH: constant(uint256) = 50
MAX_VERSION_LENGTH: constant(uint256) = 20

_NAME: immutable(String[MAX_NAME_LENGTH])
_VERSION: immutable(String[MAX_VERSION_LENGTH])
_HASHED_NAME: immutable(bytes32)
_HASHED_VERSION: immutable(bytes32)
_CACHED_CHAIN_ID: immutable(uint256)
_CACHED_SELF: immutable(address)
_CACHED_DOMAIN_SEPARATOR: immutable(bytes32)


@deploy
def __init__(name_: String[MAX_NAME_LENGTH], version_: String[MAX_VERSION_LENGTH]):
    """
    @dev Fixes the domain's name and version and caches the separator for the deployment chain.
    @param name_ The domain name: "TPWallet" for the project's contracts, the token name for a token.
    @param version_ The domain version; signatures of one version are not valid under another.
    """
    assert len(name_) > 0, "eip712: empty domain name"
    assert len(version_) > 0, "eip712: empty domain version"
    _NAME = name_
    _VERSION = version_
    _HASHED_NAME = keccak256(name_)
    _HASHED_VERSION = keccak256(version_)
    _CACHED_CHAIN_ID = chain.id
    _CACHED_SELF = self
    _CACHED_DOMAIN_SEPARATOR = self._build_domain_separator()


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @notice The EIP-712 domain separator for the chain this call runs on.
    @return The 32-byte separator (the cached one unless the chain id changed since deployment).
    """
    return self._domain_separator()


@external
@view
def eip712Domain() -> (
    bytes1,
    String[MAX_NAME_LENGTH],
    String[MAX_VERSION_LENGTH],
    uint256,
    address,
    bytes32,
    DynArray[uint256, 1],
):
    """
    @notice The signing domain as EIP-5267 describes it, for wallets that build the domain themselves.
    @return fields The bitmap of domain fields in use (name, version, chainId, verifyingContract).
    @return name The domain name.
    @return version The domain version.
    @return chainId The current chain id.
    @return verifyingContract This contract's address.
    @return salt Unused (zero).
    @return extensions Unused (empty).
    """
    return (
        EIP5267_FIELDS,
        _NAME,
        _VERSION,
        chain.id,
        self,
        empty(bytes32),
        empty(DynArray[uint256, 1]),
    )


@internal
@view
def _domain_separator() -> bytes32:
    """
    @dev The cached separator while the chain id and address are those of deployment, else a fresh one.
    @return The 32-byte domain separator.
    """
    if chain.id == _CACHED_CHAIN_ID and self == _CACHED_SELF:
        return _CACHED_DOMAIN_SEPARATOR
    return self._build_domain_separator()


@internal
@view
def _build_domain_separator() -> bytes32:
    """
    @dev hashStruct(EIP712Domain) for the current chain id and this address.
    @return The 32-byte domain separator.
    """
    return keccak256(
        abi_encode(EIP712_DOMAIN_TYPEHASH, _HASHED_NAME, _HASHED_VERSION, chain.id, self)
    )


@internal
@view
def _hash_typed_data(struct_hash: bytes32) -> bytes32:
    """
    @dev The digest a signer signs: keccak256("\x19\x01" || domainSeparator || structHash). The cache
         check of `_domain_separator` is written out here: every signed transaction computes a digest,
         and the internal call cost more than the check.
    @param struct_hash hashStruct(message) of the typed intent.
    @return The 32-byte digest to recover a signer from.
    """
    separator: bytes32 = _CACHED_DOMAIN_SEPARATOR
    if chain.id != _CACHED_CHAIN_ID or self != _CACHED_SELF:
        separator = self._build_domain_separator()
    return keccak256(concat(EIP712_PREFIX, separator, struct_hash))
