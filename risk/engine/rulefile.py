"""The rule file (YAML) read into a `RuleSet`, every part checked, every fault named with its file and line.

The file is composed into YAML nodes first (not plain data), so each value still carries its position and
an error can say `rules.yaml:42: rule 'x': amount gte needs amounts per currency`. Duplicate keys, unknown
keys and missing keys are faults too: a typo must not quietly disable a rule. The schema is documented in
docs/risk.md ("Rules engine") and by example in config/risk/rules.yaml.
"""

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from risk.engine.conditions import (
    FIELDS,
    ConditionError,
    Predicate,
    admitted_kinds,
    all_of,
    compile_condition,
    money_table,
)
from risk.engine.errors import RuleFileError
from risk.engine.model import Kind, KycTier, Outcome, Reason
from risk.engine.ruleset import (
    STEP_UP_FACTORS,
    LowValue,
    Rule,
    RuleSet,
    ScaPolicy,
    TierLimit,
    TierLimits,
    TraBand,
)
from risk.engine.velocity import Figure

# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and lines as the pure-Python
# one, about twenty times sooner, which matters because the API composes these files each time it starts.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_OUTCOMES = {outcome.label: outcome for outcome in Outcome}


def load_rules(path: Path) -> RuleSet:
    """Read and compile `path`; `RuleFileError` names the first fault found."""
    root, digest = compose_file(path, "the rule file")
    return _Reader(str(path)).rule_set(root, digest)


