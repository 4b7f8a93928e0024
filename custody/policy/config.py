"""The signer node's policy file: a strict, hashed statement of what each custody key may sign (YAML).

Every node holds its own copy (``policy.yaml``) and checks every intent against it before releasing a share,
so a compromised coordinator cannot talk a node into signing what its operators never allowed. The file is
*default deny*: a key, chain, verifying contract, intent type, asset, destination or bridge route that is not
written down is refused. Layout (every level refuses unknown keys)::

    version: 1
    operators:                      # named approvers: name -> EIP-55 address
      alice: "0x7099...79C8"
    default:                        # the policy of any key not listed under `keys` (optional)
      chains:
        31337:                      # domain chainId
          contracts:                # verifyingContract -> the intent types it may be asked to verify
            "0x9fE4...a6e0": [TreasuryTx]
          treasury_tx:
            destinations: ["0x15d3...6A65"]     # or the word any, explicitly
            allow_call_data: false              # default: refuse TreasuryTx with non-empty data
            max_deadline_horizon_seconds: 86400
            velocity: {max_signatures: 20, window_seconds: 3600}
            assets:                             # token address (0x000...0 for ether) -> limits
              "0x5FbD...0aa3":
                per_tx_limit: 25000000000       # base units (tUSD has 6 decimals)
                rolling_24h_limit: 100000000000
                approvals: {above: 10000000000, required: 2, operators: [alice, bob, carol]}
                time_lock: {above: 50000000000, delay_seconds: 3600}
          custody_transfer: {...}               # the treasury's hot-tier CustodyTransfer: treasury_tx's
                                                # fields but allow_call_data (it carries no call data)
          anchor: {kinds: [1, 2], velocity: {...}}
          bridge_batch: {routes: [{src_chain_id: 31337, dst_chain_id: 31338}], velocity: {...},
                         confirmations: 2, require_chain_witness: true}
    keys:                           # per key id, replacing `default` for that key entirely
      <key_id>: {chains: ...}

Values are strict: amounts are YAML integers in base units (``1_000_000`` is fine, ``1e6`` and ``"1000"``
are refused: money is never a float or a string), addresses are quoted EIP-55 strings (YAML reads an
unquoted ``0x...`` as a number), lists that are sets (destinations, kinds, routes, operators, intent types)
refuse repeats, and a YAML mapping that repeats a key is refused rather than silently keeping the last value.
Every error names the path of the bad field, e.g. ``default.chains.31337.anchor.velocity.window_seconds``.

`PolicyConfig.policy_hash` is the SHA-256 of the canonical JSON of the validated policy (sorted keys, sets
sorted, defaults filled in), so comments, key order and spelling of the YAML do not change it while any
change of meaning does. Every decision carries it: an audit record says which policy allowed a signature.
"""

import hashlib
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    Tag,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chain.files import canonical_json
from custody.policy.errors import PolicyConfigError
from custody.policy.fields import (
    Address,
    Amount,
    AnchorKind,
    ChainId,
    Count,
    IntentTypeName,
    Name,
    Seconds,
    as_set,
)

MAX_CONFIRMATIONS: Final = 10_000
"""A bridge batch's depth bound: deeper than a day of 12-second blocks is a typo, not a policy."""
ROLLING_WINDOW_SECONDS: Final = 24 * 60 * 60
"""The hot-tier spending window: a limit counts what the key signed in the last 24 hours, sliding."""


def _route_order(route: "BridgeRoute") -> tuple[int, int]:
    return route.src_chain_id, route.dst_chain_id


class _Section(BaseModel):
    """A policy section: immutable, and a key it does not define is an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Velocity(_Section):
    """At most `max_signatures` signatures of an intent type by a key on a chain in any `window_seconds`."""

    max_signatures: Count
    window_seconds: Seconds


class ApprovalRule(_Section):
    """Above `above` base units, `required` distinct operators among `operators` must approve the request."""

    above: Amount
    required: Count
    operators: Annotated[tuple[Name, ...], Field(min_length=1), AfterValidator(as_set)]

    @model_validator(mode="after")
    def _satisfiable(self) -> "ApprovalRule":
        if self.required > len(self.operators):
            raise PydanticCustomError(
                "approvals",
                "requires {required} approvals but names only {named} operators",
                {"required": self.required, "named": len(self.operators)},
            )
        return self


class TimeLock(_Section):
    """Above `above` base units, a request must have been first seen by this node `delay_seconds` ago."""

    above: Amount
    delay_seconds: Seconds


class AssetLimits(_Section):
    """The hot-tier limits of one asset: per transaction, per rolling 24 hours, and what needs more checks."""

    per_tx_limit: Amount
    rolling_24h_limit: Amount
    approvals: ApprovalRule | None = None
    time_lock: TimeLock | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "AssetLimits":
        if self.per_tx_limit > self.rolling_24h_limit:
            raise PydanticCustomError(
                "limits", "per_tx_limit exceeds rolling_24h_limit: one transaction could never use it"
            )
        return self


def _destinations_tag(value: Any) -> str:
    return "any" if isinstance(value, str) else "list"


Destinations = Annotated[
    Annotated[Literal["any"], Tag("any")]
    | Annotated[tuple[Address, ...], Field(min_length=1), AfterValidator(as_set), Tag("list")],
    Discriminator(_destinations_tag),
]
"""Either the explicit word "any" or a non-empty allowlist of destination addresses."""


class TransferRules(_Section):
    """What a transfer may do: which assets up to which limits, to whom, how often, with which deadline."""

    assets: Annotated[dict[Address, AssetLimits], Field(min_length=1)]
    destinations: Destinations
    max_deadline_horizon_seconds: Seconds
    velocity: Velocity


class TreasuryTxRules(TransferRules):
    """The rules of a TreasuryTx: a transfer's, and whether it may carry call data."""

    allow_call_data: StrictBool = False


