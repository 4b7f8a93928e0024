"""Node policies built in code: a deployment adds what it deployed to a policy, and gets it back validated.

A script that deploys contracts and then writes its signer nodes' ``policy.yaml`` (the devnet does, in
``scripts/_support/stack/deployments.py``) starts from a policy text and adds sections for what it deployed;
every function here returns a new policy validated whole (`custody.policy.config.PolicyConfigError` naming
the bad field otherwise), so a script cannot write a policy the nodes would refuse to start with.

`with_custody_transfers` lets a `MultisigTreasury` on a chain verify `CustodyTransfer` intents (the treasury's
hot-tier transfers the custody group key signs) under transfer rules: per-asset per-transaction and rolling
24-hour limits, optional operator approvals and time locks, destinations, velocity and deadline horizon::

    text = with_custody_transfers(
        devnet_policy_text,
        chain_id=31337,
        treasury=l1.get("MultisigTreasury").address,
        assets={l1.get("tUSD").address: asset_limits(10_000 * 10**6, 100_000 * 10**6)},
    )

`with_bridge_batches` lets a bridge verify `BridgeBatch` intents of the route into it (the batches of
messages it pays out), at most so many signatures a window.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

import yaml

from custody.policy.config import PolicyConfig, policy_data_of, policy_from_data
from custody.policy.errors import PolicyConfigError

DEFAULT_HORIZON_SECONDS: Final = 86_400
DEFAULT_VELOCITY: Final = (600, 3600)
"""At most 600 CustodyTransfer signatures an hour, unless told otherwise."""


def asset_limits(
    per_tx_limit: int,
    rolling_24h_limit: int,
    *,
    approvals: tuple[int, int, Sequence[str]] | None = None,
    time_lock: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One asset's limits in base units: per transaction, per rolling 24 hours; `approvals` is (above,
    required, operator names), `time_lock` (above, delay in seconds)."""
    limits: dict[str, Any] = {"per_tx_limit": per_tx_limit, "rolling_24h_limit": rolling_24h_limit}
    if approvals is not None:
        above, required, operators = approvals
        limits["approvals"] = {"above": above, "required": required, "operators": list(operators)}
    if time_lock is not None:
        above, delay_seconds = time_lock
        limits["time_lock"] = {"above": above, "delay_seconds": delay_seconds}
    return limits


def _chain_allowing(
    data: dict[str, Any], key_id: str | None, chain_id: int, contract: str, intent_type: str
) -> dict[str, Any]:
    """The section of `chain_id` in policy data `data` (the default policy's, or `key_id`'s own), made if
    missing, with `contract` allowed `intent_type` besides what it was allowed already; for the caller to
    add that type's rules to."""
    if key_id is None:
        key_policy = data.setdefault("default", {"chains": {}})
    else:
        key_policy = data.setdefault("keys", {}).setdefault(key_id, {"chains": {}})
    chain: dict[str, Any] = key_policy.setdefault("chains", {}).setdefault(chain_id, {"contracts": {}})
    types = list(chain.setdefault("contracts", {}).get(contract, []))
    if intent_type not in types:
        types.append(intent_type)
    chain["contracts"][contract] = types
    return chain


def add_custody_transfers(
    policy: Mapping[str, Any],
    *,
    chain_id: int,
    treasury: str,
    assets: Mapping[str, Mapping[str, Any]],
    destinations: Sequence[str] | Literal["any"] = "any",
    velocity: tuple[int, int] = DEFAULT_VELOCITY,
    max_deadline_horizon_seconds: int = DEFAULT_HORIZON_SECONDS,
    key_id: str | None = None,
) -> PolicyConfig:
    """A copy of policy data `policy` in which `treasury` on `chain_id` also verifies CustodyTransfer, under
    these rules (`assets`: token address, the zero address for ether, to `asset_limits`), for the default
    policy or, with `key_id`, that key's own; validated. The chain's other contracts and rules are kept; its
    CustodyTransfer rules, if any, are replaced."""
    data = copy.deepcopy(dict(policy))
    chain = _chain_allowing(data, key_id, chain_id, treasury, "CustodyTransfer")
    max_signatures, window_seconds = velocity
    chain["custody_transfer"] = {
        "assets": {token: dict(limits) for token, limits in assets.items()},
        "destinations": destinations if destinations == "any" else list(destinations),
        "max_deadline_horizon_seconds": max_deadline_horizon_seconds,
        "velocity": {"max_signatures": max_signatures, "window_seconds": window_seconds},
    }
    return policy_from_data(data, "policy with CustodyTransfer rules")


def with_custody_transfers(policy_text: str, **rules: Any) -> str:
    """`add_custody_transfers` on a policy file's text (`rules`: its keyword arguments); the new policy as
    YAML text for the nodes' ``policy.yaml``."""
    data = policy_data_of(policy_text)
    if not isinstance(data, Mapping):
        raise PolicyConfigError("<policy>", ["the policy must be a mapping at the top level"])
    return policy_yaml(add_custody_transfers(data, **rules))


def add_bridge_batches(
    policy: Mapping[str, Any],
    *,
    chain_id: int,
    bridge: str,
    src_chain_id: int,
    velocity: tuple[int, int] = DEFAULT_VELOCITY,
    confirmations: int = 0,
    require_chain_witness: bool = False,
) -> PolicyConfig:
    """A copy of policy data `policy` in which `bridge` on `chain_id` also verifies BridgeBatch intents of
    the route from `src_chain_id` into it (the batches that bridge pays out), at most `velocity`
    (signatures, window seconds), each message `confirmations` deep on its source chain, and, with
    `require_chain_witness`, only once the node read both chains itself; validated. The chain's other
    contracts and rules are kept."""
    data = copy.deepcopy(dict(policy))
    chain = _chain_allowing(data, None, chain_id, bridge, "BridgeBatch")
    max_signatures, window_seconds = velocity
    chain["bridge_batch"] = {
        "routes": [{"src_chain_id": src_chain_id, "dst_chain_id": chain_id}],
        "velocity": {"max_signatures": max_signatures, "window_seconds": window_seconds},
        "confirmations": confirmations,
        "require_chain_witness": require_chain_witness,
    }
    return policy_from_data(data, "policy with BridgeBatch rules")


def with_bridge_batches(policy_text: str, **rules: Any) -> str:
    """`add_bridge_batches` on a policy file's text (`rules`: its keyword arguments); the new policy as YAML
    text for the nodes' ``policy.yaml``."""
    data = policy_data_of(policy_text)
    if not isinstance(data, Mapping):
        raise PolicyConfigError("<policy>", ["the policy must be a mapping at the top level"])
    return policy_yaml(add_bridge_batches(data, **rules))


def policy_yaml(policy: PolicyConfig) -> str:
    """A validated policy as the YAML text of a ``policy.yaml`` (addresses quoted, integers exact); it parses
    back to the same policy, with the same hash."""
    data = policy.model_dump(mode="python", exclude_none=True)
    return yaml.safe_dump(_plain(data), sort_keys=False, default_flow_style=False)


def _plain(value: Any) -> Any:
    """Tuples as lists, so the YAML has no Python tags."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
