"""VestingEscrow.vy under random sequences of grants, claims, revocations, hand-overs and time, by hypothesis.

A Python model (built on `chain.vesting`) predicts every outcome, refusals included, and every balance.
After every step, the grant the step touched equals the model's and has claimed <= vested <= granted, and
the escrow holds exactly what it owes: the sum of amount - claimed over all grants (at least that is the
promise; exactly, since nothing else is sent to it here). At the end of each run every grant is compared,
and every holder's balance with the model's, so no token was created, lost or sent astray.
(Each chain read costs tens of milliseconds on py-evm: reading everything after every step would take
minutes, so per step only what the step could have changed is read, and the rest once per run.)
"""

from dataclasses import replace
from typing import Any, cast

import ape
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chain import artifacts
from chain.vesting import Grant, Schedule, create_grant_arguments, grant_id

pytestmark = pytest.mark.chain

DAY = 86_400
REFERENCE = b"\x02" * 32
MAX_GRANTS = 4  # each grant is read after every step that touches it
STEP_SECONDS = st.integers(min_value=1, max_value=200 * DAY)
SPANS = st.sampled_from([1, DAY, 30 * DAY, 90 * DAY])


@st.composite
def schedules(draw: st.DrawFn, now: int) -> Schedule:
    """Schedules around `now`: started a while ago or starting soon, linear or in tranches."""
    period = draw(SPANS)
    duration = period * draw(st.integers(min_value=1, max_value=400 * DAY // period))
    return Schedule(
        start=now + draw(st.integers(min_value=-300 * DAY, max_value=100 * DAY)),
        cliff=draw(st.integers(min_value=0, max_value=duration)),
        duration=duration,
        period=period,
    )


class VestingMachine(RuleBasedStateMachine):
    def __init__(self, escrow: Any, token: Any, admin: Any, people: list[Any], outsider: Any) -> None:
        super().__init__()
        self.snapshot = ape.chain.snapshot()
        self.escrow, self.token, self.admin, self.outsider = escrow, token, admin, outsider
        # Reads go through plain web3 on Ape's provider: half the time of Ape's own calls.
        w3 = ape.chain.provider.web3
        self.escrow_reader = artifacts.contract(w3, "VestingEscrow", escrow.address).functions
        self.token_reader = artifacts.contract(w3, "Token", token.address).functions
        self.people = {person.address: person for person in people}
        holders = [admin.address, escrow.address, *self.people]
        self.balances = {holder: self.balance(holder) for holder in holders}
        self.supply = token.totalSupply()
        self.now = ape.chain.pending_timestamp
        self.number = escrow.grant_count()
        self.grants: dict[int, Grant] = {}
        self.touched: int | None = None

    def teardown(self) -> None:
        try:
            for chosen in self.grants:
                self.check_grant(chosen)
            assert {holder: self.balance(holder) for holder in self.balances} == self.balances
            assert sum(self.balances.values()) == self.token.totalSupply() == self.supply
        finally:
            ape.chain.restore(self.snapshot)

    def tick(self, seconds: int = 1) -> int:
        """Set the next transaction's timestamp `seconds` on, past any block mined meanwhile."""
        self.now = max(self.now + seconds, ape.chain.blocks.head.timestamp + 1)
        ape.chain.pending_timestamp = self.now
        return self.now

    def pick(self, data: st.DataObject) -> tuple[int, Grant]:
        chosen = data.draw(st.sampled_from(sorted(self.grants)))
        self.touched = chosen
        return chosen, self.grants[chosen]

    def move(self, sender: str, receiver: str, amount: int) -> None:
        self.balances[sender] -= amount
        self.balances[receiver] += amount
        assert self.balance(receiver) == self.balances[receiver]

    def balance(self, holder: str) -> int:
        return int(self.token_reader.balanceOf(holder).call())

    def check_grant(self, chosen: int) -> None:
        grant = self.grants[chosen]
        _, beneficiary, amount, claimed, *_, revoked = self.escrow_reader.grants(chosen).call()
        assert (beneficiary, amount, claimed, revoked) == (
            grant.beneficiary,
            grant.amount,
            grant.claimed,
            grant.revoked,
        )
        assert grant.claimed <= grant.vested(ape.chain.blocks.head.timestamp) <= grant.amount

    # Rules

    @precondition(lambda self: len(self.grants) < MAX_GRANTS)
    @rule(data=st.data(), who=st.integers(0, 2), revocable=st.booleans())
    def create_grant(self, data: st.DataObject, who: int, revocable: bool) -> None:
        beneficiary = list(self.people)[who]
        amount = data.draw(st.integers(min_value=1, max_value=10**24))
        schedule = data.draw(schedules(self.now))
        self.tick()
        arguments = create_grant_arguments(beneficiary, amount, schedule, revocable, REFERENCE)
        receipt = self.escrow.create_grant(*arguments, sender=self.admin)
        (event,) = receipt.decode_logs(self.escrow.GrantCreated)
        assert event.grant_id == grant_id(self.number, schedule, revocable)
        self.grants[event.grant_id] = Grant(
            grant_id=event.grant_id,
            number=self.number,
            beneficiary=beneficiary,
            amount=amount,
            claimed=0,
            schedule=schedule,
            revocable=revocable,
            revoked=False,
        )
        self.number += 1
        self.touched = event.grant_id
        self.move(self.admin.address, self.escrow.address, amount)

    @rule(seconds=STEP_SECONDS)
    def wait(self, seconds: int) -> None:
        self.tick(seconds)

    @precondition(lambda self: self.grants)
    @rule(data=st.data(), to=st.integers(0, 3))
    def claim(self, data: st.DataObject, to: int) -> None:
        chosen, grant = self.pick(data)
        receiver = [*self.people, self.admin.address][to]
        now = self.tick()
        claimable = grant.vested(now) - grant.claimed
        if claimable == 0:
            with ape.reverts("vesting: nothing to claim"):
                self.escrow.claim(chosen, receiver, sender=self.people[grant.beneficiary])
            return
        receipt = self.escrow.claim(chosen, receiver, sender=self.people[grant.beneficiary])
        (event,) = receipt.decode_logs(self.escrow.Claimed)
        assert (event.amount, event.receiver) == (claimable, receiver)
        self.grants[chosen] = replace(grant, claimed=grant.claimed + claimable)
        self.move(self.escrow.address, receiver, claimable)

    @precondition(lambda self: self.grants)
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        chosen, grant = self.pick(data)
        now = self.tick()
        vested = grant.vested(now)
        refusal = (
            "vesting: grant is irrevocable"
            if not grant.revocable
            else "vesting: grant is already revoked"
            if grant.revoked
            else "vesting: grant is fully vested"
            if vested == grant.amount
            else None
        )
        if refusal is not None:
            with ape.reverts(refusal):
                self.escrow.revoke(chosen, sender=self.admin)
            return
        receipt = self.escrow.revoke(chosen, sender=self.admin)
        (event,) = receipt.decode_logs(self.escrow.GrantRevoked)
        assert (event.vested, event.returned) == (vested, grant.amount - vested)
        self.grants[chosen] = replace(grant, amount=vested, revoked=True)
        self.move(self.escrow.address, self.admin.address, grant.amount - vested)

    @precondition(lambda self: self.grants)
    @rule(data=st.data(), to=st.integers(0, 2))
    def transfer_grant(self, data: st.DataObject, to: int) -> None:
        chosen, grant = self.pick(data)
        new_beneficiary = list(self.people)[to]
        self.tick()
        if new_beneficiary == grant.beneficiary:
            with ape.reverts("vesting: new beneficiary is the current one"):
                self.escrow.transfer_grant(chosen, new_beneficiary, sender=self.people[grant.beneficiary])
            return
        self.escrow.transfer_grant(chosen, new_beneficiary, sender=self.people[grant.beneficiary])
        self.grants[chosen] = replace(grant, beneficiary=new_beneficiary)

    @precondition(lambda self: self.grants)
    @rule(data=st.data(), action=st.sampled_from(["claim", "transfer", "revoke"]))
    def outsiders_are_refused(self, data: st.DataObject, action: str) -> None:
        chosen, grant = self.pick(data)
        other = next(person for address, person in self.people.items() if address != grant.beneficiary)
        self.tick()
        if action == "claim":
            with ape.reverts("vesting: caller is not the beneficiary"):
                self.escrow.claim(chosen, other, sender=other)
        elif action == "transfer":
            with ape.reverts("vesting: caller is not the beneficiary"):
                self.escrow.transfer_grant(chosen, self.outsider, sender=self.outsider)
        else:
            with ape.reverts("vesting: caller is not the admin"):
                self.escrow.revoke(chosen, sender=self.people[grant.beneficiary])

    # Invariants (what a step can change; the rest is read once per run, in teardown)

    @invariant()
    def the_touched_grant_matches_the_model(self) -> None:
        if self.touched is not None:
            self.check_grant(self.touched)

    @invariant()
    def the_escrow_holds_exactly_what_it_owes(self) -> None:
        owed = sum(grant.amount - grant.claimed for grant in self.grants.values())
        assert self.balance(self.escrow.address) == owed == self.balances[self.escrow.address]


def test_vesting_escrow_state_machine(
    vesting_escrow: Any, tpw: Any, vesting_admin: Any, accounts: Any
) -> None:
    people = [accounts[2], accounts[3], accounts[4]]
    # Every step sends a transaction (a quarter of a second on py-evm): a sixth of the profile's examples,
    # of 15 steps each, keeps this under half a minute with `ci` and still scales with `deep`.
    default = settings.default
    assert default is not None
    budget = settings(default, max_examples=max(default.max_examples // 6, 1), stateful_step_count=15)
    machine = cast(
        type[RuleBasedStateMachine],
        lambda: VestingMachine(vesting_escrow, tpw, vesting_admin, people, accounts[6]),
    )
    run_state_machine_as_test(machine, settings=budget)
