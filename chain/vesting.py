"""The VestingEscrow contract's Python face: grant ids and schedules computed as the contract computes them,
and its transactions and reads through web3.

`vested_amount` is the contract's `_vested` line for line (a test holds the two equal over random
schedules and times), so a reader can say what a grant holds at any moment without asking the chain.
A grant's id carries its number and schedule (see the contract's @dev): `grant_id` builds it and
`decode_grant_id` takes it apart, so a schedule is known from the id alone.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import to_checksum_address
from web3.contract import Contract
from web3.types import BlockIdentifier, FilterParams, LogReceipt, TxReceipt

from chain import artifacts
from chain.errors import ChainError
from chain.transactions import send_call

CONTRACT_TYPE = "VestingEscrow"

# The contract's field widths (VestingEscrow.vy, "Field offsets and widths").
SPAN_BITS = 32
SPAN_MASK = (1 << SPAN_BITS) - 1
DURATION_SHIFT = SPAN_BITS
CLIFF_SHIFT = DURATION_SHIFT + SPAN_BITS
START_SHIFT = CLIFF_SHIFT + SPAN_BITS
START_MASK = (1 << 64) - 1
REVOCABLE_SHIFT = START_SHIFT + 64
NUMBER_SHIFT = REVOCABLE_SHIFT + 1
MAX_GRANT_NUMBER = (1 << (256 - NUMBER_SHIFT)) - 1

MAX_AMOUNT = (1 << 127) - 1
MAX_TIMESTAMP = START_MASK
MAX_SPAN = SPAN_MASK
LINEAR_PERIOD = 1  # a tranche every second is linear vesting

ZERO_REFERENCE = b"\x00" * 32
# Nodes refuse eth_getLogs over too many blocks at once; scans go in windows of this many.
LOG_WINDOW_BLOCKS = 10_000

Kind = Literal["linear", "tranche"]


class VestingError(ChainError, ValueError):
    """A schedule or grant the escrow would refuse, or an answer from it that makes no sense."""


@dataclass(frozen=True)
class Schedule:
    """When a grant vests: nothing before `start + cliff`, all from `start + duration`, in steps of `period`.

    Times are unix seconds; `cliff`, `duration` and `period` are spans in seconds from `start`.
    """

    start: int
    cliff: int
    duration: int
    period: int = LINEAR_PERIOD

    def __post_init__(self) -> None:
        check_schedule(self)

    @property
    def kind(self) -> Kind:
        return "linear" if self.period == LINEAR_PERIOD else "tranche"

    @property
    def tranches(self) -> int:
        """How many equal releases: `duration` for linear vesting (one per second)."""
        return self.duration // self.period

    @property
    def cliff_time(self) -> int:
        return self.start + self.cliff

    @property
    def end(self) -> int:
        return self.start + self.duration


def check_schedule(schedule: Schedule) -> None:
    """Raise `VestingError` with the contract's own reason if `create_grant` would refuse `schedule`."""
    for name in ("start", "cliff", "duration", "period"):
        value = getattr(schedule, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise VestingError(f"vesting: {name} {value!r} is not a non-negative integer")
    if schedule.start > MAX_TIMESTAMP:
        raise VestingError("vesting: start is after 2**64 - 1")
    for name in ("cliff", "duration", "period"):
        if getattr(schedule, name) > MAX_SPAN:
            raise VestingError(f"vesting: {name} exceeds 2**32 - 1 seconds")
    if schedule.duration == 0:
        raise VestingError("vesting: zero duration")
    if schedule.period == 0:
        raise VestingError("vesting: zero period")
    if schedule.duration % schedule.period != 0:
        raise VestingError("vesting: duration is not a whole number of periods")
    if schedule.cliff > schedule.duration:
        raise VestingError("vesting: cliff is after the end")
    if schedule.start + schedule.duration > MAX_TIMESTAMP:
        raise VestingError("vesting: end is after 2**64 - 1")


def check_amount(amount: int) -> None:
    """Raise `VestingError` if a grant of `amount` base units would be refused."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise VestingError(f"vesting: amount {amount!r} is not a positive integer")
    if amount > MAX_AMOUNT:
        raise VestingError("vesting: amount exceeds 2**127 - 1")


def create_grant_arguments(
    beneficiary: str, amount: int, schedule: Schedule, revocable: bool, reference: bytes = ZERO_REFERENCE
) -> tuple[str, int, int, int, int, int, bool, bytes]:
    """The arguments of the escrow's `create_grant`, in its order. Nothing is checked here, so a test can
    send what the escrow must refuse; `VestingEscrow.create_grant` checks before it sends."""
    return (
        beneficiary,
        amount,
        schedule.start,
        schedule.cliff,
        schedule.duration,
        schedule.period,
        revocable,
        reference,
    )


def grant_id(number: int, schedule: Schedule, revocable: bool) -> int:
    """The id the escrow gives its grant number `number` with this schedule (the contract's packing)."""
    if not 0 <= number <= MAX_GRANT_NUMBER:
        raise VestingError(f"grant number {number} is out of range")
    return (
        (number << NUMBER_SHIFT)
        | (int(revocable) << REVOCABLE_SHIFT)
        | (schedule.start << START_SHIFT)
        | (schedule.cliff << CLIFF_SHIFT)
        | (schedule.duration << DURATION_SHIFT)
        | schedule.period
    )


def decode_grant_id(value: int) -> tuple[int, Schedule, bool]:
    """(number, schedule, revocable) from a grant id; `VestingError` if no grant could have that id."""
    if not 0 <= value < 2**256:
        raise VestingError(f"grant id {value} is not a uint256")
    schedule = Schedule(
        start=(value >> START_SHIFT) & START_MASK,
        cliff=(value >> CLIFF_SHIFT) & SPAN_MASK,
        duration=(value >> DURATION_SHIFT) & SPAN_MASK,
        period=value & SPAN_MASK,
    )
    return value >> NUMBER_SHIFT, schedule, bool((value >> REVOCABLE_SHIFT) & 1)


def vested_amount(amount: int, schedule: Schedule, revoked: bool, timestamp: int) -> int:
    """Base units of a grant of `amount` vested at `timestamp`, exactly as the contract's `_vested`.

    A revoked grant's amount is what had vested when it was revoked, and all of it has vested.
    """
    if revoked or amount == 0:
        return amount
    if timestamp < schedule.start + schedule.cliff:
        return 0
    elapsed = timestamp - schedule.start
    if elapsed >= schedule.duration:
        return amount
    return amount * (elapsed // schedule.period) // (schedule.duration // schedule.period)


@dataclass(frozen=True)
class Grant:
    """A grant as the escrow holds it now (amount is what had vested at revocation for a revoked grant)."""

    grant_id: int
    number: int
    beneficiary: ChecksumAddress
    amount: int
    claimed: int
    schedule: Schedule
    revocable: bool
    revoked: bool

    def vested(self, timestamp: int) -> int:
        """What has vested at `timestamp`, as a claim then would count it. For a revoked grant that is its
        whole (reduced) amount, right from the revocation on; the contract's `vested_amount` also answers
        for earlier moments, following the schedule of the amount the grant was created with."""
        return vested_amount(self.amount, self.schedule, self.revoked, timestamp)

    def claimable(self, timestamp: int) -> int:
        return self.vested(timestamp) - self.claimed


@dataclass(frozen=True)
class CreatedGrant:
    """A grant as its `GrantCreated` event told it: the terms it started with, whatever happened since."""

    grant_id: int
    beneficiary: ChecksumAddress
    reference: bytes
    amount: int
    block_number: int
    tx_hash: str

    @property
    def schedule(self) -> Schedule:
        return decode_grant_id(self.grant_id)[1]

    @property
    def revocable(self) -> bool:
        return decode_grant_id(self.grant_id)[2]


def utc(timestamp: int) -> datetime:
    """A unix timestamp as an aware UTC datetime (how schedules are shown to people)."""
    return datetime.fromtimestamp(timestamp, tz=UTC)


class VestingEscrow(artifacts.DeployedContract):
    """A deployed escrow: send its transactions from a local key and read its grants."""

    contract_type = CONTRACT_TYPE

    # Transactions

    def create_grant(
        self,
        sender: LocalAccount,
        beneficiary: str,
        amount: int,
        schedule: Schedule,
        *,
        revocable: bool,
        reference: bytes = ZERO_REFERENCE,
    ) -> int:
        """Create a grant paid from `sender` (the admin, who approved the escrow); returns its id."""
        check_amount(amount)
        call = self.contract.functions.create_grant(
            *create_grant_arguments(
                to_checksum_address(beneficiary), amount, schedule, revocable, _reference(reference)
            )
        )
        receipt = send_call(self.w3, sender, call)
        return int(self._only_event(receipt, "GrantCreated")["grant_id"])

    def claim(self, sender: LocalAccount, grant_id: int, receiver: str | None = None) -> int:
        """Pay `sender`'s grant out to `receiver` (default: `sender`); returns the base units paid."""
        function = self.contract.functions.claim
        call = function(grant_id) if receiver is None else function(grant_id, to_checksum_address(receiver))
        receipt = send_call(self.w3, sender, call)
        return int(self._only_event(receipt, "Claimed")["amount"])

    def revoke(self, sender: LocalAccount, grant_id: int) -> int:
        """Revoke a grant as the admin; returns the base units sent back to `sender`."""
        receipt = send_call(self.w3, sender, self.contract.functions.revoke(grant_id))
        return int(self._only_event(receipt, "GrantRevoked")["returned"])

    def transfer_grant(self, sender: LocalAccount, grant_id: int, new_beneficiary: str) -> None:
        """Hand `sender`'s grant to `new_beneficiary`."""
        call = self.contract.functions.transfer_grant(grant_id, to_checksum_address(new_beneficiary))
        send_call(self.w3, sender, call)

    # Reads

    def grant(self, grant_id: int, *, block: BlockIdentifier = "latest") -> Grant | None:
        """Grant `grant_id` as of `block`; None if no grant has that id."""
        if not 0 <= grant_id < 2**256:
            return None
        fields = self.contract.functions.grants(grant_id).call(block_identifier=block)
        return grant_from_fields(grant_id, fields)

    def created_grants(
        self, *, references: Iterable[bytes] | None = None, beneficiary: str | None = None
    ) -> list[CreatedGrant]:
        """The `GrantCreated` events, oldest first; only those of `references` or `beneficiary` if given."""
        topics: list[Any] = [_topic(self.contract, "GrantCreated"), None, None, None]
        if beneficiary is not None:
            topics[2] = _address_topic(beneficiary)
        if references is not None:
            wanted = sorted({"0x" + _reference(reference).hex() for reference in references})
            if not wanted:
                return []
            topics[3] = wanted
        event = self.contract.events.GrantCreated()
        created = []
        for log in self._logs(topics):
            args = event.process_log(log)["args"]
            created.append(
                CreatedGrant(
                    grant_id=int(args["grant_id"]),
                    beneficiary=to_checksum_address(args["beneficiary"]),
                    reference=bytes(args["reference"]),
                    amount=int(args["amount"]),
                    block_number=int(log["blockNumber"]),
                    tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                )
            )
        return created

    def grants_of(self, beneficiary: str, *, block: BlockIdentifier = "latest") -> list[Grant]:
        """The grants `beneficiary` holds as of `block`, by number: created for it or handed to it, and
        not handed on since."""
        holder = to_checksum_address(beneficiary)
        candidates = {created.grant_id for created in self.created_grants(beneficiary=holder)}
        handed_over = [_topic(self.contract, "GrantTransferred"), None, None, _address_topic(holder)]
        candidates.update(int.from_bytes(bytes(log["topics"][1]), "big") for log in self._logs(handed_over))
        held = []
        for candidate in candidates:
            found = self.grant(candidate, block=block)
            if found is not None and found.beneficiary == holder:
                held.append(found)
        return sorted(held, key=lambda found: found.number)

    def _logs(self, topics: list[Any]) -> Iterator[LogReceipt]:
        """The escrow's logs matching `topics`, from its deployment block to the head, window by window."""
        head = self.w3.eth.block_number
        for first in range(self.from_block, head + 1, LOG_WINDOW_BLOCKS):
            last = min(first + LOG_WINDOW_BLOCKS - 1, head)
            params: FilterParams = {
                "address": self.address,
                "fromBlock": first,
                "toBlock": last,
                "topics": topics,
            }
            yield from self.w3.eth.get_logs(params)

    def _only_event(self, receipt: TxReceipt, name: str) -> Mapping[str, Any]:
        """The arguments of the one `name` event the escrow emitted in `receipt`."""
        decoded = artifacts.decode_receipt_events(self.w3, receipt, {self.address: CONTRACT_TYPE})
        matching = [event.args for event in decoded if event.event == name]
        if len(matching) != 1:
            raise VestingError(f"expected one {name} event from the escrow, found {len(matching)}")
        return matching[0]


def grant_from_fields(grant_id: int, fields: Any) -> Grant | None:
    """A `Grant` from the tuple the contract's `grants` view returns; None for the all-zero answer."""
    number, beneficiary, amount, claimed, start, cliff, duration, period, revocable, revoked = fields
    if int(beneficiary, 16) == 0:
        return None
    schedule = Schedule(start=start, cliff=cliff, duration=duration, period=period)
    decoded_number, decoded_schedule, decoded_revocable = decode_grant_id(grant_id)
    if (number, schedule, revocable) != (decoded_number, decoded_schedule, decoded_revocable):
        raise VestingError(f"the escrow's grant {grant_id} does not match its id: is this a VestingEscrow?")
    return Grant(
        grant_id=grant_id,
        number=number,
        beneficiary=to_checksum_address(beneficiary),
        amount=amount,
        claimed=claimed,
        schedule=schedule,
        revocable=revocable,
        revoked=revoked,
    )


def _reference(reference: bytes) -> bytes:
    if len(reference) != 32:
        raise VestingError(f"a grant reference is 32 bytes, not {len(reference)}")
    return bytes(reference)


def _address_topic(address: str) -> HexStr:
    return HexStr("0x" + bytes(12).hex() + to_checksum_address(address)[2:].lower())


def _topic(contract: Contract, event_name: str) -> HexStr:
    """Topic 0 of the escrow's event `event_name`: the hash of its signature."""
    return HexStr(contract.events[event_name].topic)
