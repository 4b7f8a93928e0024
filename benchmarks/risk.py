"""The risk engine benchmark: in-process decisions with the shipped rule set and warm velocity windows.

`--customers` customers, each with a device and a few beneficiaries (IBANs, cards, chain addresses), act
over a simulated `--warm-hours` first (decided and recorded, untimed), so every window the rules read holds
history; then `--decisions` more actions are decided and recorded one at a time, each timed on its own
(`decide` + `record`, the cost a payment pays). The mix: 60 % payments (some by card, some at gambling or
crypto merchants, EUR/USD/GBP), 30 % payouts (to IBANs and addresses, some cross-border, some from new
devices), 10 % sensitive changes; IPs from the shipped CIDR table, some abroad, some unknown. Assessments are
built before the clock starts. The outcome mix is printed too, so a benchmark that decides nothing cannot
pass for a fast one. Run from the project root:

    python benchmarks/risk.py            # the table
    python benchmarks/risk.py --json     # {"risk_decisions_per_s": ..., "risk_decision_p99_us": ..., ...}

The load average is printed first: on a machine busy with other work every figure here is worse.
"""

import gc
import json
import os
import random
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/risk.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from risk.engine import (
    Assessment,
    Beneficiary,
    BeneficiaryKind,
    CidrTable,
    Decision,
    Kind,
    KycTier,
    RiskEngine,
    RuleSource,
    SensitiveChange,
)

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "config" / "risk" / "rules.yaml"
COUNTRIES = ROOT / "config" / "risk" / "ip_countries.csv"
RATE_TARGET = 20_000
P99_TARGET_US = 500.0
START = 1_800_000_000
# per country, a network of the shipped table to draw addresses from (as "a.b.", then two random octets)
IPS = {"DE": ("5.1.",), "FR": ("2.16.", "2.17.", "2.18."), "NG": ("41.58.",), "GB": ("86.128.", "86.129.")}
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP")
MCCS = ("5411", "5812", "5999", "4121", "7995", "6051", None)


def make_actions(
    rng: random.Random, customers: int, count: int, start: int, spacing: float
) -> list[Assessment]:
    """`count` actions by random customers, `spacing` seconds apart on average, in time order."""
    actions = []
    at = float(start)
    for _ in range(count):
        at += rng.expovariate(1 / spacing)
        number = rng.randrange(customers)
        home = ("DE", "FR", "GB")[number % 3]
        abroad = rng.random() < 0.1
        ip_country = rng.choice(tuple(IPS)) if abroad else home
        prefix = rng.choice(IPS[ip_country])
        ip = f"{prefix}{rng.randrange(256)}.{rng.randrange(256)}" if rng.random() < 0.95 else "100.64.0.1"
        currency = rng.choice(CURRENCIES)
        common = Assessment(
            subject=f"idn_{number:08x}",
            kind=Kind.PAYMENT,
            amount=0,
            currency=currency,
            at=int(at),
            customer_country=home,
            kyc_tier=(KycTier.FULL, KycTier.FULL, KycTier.LIGHT)[number % 3],
            account_age_days=number % 400,
            device_id=f"dev_{number:08x}_{rng.randrange(2)}",
            device_new=rng.random() < 0.05,
            ip=ip,
        )
        roll = rng.random()
        if roll < 0.6:
            card = Beneficiary(BeneficiaryKind.CARD, f"card_{number:08x}_{rng.randrange(2)}", home)
            amount = rng.choice((250, 1500, 2900, 4500, 12000, 60000, 250000))
            actions.append(replace(common, amount=amount, mcc=rng.choice(MCCS), beneficiary=card))
        elif roll < 0.9:
            kind = BeneficiaryKind.IBAN if rng.random() < 0.7 else BeneficiaryKind.ADDRESS
            country = "NG" if rng.random() < 0.1 else home
            payee = Beneficiary(kind, f"{kind}_{number:08x}_{rng.randrange(3)}", country, rng.random() < 0.3)
            amount = rng.choice((2000, 10000, 40000, 90000, 300000))
            actions.append(replace(common, kind=Kind.PAYOUT, amount=amount, beneficiary=payee))
        else:
            change = rng.choice(tuple(SensitiveChange))
            actions.append(
                replace(common, kind=Kind.SENSITIVE_CHANGE, currency="EUR", sensitive_change=change)
            )
    return actions