class CustodyTransferRules(TransferRules):
    """The rules of a CustodyTransfer (the treasury's hot-tier transfer the custody key signs): a transfer's;
    it carries no call data."""


class AnchorRules(_Section):
    """Which Merkle-root kinds the key may anchor, and how often."""

    kinds: Annotated[tuple[AnchorKind, ...], Field(min_length=1), AfterValidator(as_set)]
    velocity: Velocity


class BridgeRoute(_Section):
    """One direction a bridge batch may travel."""

    src_chain_id: ChainId
    dst_chain_id: ChainId

    @model_validator(mode="after")
    def _two_chains(self) -> "BridgeRoute":
        if self.src_chain_id == self.dst_chain_id:
            raise PydanticCustomError("route", "a bridge route joins two different chains")
        return self


class BridgeBatchRules(_Section):
    """Which (source, destination) chain pairs the key may sign batches for, and how often; and what the
    node's chain witness (`custody.node.chain_witness`) must see before it signs one.

    `confirmations`: how many blocks must be built on the block of each message's source event (the relay's
    depth counts the same way; 0: mined). `require_chain_witness`: refuse a batch the node could not check on
    both chains itself (no RPC URL for one of them, or no messages sent with the intent); without it such a
    batch is judged by the other rules, and the audit record says the chains were not read.
    """

    routes: Annotated[
        tuple[BridgeRoute, ...],
        Field(min_length=1),
        AfterValidator(lambda routes: as_set(routes, _route_order)),
    ]
    velocity: Velocity
    confirmations: Annotated[StrictInt, Field(ge=0, le=MAX_CONFIRMATIONS)] = 0
    require_chain_witness: StrictBool = False

    @model_serializer(mode="wrap")
    def _leave_out_witness_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Rules that leave the witness settings at their defaults serialise as before they existed, so the
        hash of every policy written before them (`PolicyConfig.policy_hash`) stays what it was."""
        data: dict[str, Any] = handler(self)
        for name in ("confirmations", "require_chain_witness"):
            if data.get(name) == type(self).model_fields[name].default:
                data.pop(name)
        return data


_RULES_FIELD: Final[Mapping[str, str]] = {
    "TreasuryTx": "treasury_tx",
    "CustodyTransfer": "custody_transfer",
    "Anchor": "anchor",
    "BridgeBatch": "bridge_batch",
}
"""Which `ChainPolicy` field holds the rules of each intent type."""


class ChainPolicy(_Section):
    """One chain: the contracts a node may sign for there, and the rules of each intent type."""

    contracts: Annotated[
        dict[Address, Annotated[tuple[IntentTypeName, ...], Field(min_length=1), AfterValidator(as_set)]],
        Field(min_length=1),
    ]
    treasury_tx: TreasuryTxRules | None = None
    custody_transfer: CustodyTransferRules | None = None
    anchor: AnchorRules | None = None
    bridge_batch: BridgeBatchRules | None = None

    @model_serializer(mode="wrap")
    def _leave_out_absent_custody_transfer(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A chain without CustodyTransfer rules serialises as before they existed, so the hash of every
        policy written before them (`PolicyConfig.policy_hash`, in audit records) stays what it was."""
        data: dict[str, Any] = handler(self)
        if data.get("custody_transfer") is None:
            data.pop("custody_transfer", None)
        return data

    @model_validator(mode="after")
    def _rules_match_contracts(self) -> "ChainPolicy":
        verified = {intent_type for types in self.contracts.values() for intent_type in types}
        for intent_type, field in _RULES_FIELD.items():
            has_rules = getattr(self, field) is not None
            if intent_type in verified and not has_rules:
                raise PydanticCustomError(
                    "rules",
                    "a contract verifies {t} but there is no {f} section",
                    {"t": intent_type, "f": field},
                )
            if has_rules and intent_type not in verified:
                raise PydanticCustomError(
                    "rules",
                    "{f} rules are set but no contract on this chain verifies {t}",
                    {"t": intent_type, "f": field},
                )
        return self

    def allows_contract(self, verifying_contract: str, intent_type: str) -> bool:
        """Whether `verifying_contract` is listed here as verifying intents of `intent_type`."""
        return intent_type in self.contracts.get(verifying_contract, ())


