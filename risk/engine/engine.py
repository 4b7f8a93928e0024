"""The rules engine: an assessment in, a decision out; recorded decisions feed the velocity windows.

`decide` is a function of the assessment, the rule set in force and the engine's state (windows, low-value
counters); it changes none of them, so asking twice answers the same. `record` is the caller saying the
action went ahead as decided: only then do the windows and counters move. The outcome is the strictest of
the matched enforced rules, raised by the score thresholds and the KYC tier limits, then by SCA: an action
SCA covers that would be allowed needs a step-up unless an exemption applies.

A device the caller could not verify (`device_id` without `device_verified`: nothing proved the device took
part) adds the reason `device-unverified` (outcome `allow`, score 0): it changes no outcome by itself, but
the decision says, for the operator reading it, that the device was a claim, not proof (the payment
guard counts such a device as new: `payments.intents.guard.facts`).
"""

from risk.engine.exemptions import exemption
from risk.engine.facts import BENEFICIARY_DIMENSION, Facts
from risk.engine.geo import CountryLookup
from risk.engine.model import Assessment, Decision, Exemption, Kind, Outcome, Reason
from risk.engine.reload import RuleSource
from risk.engine.ruleset import RuleSet
from risk.engine.velocity import DEFAULT_MAX_KEYS, Dimension, VelocityWindows

_MOVES_MONEY = frozenset({Kind.PAYMENT, Kind.PAYOUT})
# Module constants: reading an enum member through its class costs more than a whole comparison (Python 3.11).
_ALLOW, _STEP_UP, _DENY = Outcome.ALLOW, Outcome.STEP_UP, Outcome.DENY
_UNVERIFIED_DEVICE = Reason(
    "device-unverified",
    "the device id is a claim its device did not sign: a signal, never proof of a known device",
    _ALLOW,
    0,
)
_CUSTOMER, _DEVICE, _IP = Dimension.CUSTOMER, Dimension.DEVICE, Dimension.IP