@click.command()
@click.option("--customers", default=20_000, show_default=True)
@click.option("--warm-hours", default=24, show_default=True, help="simulated history before the timed run")
@click.option("--warm-actions", default=100_000, show_default=True)
@click.option("--decisions", default=100_000, show_default=True)
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="one JSON object instead of the table")
def main(
    customers: int, warm_hours: int, warm_actions: int, decisions: int, seed: int, as_json: bool
) -> None:
    load = os.getloadavg()[0]
    rng = random.Random(seed)
    clock_now = [START]
    engine = RiskEngine(RuleSource(RULES, lambda: clock_now[0]), CidrTable.from_csv(COUNTRIES))
    warm = make_actions(rng, customers, warm_actions, START, warm_hours * 3600 / warm_actions)
    for action in warm:
        clock_now[0] = action.at
        engine.record(action, engine.decide(action))
    timed = make_actions(rng, customers, decisions, warm[-1].at, 0.05)
    outcomes: Counter[str] = Counter()
    exemptions: Counter[str] = Counter()
    timings = [0] * len(timed)
    answers: list[Decision | None] = [None] * len(timed)
    gc.collect()
    gc.freeze()  # the warm windows are long-lived: do not rescan them at every collection
    decide, record, now = engine.decide, engine.record, time.perf_counter_ns
    cpu_started = time.process_time_ns()
    started = now()
    for index, action in enumerate(timed):
        clock_now[0] = action.at
        before = now()
        decision = decide(action)
        record(action, decision)
        timings[index] = now() - before
        answers[index] = decision
    elapsed = (now() - started) / 1e9
    cpu = (time.process_time_ns() - cpu_started) / 1e9
    for answer in answers:
        assert answer is not None
        outcomes[answer.outcome.label] += 1
        exemptions[str(answer.exemption)] += 1
    timings.sort()
    rate = len(timed) / elapsed
    p50 = timings[len(timings) // 2] / 1000
    p99 = timings[int(len(timings) * 0.99)] / 1000
    result = {
        "risk_decisions_per_s": round(rate),
        "risk_decision_p50_us": round(p50, 1),
        "risk_decision_p99_us": round(p99, 1),
        "risk_decisions_per_cpu_s": round(len(timed) / cpu),
        "risk_decisions": len(timed),
        "risk_window_keys": len(engine.windows),
        "risk_outcomes": dict(sorted(outcomes.items())),
        "risk_exemptions": dict(sorted(exemptions.items())),
        "load_average_before": round(load, 2),
    }
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"load average before the run: {load:.2f}")
    click.echo(f"{'row':<28} {'figure':>12} {'target':>12} met")
    click.echo(
        f"{'decisions/s':<28} {rate:>12,.0f} {'>= 20,000':>12} {'yes' if rate >= RATE_TARGET else 'no'}"
    )
    click.echo(f"{'decisions per CPU second':<28} {len(timed) / cpu:>12,.0f} {'':>12}")
    click.echo(f"{'decision p50 (us)':<28} {p50:>12.1f} {'':>12}")
    click.echo(
        f"{'decision p99 (us)':<28} {p99:>12.1f} {'<= 500':>12} {'yes' if p99 <= P99_TARGET_US else 'no'}"
    )
    click.echo(f"window keys held: {len(engine.windows):,}")
    click.echo("outcomes: " + ", ".join(f"{label} {count:,}" for label, count in sorted(outcomes.items())))
    click.echo(
        "exemptions: " + ", ".join(f"{label} {count:,}" for label, count in sorted(exemptions.items()))
    )


if __name__ == "__main__":
    main()
