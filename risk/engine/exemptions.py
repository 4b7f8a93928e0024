"""PSD2 SCA exemptions (Commission Delegated Regulation (EU) 2018/389, the RTS): which one, if any, lets an
action through without strong customer authentication, and if none, why.

Tried in order: a trusted beneficiary (art. 13), low value (art. 16: the caller's counters since the payer's
last SCA), transaction-risk analysis (art. 18: the engine's own score must be at most `tra_max_score`, and the
amount within the band of the PSP's reference fraud rate). Only an action the rules would allow is a
candidate: a rule asking for more is a finding of risk, which no exemption overrides.
"""

from risk.engine.model import Assessment, Exemption, Kind, Outcome
from risk.engine.ruleset import ScaPolicy

# Most decisions are not allowed by the rules, so their note is one of these, made once here rather than
# formatted again for every decision (and the enum members read once: a class attribute costs more).
_SENSITIVE_CHANGE, _ALLOW = Kind.SENSITIVE_CHANGE, Outcome.ALLOW
_NOT_FOR_SENSITIVE_CHANGES = "no exemption covers a sensitive change (PSD2 art. 97(1)(c))"
_RULES_ASK_FOR = {outcome: f"no exemption: the rules ask for {outcome.label}" for outcome in Outcome}


def tra_limit(policy: ScaPolicy, currency: str) -> int | None:
    """The highest amount TRA may exempt at the PSP's fraud rate: the band with the largest amount whose
    fraud rate ceiling the PSP meets (None if it meets none, or the band lists no amount in `currency`)."""
    limits = [
        band.up_to[currency]
        for band in policy.tra_bands
        if policy.fraud_rate_ppm <= band.fraud_rate_ppm and currency in band.up_to
    ]
    return max(limits, default=None)


def exemption(
    policy: ScaPolicy, assessment: Assessment, outcome: Outcome, score: int, since_sca: tuple[int, int]
) -> tuple[Exemption | None, str]:
    """The exemption granted and a note saying which and why, or None and why none applies.

    `outcome` is what the rules and limits made of it; `since_sca` is (count, total in the assessment's
    currency) of the low-value exemptions granted to the subject since its last SCA.
    """
    if assessment.kind is _SENSITIVE_CHANGE:
        return None, _NOT_FOR_SENSITIVE_CHANGES
    if outcome is not _ALLOW:
        return None, _RULES_ASK_FOR[outcome]
    beneficiary = assessment.beneficiary
    if beneficiary is not None and beneficiary.trusted:
        return Exemption.TRUSTED_BENEFICIARY, "trusted beneficiary (RTS art. 13)"
    why_not = ["beneficiary not trusted"]
    currency, amount = assessment.currency, assessment.amount
    low = policy.low_value
    single, cumulative = low.single.get(currency), low.cumulative.get(currency)
    count, total = since_sca
    if single is None or cumulative is None:
        why_not.append(f"low value: no threshold in {currency}")
    elif amount > single:
        why_not.append(f"low value: amount over {single} {currency}")
    elif count >= low.max_count:
        why_not.append(f"low value: {count} exempted since the last SCA")
    elif total + amount > cumulative:
        why_not.append(f"low value: over {cumulative} {currency} since the last SCA")
    else:
        return Exemption.LOW_VALUE, f"low value (RTS art. 16): {count + 1} since the last SCA"
    limit = tra_limit(policy, currency)
    if score > policy.tra_max_score:
        why_not.append(f"TRA: score {score} over {policy.tra_max_score}")
    elif limit is None:
        why_not.append(f"TRA: no band for a fraud rate of {policy.fraud_rate_ppm} ppm in {currency}")
    elif amount > limit:
        why_not.append(f"TRA: amount over {limit} {currency} at {policy.fraud_rate_ppm} ppm")
    else:
        return Exemption.TRANSACTION_RISK_ANALYSIS, (
            f"transaction-risk analysis (RTS art. 18): up to {limit} {currency} "
            f"at {policy.fraud_rate_ppm} ppm"
        )
    return None, "no exemption: " + "; ".join(why_not)