class RiskEngine:
    def __init__(
        self, rules: RuleSource, countries: CountryLookup, *, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        self.rules = rules
        self.countries = countries
        self.windows = VelocityWindows(rules.current().figures, max_keys=max_keys)
        self._tracked = frozenset(self.windows.dimensions)
        # subject -> currency -> [count, total] of the low-value exemptions since the subject's last SCA
        self._since_sca: dict[str, dict[str, list[int]]] = {}

    def decide(self, assessment: Assessment) -> Decision:
        rule_set = self.rules.current()
        facts = Facts(assessment, self.windows, self.countries)
        outcome = shadow_outcome = _ALLOW
        score = shadow_score = 0
        reasons: list[Reason] = []
        shadow: list[Reason] = []
        factors: list[str] = []
        for rule in rule_set.by_kind[assessment.kind]:
            if not rule.matches_for_kind(facts):
                continue
            reason = rule.reason
            if rule.shadow or rule_set.shadow:
                shadow.append(reason)
                shadow_score += reason.score
                if reason.outcome > shadow_outcome:
                    shadow_outcome = reason.outcome
                continue
            reasons.append(reason)
            score += reason.score
            if reason.outcome > outcome:
                outcome = reason.outcome
            for factor in rule.factors:
                if factor not in factors:
                    factors.append(factor)
        for at, raised in rule_set.thresholds:
            if score >= at and raised > outcome:
                outcome = raised
                reasons.append(Reason(f"score-{raised.label}", f"score {score} reaches {at}", raised, 0))
            if score + shadow_score >= at:
                shadow_outcome = max(shadow_outcome, raised)
        if assessment.kind in _MOVES_MONEY:
            over = _tier_limit_reason(rule_set, facts)
            if over is not None:
                reasons.append(over)
                outcome = max(outcome, over.outcome)
        if assessment.device_id is not None and not assessment.device_verified:
            reasons.append(_UNVERIFIED_DEVICE)
        granted, note = self._exemption(rule_set, assessment, outcome, score)
        if outcome is _ALLOW and granted is None and assessment.kind in rule_set.sca.required_for:
            outcome = _STEP_UP
            reasons.append(Reason("sca-required", f"SCA required: {note}", _STEP_UP, 0))
        return Decision(
            outcome=outcome,
            score=score,
            reasons=tuple(reasons),
            shadow=tuple(shadow),
            shadow_outcome=max(outcome, shadow_outcome),
            factors=(tuple(factors) or rule_set.factors) if outcome is _STEP_UP else (),
            fallback_factors=rule_set.fallback_factors if outcome is _STEP_UP else (),
            exemption=granted,
            exemption_note=note,
            rules_digest=rule_set.digest,
        )

    def _exemption(
        self, rule_set: RuleSet, assessment: Assessment, outcome: Outcome, score: int
    ) -> tuple[Exemption | None, str]:
        if assessment.kind not in rule_set.sca.required_for:
            return None, f"SCA is not required for a {assessment.kind}"
        by_currency = self._since_sca.get(assessment.subject)  # most subjects have none: nothing built
        counters = None if by_currency is None else by_currency.get(assessment.currency)
        since_sca = (0, 0) if counters is None else (counters[0], counters[1])
        return exemption(rule_set.sca, assessment, outcome, score, since_sca)

    def record(self, assessment: Assessment, decision: Decision) -> None:
        """The action went ahead as `decision` said (a denied one moves nothing and is not counted)."""
        if decision.outcome is _DENY:
            return
        a = assessment
        add, tracked = self.windows.add, self._tracked
        currency, amount, at = a.currency, a.amount, a.at
        # The dimensions in `Dimension`'s order, each key read straight off the assessment
        # (`dimension_key`'s answers, without a call per dimension).
        if _CUSTOMER in tracked:
            add(_CUSTOMER, a.subject, currency, amount, at)
        if a.device_id is not None and _DEVICE in tracked:
            add(_DEVICE, a.device_id, currency, amount, at)
        if a.ip is not None and _IP in tracked:
            add(_IP, a.ip, currency, amount, at)
        beneficiary = a.beneficiary
        if beneficiary is not None:
            dimension = BENEFICIARY_DIMENSION[beneficiary.kind]
            if dimension in tracked:
                add(dimension, beneficiary.value, currency, amount, at)
        if decision.exemption is Exemption.LOW_VALUE:
            counters = self._since_sca.setdefault(a.subject, {}).setdefault(a.currency, [0, 0])
            counters[0] += 1
            counters[1] += a.amount

    def sca_completed(self, subject: str) -> None:
        """The subject passed SCA: the low-value exemption counts afresh (RTS art. 16)."""
        self._since_sca.pop(subject, None)


def _tier_limit_reason(rule_set: RuleSet, facts: Facts) -> Reason | None:
    """Why the payment exceeds the subject's KYC tier, or None. A currency the tier does not list is
    refused."""
    a = facts.assessment
    tiers = rule_set.tier_limits
    limit = tiers.limits[a.kyc_tier]
    single = limit.single.get(a.currency)
    window_total = limit.window_total.get(a.currency)
    rule = f"kyc-tier-{a.kyc_tier}"
    if single is None or window_total is None:
        return Reason(rule, f"KYC tier {a.kyc_tier} has no limit in {a.currency}", tiers.outcome, 0)
    if a.amount > single:
        return Reason(
            rule, f"over the KYC tier {a.kyc_tier} limit of {single} {a.currency} a payment", tiers.outcome, 0
        )
    moved = facts.total(Dimension.CUSTOMER, tiers.window)
    if moved + a.amount > window_total:
        return Reason(
            rule,
            f"over the KYC tier {a.kyc_tier} limit of {window_total} {a.currency} per {tiers.window} s",
            tiers.outcome,
            0,
        )
    return None
