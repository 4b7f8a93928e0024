"""The `chain` package's exceptions: one hierarchy, so callers can catch `ChainError` and map it once.

Messages name the file, contract or URL that was wrong and what to do about it; they never carry key
material or signatures.
"""


class ChainError(Exception):
    """Base of every error raised by the `chain` package."""


class DeploymentsError(ChainError):
    """A deployments registry (`deployments/<network>.json`) is missing, malformed or does not fit."""


class DeploymentsFileMissing(DeploymentsError):
    """No registry has been written for the network yet (nothing deployed there)."""


class UnknownDeployment(DeploymentsError):
    """The registry has no contract of that name."""


class ChainIdMismatch(ChainError):
    """A registry or record made for one chain was used against another."""


class ArtifactError(ChainError):
    """Contract artifacts (ABI, bytecode) are missing or do not describe what was asked."""


class ManifestMissing(ArtifactError):
    """Ape's build manifest does not exist: the contracts have not been compiled."""


class UnknownContractType(ArtifactError):
    """The build manifest has no contract type of that name."""


class DeploymentFailed(ChainError):
    """A contract-creation transaction was mined but reverted."""


class RpcError(ChainError):
    """A node URL is unusable or the node does not answer."""


class InvalidRpcUrl(RpcError, ValueError):
    """The node URL cannot name a node (no host, say)."""


class UnsupportedRpcScheme(InvalidRpcUrl):
    """The URL's scheme is none of http, https, ws, wss."""


class RpcUnavailable(RpcError):
    """The node did not answer within the time allowed."""


class MerkleError(ChainError, ValueError):
    """A Merkle tree or proof was asked for with invalid input (no leaves, a leaf not 32 bytes, ...)."""