class KeyPolicy(_Section):
    """Everything one custody key may sign, chain by chain (a chain not listed is refused)."""

    chains: Annotated[dict[ChainId, ChainPolicy], Field(min_length=1)]


class PolicyConfig(_Section):
    """A whole policy file; see the module docstring for its layout."""

    version: Literal[1]
    operators: dict[Name, Address] = Field(default_factory=dict)
    default: KeyPolicy | None = None
    keys: dict[Name, KeyPolicy] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "PolicyConfig":
        if self.default is None and not self.keys:
            raise PydanticCustomError("keys", "the policy allows nothing: give a default or at least one key")
        addresses = list(self.operators.values())
        if len(set(addresses)) != len(addresses):
            raise PydanticCustomError("operators", "operators: two names share one address")
        for path, rule in self._approval_rules():
            unknown = [name for name in rule.operators if name not in self.operators]
            if unknown:
                raise PydanticCustomError(
                    "operators",
                    "{path}.operators: {unknown} not defined under operators",
                    {"path": path, "unknown": str(unknown)},
                )
        return self

    def _approval_rules(self) -> list[tuple[str, ApprovalRule]]:
        """Every approval rule with its path in the file, for cross-checks against `operators`."""
        policies = [("default", self.default)] + [
            (f"keys.{key}", key_policy) for key, key_policy in self.keys.items()
        ]
        return [
            (f"{label}.chains.{chain_id}.{section}.assets.{asset}.approvals", limits.approvals)
            for label, key_policy in policies
            if key_policy is not None
            for chain_id, chain in key_policy.chains.items()
            for section, rules in (
                ("treasury_tx", chain.treasury_tx),
                ("custody_transfer", chain.custody_transfer),
            )
            if rules is not None
            for asset, limits in rules.assets.items()
            if limits.approvals is not None
        ]

    def key_policy(self, key_id: str) -> KeyPolicy | None:
        """The policy of `key_id`: its own entry, else the default, else None (the key may sign nothing)."""
        return self.keys.get(key_id, self.default)

    def bridge_batch_rules(self, key_id: str, chain_id: int) -> BridgeBatchRules | None:
        """The BridgeBatch rules of `key_id` for batches attested on chain `chain_id` (None: it may sign none
        there)."""
        key_policy = self.key_policy(key_id)
        chain = None if key_policy is None else key_policy.chains.get(chain_id)
        return None if chain is None else chain.bridge_batch

    def operator_addresses(self, names: tuple[str, ...]) -> dict[str, str]:
        """Address -> name for the named operators (names are checked against `operators` at load)."""
        return {self.operators[name]: name for name in names}

    def canonical_json(self) -> bytes:
        """The validated policy as canonical JSON: sorted keys, no spaces, ASCII, defaults filled in."""
        return canonical_json(self.model_dump(mode="json"))

    def policy_hash(self) -> str:
        """SHA-256 (hex) of `canonical_json`: which policy a decision was made under."""
        return hashlib.sha256(self.canonical_json()).hexdigest()


class _StrictYamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, except that a mapping repeating a key is an error, not "last one wins"."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, Hashable):
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"key {key!r} appears twice",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_policy(path: str | Path) -> PolicyConfig:
    """Read and validate the policy file at `path`; PolicyConfigError naming every bad field otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyConfigError(str(path), [f"cannot read the file: {exc}"]) from None
    return parse_policy(text, source=str(path))


def parse_policy(text: str, source: str = "<policy>") -> PolicyConfig:
    """Validate a policy given as YAML text; `source` names it in errors."""
    return policy_from_data(policy_data_of(text, source), source)


def policy_data_of(text: str, source: str = "<policy>") -> Any:
    """A policy's YAML text as data, read strictly (a mapping repeating a key is an error), not validated."""
    try:
        return yaml.load(text, Loader=_StrictYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PolicyConfigError(source, [f"not valid YAML: {exc}"]) from None


def policy_from_data(data: Any, source: str = "<policy>") -> PolicyConfig:
    """Validate a policy given as already-parsed data (a mapping, as YAML or JSON would give)."""
    if not isinstance(data, Mapping):
        raise PolicyConfigError(source, ["the policy must be a mapping at the top level"])
    try:
        return PolicyConfig.model_validate(data)
    except ValidationError as exc:
        raise PolicyConfigError(source, _problems(exc)) from None


def _problems(error: ValidationError) -> list[str]:
    """One "path: message" line per validation error; the path is the field's location in the file."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        loc = [str(part) for part in item["loc"]]
        if "destinations" in loc:  # drop the union branch tag pydantic puts after the field name
            at = loc.index("destinations") + 1
            if loc[at : at + 1] in (["any"], ["list"]):
                del loc[at]
        path = ".".join(loc) or "(top level)"
        problems.append(f"{path}: {item['msg']}")
    return problems
