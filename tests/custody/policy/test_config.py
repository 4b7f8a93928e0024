"""Tests of the policy file: strict validation naming the path of each bad field, defaults, a stable hash."""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from chain.intents import INTENT_TYPES, ZERO_ADDRESS
from custody.errors import CustodyError
from custody.policy.config import load_policy, parse_policy, policy_from_data
from custody.policy.errors import PolicyConfigError
from custody.policy.fields import IntentTypeName
from tests.helpers.policy import (
    ALICE,
    KEY,
    L1,
    L2,
    PAYROLL,
    TREASURY,
    TUSD,
    l1_rules,
    make_policy,
    policy_data,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "policy.example.yaml"
TUSD_PATH = f"default.chains.{L1}.treasury_tx.assets.{TUSD}"


def problems_of(change: Any) -> list[str]:
    with pytest.raises(PolicyConfigError) as caught:
        make_policy(change)
    return caught.value.problems


def test_the_test_policy_and_the_example_load() -> None:
    assert make_policy().operators["alice"] == ALICE.address
    example = load_policy(EXAMPLE)
    assert example.default is not None
    assert set(example.default.chains) == {L1, L2}


def test_policy_intent_types_are_chain_intent_types() -> None:
    assert set(get_args(IntentTypeName)) <= set(INTENT_TYPES)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (lambda d: d.update(extra=1), "extra", "Extra inputs are not permitted"),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx=1),
            f"{TUSD_PATH}.per_tx",
            "Extra inputs are not permitted",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit=1.5),
            f"{TUSD_PATH}.per_tx_limit",
            "valid integer",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit="1000"),
            f"{TUSD_PATH}.per_tx_limit",
            "valid integer",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit=-1),
            f"{TUSD_PATH}.per_tx_limit",
            "greater than or equal to 0",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit=True),
            f"{TUSD_PATH}.per_tx_limit",
            "valid integer",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["velocity"].update(window_seconds=0),
            f"default.chains.{L1}.treasury_tx.velocity.window_seconds",
            "greater than 0",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"].update(destinations=[PAYROLL.lower()]),
            f"default.chains.{L1}.treasury_tx.destinations.0",
            "not an EIP-55 checksummed address",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"].update(destinations=[int(PAYROLL, 16)]),
            f"default.chains.{L1}.treasury_tx.destinations.0",
            "quote it in YAML",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"].update(destinations=[PAYROLL, PAYROLL]),
            f"default.chains.{L1}.treasury_tx.destinations",
            "listed more than once",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"].update(destinations=[]),
            f"default.chains.{L1}.treasury_tx.destinations",
            "at least 1 item",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"].update(destinations="all"),
            f"default.chains.{L1}.treasury_tx.destinations",
            "'any'",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit=10**30),
            TUSD_PATH,
            "per_tx_limit exceeds rolling_24h_limit",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD]["approvals"].update(required=4),
            f"{TUSD_PATH}.approvals",
            "requires 4 approvals but names only 3 operators",
        ),
        (
            lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD]["approvals"].update(
                operators=["alice", "dave"]
            ),
            "(top level)",
            f"{TUSD_PATH}.approvals.operators: ['dave'] not defined under operators",
        ),
        (
            lambda d: d["operators"].update(eve=ALICE.address),
            "(top level)",
            "two names share one address",
        ),
        (
            lambda d: l1_rules(d).pop("anchor"),
            f"default.chains.{L1}",
            "a contract verifies Anchor but there is no anchor section",
        ),
        (
            lambda d: l1_rules(d)["contracts"].update({TREASURY: ["TreasuryTx", "TreasuryTx"]}),
            f"default.chains.{L1}.contracts.{TREASURY}",
            "listed more than once",
        ),
        (
            lambda d: l1_rules(d)["contracts"].update({TREASURY: ["Permit"]}),
            f"default.chains.{L1}.contracts.{TREASURY}.0",
            "Input should be",
        ),
        (
            lambda d: l1_rules(d)["contracts"].pop(TREASURY),
            f"default.chains.{L1}",
            "treasury_tx rules are set but no contract on this chain verifies TreasuryTx",
        ),
        (
            lambda d: l1_rules(d)["bridge_batch"].update(routes=[{"src_chain_id": L1, "dst_chain_id": L1}]),
            f"default.chains.{L1}.bridge_batch.routes.0",
            "two different chains",
        ),
        (
            lambda d: l1_rules(d)["anchor"].update(kinds=[1, 256]),
            f"default.chains.{L1}.anchor.kinds.1",
            "less than or equal to 255",
        ),
        (lambda d: d.pop("default"), "(top level)", "the policy allows nothing"),
        (lambda d: d.update(version=2), "version", "Input should be 1"),
        (lambda d: d.update(keys={"bad key!": d["default"]}), "keys.bad key!.[key]", "should match pattern"),
    ],
)
def test_invalid_fields_are_refused_with_their_path(change: Any, path: str, message: str) -> None:
    problems = problems_of(change)
    assert any(p.startswith(f"{path}: ") and message in p for p in problems), problems


def test_every_bad_field_is_listed_at_once() -> None:
    def two_faults(data: dict[str, Any]) -> None:
        l1_rules(data)["anchor"]["velocity"]["window_seconds"] = -5
        l1_rules(data)["bridge_batch"]["routes"] = [{"src_chain_id": L2, "dst": L1}]

    problems = problems_of(two_faults)
    assert len(problems) >= 2
    assert any(p.startswith(f"default.chains.{L1}.anchor.velocity.window_seconds:") for p in problems)
    assert any(p.startswith(f"default.chains.{L1}.bridge_batch.routes.0.dst:") for p in problems)