def compose_file(path: Path, what: str) -> tuple[Node, str]:
    """`path` composed into YAML nodes (each keeps its line) and the file's digest (a SHA-256 prefix);
    `RuleFileError` when it cannot be read, is not YAML or is empty (`what` names it: "the rule file")."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise RuleFileError(str(path), 0, f"cannot read {what}: {error.strerror}") from None
    try:
        root = yaml.compose(content, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise RuleFileError(str(path), mark.line + 1 if mark else 0, f"not YAML: {error.problem}") from None
    if root is None:
        raise RuleFileError(str(path), 1, f"{what} is empty")
    return root, hashlib.sha256(content).hexdigest()[:16]


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self._constructor = SafeConstructor()
        self.figures: set[Figure] = set()

    def fail(self, node: Node, problem: str) -> RuleFileError:
        return RuleFileError(self.path, node.start_mark.line + 1, problem)

    def mapping(
        self, node: Node, what: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Node]:
        entries = self.entries(node, what)
        unknown = [key for key in entries if key not in required and key not in optional]
        if unknown:
            raise self.fail(entries[unknown[0]], f"{what}: unknown key {unknown[0]!r}")
        missing = [key for key in required if key not in entries]
        if missing:
            raise self.fail(node, f"{what}: missing key {missing[0]!r}")
        return entries

    def entries(self, node: Node, what: str) -> dict[str, Node]:
        """A mapping's values by key; the key's node is kept for an error about the key itself."""
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        entries: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                raise self.fail(key_node, f"{what}: keys are text, not {key!r}")
            if key in entries:
                raise self.fail(key_node, f"{what}: duplicate key {key!r}")
            entries[key] = value_node
        return entries

    def value(self, node: Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def integer(self, node: Node, what: str, minimum: int = 0) -> int:
        value = self.value(node)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(node, f"{what} must be an integer >= {minimum}, not {value!r}")
        return value

    def text(self, node: Node, what: str) -> str:
        value = self.value(node)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(node, f"{what} must be non-empty text")
        return value

    def choice(self, node: Node, what: str, choices: Mapping[str, Any]) -> Any:
        value = self.value(node)
        if not isinstance(value, str) or value not in choices:
            raise self.fail(node, f"{what} must be one of {', '.join(choices)}, not {value!r}")
        return choices[value]

    def money(self, node: Node, what: str) -> dict[str, int]:
        try:
            return money_table(self.value(node), what)
        except ConditionError as error:
            raise self.fail(node, str(error)) from None

    def factors(self, node: Node, what: str) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode) or not node.value:
            raise self.fail(node, f"{what} must be a non-empty list of factors")
        names = tuple(
            self.choice(item, what, {name: name for name in sorted(STEP_UP_FACTORS)}) for item in node.value
        )
        if len(set(names)) != len(names):
            raise self.fail(node, f"{what} lists a factor twice")
        return names

    def rule_set(self, root: Node, digest: str) -> RuleSet:
        top = self.mapping(
            root,
            "the rule file",
            ("version", "windows", "step_up", "kyc_tiers", "sca", "rules"),
            ("mode", "thresholds"),
        )
        if self.value(top["version"]) != 1:
            raise self.fail(top["version"], "version must be 1")
        shadow = "mode" in top and self.choice(top["mode"], "mode", {"enforce": False, "shadow": True})
        windows = {
            name: self.integer(node, f"window {name!r} (seconds)", 1)
            for name, node in self.entries(top["windows"], "windows").items()
        }
        if not windows:
            raise self.fail(top["windows"], "windows must declare at least one window")
        step_up = self.mapping(top["step_up"], "step_up", ("factors", "fallback"))
        rules = self.rules(top["rules"], windows)
        return RuleSet(
            path=self.path,
            digest=digest,
            shadow=shadow,
            windows=windows,
            rules=rules,
            by_kind={kind: tuple(rule for rule in rules if kind in rule.kinds) for kind in Kind},
            thresholds=self.thresholds(top["thresholds"]) if "thresholds" in top else (),
            factors=self.factors(step_up["factors"], "step_up factors"),
            fallback_factors=self.factors(step_up["fallback"], "step_up fallback"),
            tier_limits=self.tier_limits(top["kyc_tiers"], windows),
            sca=self.sca(top["sca"]),
            rule_figures=frozenset(self.figures),
        )

    def thresholds(self, node: Node) -> tuple[tuple[int, Outcome], ...]:
        entries = self.entries(node, "thresholds")
        outcomes = {label: outcome for label, outcome in _OUTCOMES.items() if outcome is not Outcome.ALLOW}
        found = [
            (
                self.integer(value, f"threshold {label}", 1),
                self.choice(_key_node(node, label), "thresholds", outcomes),
            )
            for label, value in entries.items()
        ]
        by_outcome = sorted(found, key=lambda pair: pair[1])
        if [score for score, _ in by_outcome] != sorted(score for score, _ in by_outcome):
            raise self.fail(node, "thresholds must rise with the outcome (step_up <= review <= deny)")
        return tuple(by_outcome)

    def rules(self, node: Node, windows: Mapping[str, int]) -> tuple[Rule, ...]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, "rules must be a list")
        rules: list[Rule] = []
        seen: set[str] = set()
        for item in node.value:
            rule = self.rule(item, windows)
            if rule.id in seen:
                raise self.fail(item, f"rule id {rule.id!r} is used twice")
            seen.add(rule.id)
            rules.append(rule)
        return tuple(rules)

    def rule(self, node: Node, windows: Mapping[str, int]) -> Rule:
        fields = self.mapping(
            node, "a rule", ("id", "when", "outcome", "reason"), ("score", "factors", "shadow")
        )
        rule_id = self.value(fields["id"])
        if not isinstance(rule_id, str) or not RULE_ID.match(rule_id):
            raise self.fail(fields["id"], f"a rule id is lowercase letters, digits and '-', not {rule_id!r}")
        what = f"rule {rule_id!r}"
        outcome = self.choice(fields["outcome"], f"{what}: outcome", _OUTCOMES)
        if outcome is Outcome.STEP_UP and "factors" not in fields:
            raise self.fail(node, f"{what}: a step_up rule names its factors")
        if outcome is not Outcome.STEP_UP and "factors" in fields:
            raise self.fail(fields["factors"], f"{what}: only a step_up rule names factors")
        shadow = False
        if "shadow" in fields:
            shadow = self.value(fields["shadow"])
            if not isinstance(shadow, bool):
                raise self.fail(fields["shadow"], f"{what}: shadow is true or false")
        score = self.integer(fields["score"], f"{what}: score") if "score" in fields else 0
        matches, kinds, matches_for_kind = self.when(fields["when"], what, windows)
        return Rule(
            id=rule_id,
            matches=matches,
            kinds=kinds,
            matches_for_kind=matches_for_kind,
            reason=Reason(rule_id, self.text(fields["reason"], f"{what}: reason"), outcome, score),
            factors=self.factors(fields["factors"], f"{what}: factors") if "factors" in fields else (),
            shadow=shadow,
            line=node.start_mark.line + 1,
        )

    def when(
        self, node: Node, what: str, windows: Mapping[str, int]
    ) -> tuple[Predicate, frozenset[Kind], Predicate]:
        """The rule's conditions as one predicate; the kinds its `kind` conditions admit (all, if it has
        none); and the predicate of its other conditions, which is all there is left to test for an
        assessment of one of those kinds."""
        conditions = self.entries(node, f"{what}: when")
        if not conditions:
            raise self.fail(node, f"{what}: when needs at least one condition")
        kinds = frozenset(Kind)
        kind_tests: list[Predicate] = []
        predicates: list[Predicate] = []
        window_reads: list[Predicate] = []  # tested last: a cheaper condition that fails spares the read
        for name, test in conditions.items():
            # `field: value` is short for `field: {eq: value}`
            operators = (
                self.entries(test, f"{what}: {name}") if isinstance(test, MappingNode) else {"eq": test}
            )
            if not operators:
                raise self.fail(test, f"{what}: {name} needs an operator")
            for op, operand in operators.items():
                reads = kind_tests if name == "kind" else predicates if name in FIELDS else window_reads
                value = self.value(operand)
                try:
                    reads.append(compile_condition(name, op, value, windows, self.figures))
                except ConditionError as error:
                    raise self.fail(operand, f"{what}: {error}") from None
                if name == "kind":
                    kinds &= admitted_kinds(op, value)
        rest = (*predicates, *window_reads)
        return all_of((*kind_tests, *rest)), kinds, all_of(rest)

    def tier_limits(self, node: Node, windows: Mapping[str, int]) -> TierLimits:
        fields = self.mapping(node, "kyc_tiers", ("window", "outcome", "limits"))
        window = self.choice(fields["window"], "kyc_tiers window (a declared window)", windows)
        outcome = self.choice(
            fields["outcome"], "kyc_tiers outcome", {"review": Outcome.REVIEW, "deny": Outcome.DENY}
        )
        tiers = self.mapping(fields["limits"], "kyc_tiers limits", tuple(tier.value for tier in KycTier))
        limits = {}
        for tier in KycTier:
            limit = self.mapping(tiers[tier], f"kyc tier {tier}", ("single", "window"))
            limits[tier] = TierLimit(
                single=self.money(limit["single"], f"kyc tier {tier} single"),
                window_total=self.money(limit["window"], f"kyc tier {tier} window"),
            )
        return TierLimits(window=window, outcome=outcome, limits=limits)

    def sca(self, node: Node) -> ScaPolicy:
        fields = self.mapping(node, "sca", ("required_for", "low_value", "transaction_risk_analysis"))
        kinds = fields["required_for"]
        if not isinstance(kinds, SequenceNode):
            raise self.fail(kinds, "sca required_for must be a list of kinds")
        required_for = frozenset(
            self.choice(item, "sca required_for", {kind.value: kind for kind in Kind}) for item in kinds.value
        )
        low = self.mapping(fields["low_value"], "sca low_value", ("single", "cumulative", "max_count"))
        tra = self.mapping(
            fields["transaction_risk_analysis"],
            "sca transaction_risk_analysis",
            ("fraud_rate_ppm", "max_score", "bands"),
        )
        bands_node = tra["bands"]
        if not isinstance(bands_node, SequenceNode) or not bands_node.value:
            raise self.fail(bands_node, "sca transaction_risk_analysis bands must be a non-empty list")
        bands = []
        for band_node in bands_node.value:
            band = self.mapping(band_node, "a TRA band", ("fraud_rate_ppm", "up_to"))
            bands.append(
                TraBand(
                    fraud_rate_ppm=self.integer(band["fraud_rate_ppm"], "a TRA band's fraud_rate_ppm"),
                    up_to=self.money(band["up_to"], "a TRA band's up_to"),
                )
            )
        return ScaPolicy(
            required_for=required_for,
            low_value=LowValue(
                single=self.money(low["single"], "sca low_value single"),
                cumulative=self.money(low["cumulative"], "sca low_value cumulative"),
                max_count=self.integer(low["max_count"], "sca low_value max_count", 1),
            ),
            fraud_rate_ppm=self.integer(tra["fraud_rate_ppm"], "sca fraud_rate_ppm"),
            tra_max_score=self.integer(tra["max_score"], "sca max_score"),
            tra_bands=tuple(bands),
        )


YamlReader = _Reader
"""The node reader, for other YAML files of `risk` that want the same file:line faults (the monitoring's
thresholds): `mapping`, `entries`, `integer`, `text`, `choice`, `money` and `fail`, each naming the line."""


def _key_node(mapping: Node, key: str) -> Node:
    """The node of `key` itself in a mapping already checked (for an error about the key)."""
    assert isinstance(mapping, MappingNode)
    return next(
        key_node
        for key_node, _ in mapping.value
        if isinstance(key_node, ScalarNode) and key_node.value == key
    )