def test_policy_errors_are_custody_errors_and_value_errors() -> None:
    with pytest.raises(PolicyConfigError) as caught:
        policy_from_data([1, 2])
    assert isinstance(caught.value, CustodyError)
    assert isinstance(caught.value, ValueError)
    assert "mapping at the top level" in str(caught.value)


def test_yaml_repeating_a_key_is_refused() -> None:
    text = EXAMPLE.read_text().replace(
        "        velocity:  ",
        "        velocity: {max_signatures: 1, window_seconds: 1}\n        velocity:  ",
        1,
    )
    with pytest.raises(PolicyConfigError, match="appears twice"):
        parse_policy(text)


def test_unquoted_yaml_address_is_explained() -> None:
    text = EXAMPLE.read_text().replace(  # the first of the payroll address's entries: treasury_tx's
        '"0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"', "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", 1
    )
    with pytest.raises(PolicyConfigError) as caught:
        parse_policy(text, source="policy.yaml")
    assert caught.value.problems == [
        "default.chains.31337.treasury_tx.destinations.0: a number where text belongs: "
        "quote it in YAML (an unquoted 0x... reads as a number)"
    ]
    assert str(caught.value).startswith("invalid policy policy.yaml:")


def test_yaml_float_amount_is_refused() -> None:
    text = EXAMPLE.read_text().replace("per_tx_limit: 5_000000000000000000", "per_tx_limit: 5.0e18")
    with pytest.raises(
        PolicyConfigError, match=rf"assets\.{ZERO_ADDRESS}\.per_tx_limit: Input should be a valid"
    ):
        parse_policy(text)


def test_unreadable_and_malformed_files_are_policy_errors(tmp_path: Path) -> None:
    with pytest.raises(PolicyConfigError, match="cannot read the file"):
        load_policy(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: [1\n")
    with pytest.raises(PolicyConfigError, match="not valid YAML"):
        load_policy(broken)


def test_any_destination_must_be_said_explicitly() -> None:
    config = make_policy(lambda d: l1_rules(d)["treasury_tx"].update(destinations="any"))
    rules = config.default.chains[L1].treasury_tx if config.default else None
    assert rules is not None
    assert rules.destinations == "any"
    assert problems_of(lambda d: l1_rules(d)["treasury_tx"].pop("destinations"))


def test_a_key_of_its_own_replaces_the_default() -> None:
    def own_key(data: dict[str, Any]) -> None:
        data["keys"] = {"cold": {"chains": {L2: l1_rules(data)}}}

    config = make_policy(own_key)
    assert config.key_policy(KEY) == config.default
    cold = config.key_policy("cold")
    assert cold is not None
    assert set(cold.chains) == {L2}

    def only_cold(data: dict[str, Any]) -> None:
        own_key(data)
        del data["default"]

    assert make_policy(only_cold).key_policy(KEY) is None


def test_hash_ignores_spelling_and_order_but_not_meaning() -> None:
    base = make_policy()
    data = policy_data()
    l1_rules(data)["anchor"]["kinds"] = [2, 1]
    l1_rules(data)["treasury_tx"]["assets"][TUSD]["approvals"]["operators"] = ["carol", "alice", "bob"]
    reordered = dict(reversed(list(data.items())))
    assert policy_from_data(reordered).policy_hash() == base.policy_hash()

    as_yaml = yaml.safe_dump(policy_data(), sort_keys=False)
    assert parse_policy("# a comment\n" + as_yaml).policy_hash() == base.policy_hash()

    tighter = make_policy(lambda d: l1_rules(d)["treasury_tx"]["assets"][TUSD].update(per_tx_limit=1))
    assert tighter.policy_hash() != base.policy_hash()
    explicit_default = make_policy(lambda d: l1_rules(d)["treasury_tx"].update(allow_call_data=False))
    assert explicit_default.policy_hash() == base.policy_hash()


def test_hash_is_sha256_of_the_canonical_json() -> None:
    config = make_policy()
    canonical = config.canonical_json()
    assert hashlib.sha256(canonical).hexdigest() == config.policy_hash()
    assert canonical == json.dumps(json.loads(canonical), sort_keys=True, separators=(",", ":")).encode()


def test_bridge_witness_settings_are_read_and_their_defaults_keep_the_hash() -> None:
    """`confirmations` and `require_chain_witness` at their defaults are left out of the canonical form, so
    the hashes of policies written before them (in old audit records) still hold."""
    base = make_policy()

    def witness(**settings: Any) -> Callable[[dict[str, Any]], None]:
        return lambda data: l1_rules(data)["bridge_batch"].update(settings)

    explicit_defaults = make_policy(witness(confirmations=0, require_chain_witness=False))
    strict = make_policy(witness(confirmations=12, require_chain_witness=True))
    rules = strict.bridge_batch_rules(KEY, L1)

    assert b"confirmations" not in base.canonical_json()
    assert explicit_defaults.policy_hash() == base.policy_hash()
    assert strict.policy_hash() != base.policy_hash()
    assert rules is not None
    assert (rules.confirmations, rules.require_chain_witness) == (12, True)
    assert strict.bridge_batch_rules(KEY, L2) is None
    assert problems_of(witness(confirmations=-1)) == [
        f"default.chains.{L1}.bridge_batch.confirmations: Input should be greater than or equal to 0"
    ]
    assert problems_of(witness(require_chain_witness="yes")) == [
        f"default.chains.{L1}.bridge_batch.require_chain_witness: Input should be a valid boolean"
    ]
