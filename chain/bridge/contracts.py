"""The bridge contracts' Python face on plain web3 (the relay and the API do not run under Ape).

`BridgeL1` and `BridgeL2` wrap the deployed contracts: the routes they receive and send on (read from the
contract's link, so a message or batch built here is one the contract recomputes), batch attestation from a
relayer key with the custody key's hint, claims and releases, and the messages a bridge sent (its `Deposited`
or `Withdrawn` events, as `chain.bridge.message.Message`s). Signatures come as ints (R.x, R.y, z): this module
imports nothing from `custody`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from chain import artifacts
from chain.anchor import key_hint
from chain.bridge.batch import Batch
from chain.bridge.message import BridgeError, Message, OnchainMessage, Route
from chain.pipeline import Call, FunctionEncoder, Mined, rpc_batch
from chain.transactions import send_call

OnchainSignature = tuple[int, int, int]
"""A custody group signature as the contracts take it: (R.x, R.y, z)."""

MAX_CLAIMS = 128
"""At most this many messages in one `claim_many` (`modules/bridge_inbox.vy`'s MAX_CLAIMS)."""
CLAIM_GAS_PER_MESSAGE = 50_000
"""What one message of a `claim_many` costs at worst: a recipient holding nothing yet (a fresh balance
slot), a fresh bitmap word or queue entry, a proof of depth 14 (a batch of up to 16,384 messages). A warm
message of a 100-message batch costs about 15,500 (`benchmarks/gas_cases/bridge.py`)."""
ATTEST_GAS_MARGIN = 5_000
"""Added to the first attestation's estimate for the ones sent behind it without an estimate of their own
(each reads its predecessor's record, cold: 2,100, which the first of a route does not)."""


def claims_per_transaction(gas_budget: int) -> int:
    """How many messages one `claim_many` may carry within `gas_budget` gas, at worst: 1 to MAX_CLAIMS."""
    return max(1, min(MAX_CLAIMS, gas_budget // CLAIM_GAS_PER_MESSAGE))


@dataclass(frozen=True)
class BatchRecord:
    """What a bridge stores for an attested batch."""

    fingerprint: bytes
    """The root's top 216 bits, the low 40 zero (zero: not attested)."""
    deadline: int
    """When its messages become claimable unless vetoed."""
    vetoed: bool


class Bridge(artifacts.DeployedContract):
    """What both bridges share (`modules/bridge_inbox.vy`)."""

    SENT_EVENT: ClassVar[str]
    """The event of a message this bridge sends."""

    @cached_property
    def _encoders(self) -> dict[str, FunctionEncoder]:
        return {
            name: FunctionEncoder(self.contract, name)
            for name in ("attest", "claim", "claim_many", "is_consumed", "queued")
        }

    def remote(self) -> tuple[int, str]:
        """The other side: its chain id and its bridge (the zero address before `initialize`)."""
        chain_id, bridge = self.contract.functions.remote().call()
        return int(chain_id), str(bridge)

    def inbound(self) -> Route:
        """The route of the messages this bridge pays out."""
        chain_id, bridge = self._linked()
        return Route(chain_id, int(self.w3.eth.chain_id), bridge, self.address)

    def outbound(self) -> Route:
        """The route of the messages this bridge sends."""
        return self.inbound().reverse()

    def custody_key(self) -> tuple[int, int]:
        """The custody group key batches must be signed with: (x, parity of y)."""
        key_x, parity = self.contract.functions.custody_key().call()
        return int(key_x), int(parity)

    def record(self, seq: int) -> BatchRecord:
        """What the bridge holds for batch `seq`."""
        fingerprint, deadline, vetoed = self.contract.functions.batch(seq).call()
        return BatchRecord(bytes(fingerprint), int(deadline), bool(vetoed))

    def challenge_window(self) -> int:
        """Seconds after its attestation before a batch's messages can be claimed (0: in the same block)."""
        return int(self.contract.functions.challenge_window().call())

    def is_consumed(self, nonce: int) -> bool:
        """Whether the inbound message with this nonce was claimed (paid or queued)."""
        return bool(self.contract.functions.is_consumed(nonce).call())

    def attest(
        self, relayer: LocalAccount, batch: Batch, seq: int, prev_root: bytes, signature: OnchainSignature
    ) -> TxReceipt:
        """Submits batch `seq` of inbound messages with its custody signature; the relayer only pays gas."""
        if batch.route != self.inbound():
            raise BridgeError("the batch's messages are not for this bridge")
        hint = key_hint(self.custody_key()[0])
        call = self.contract.functions.attest(
            seq, batch.root, len(batch.messages), prev_root, *signature, hint
        )
        return send_call(self.w3, relayer, call)

    def attest_call(
        self, batch: Batch, seq: int, prev_root: bytes, signature: OnchainSignature, hint: int
    ) -> Call:
        """The attestation of batch `seq` as a raw call, for `chain.pipeline` to send with others; `hint` is
        `chain.anchor.key_hint` of the custody key (read once for all of them)."""
        if batch.route != self.inbound():
            raise BridgeError("the batch's messages are not for this bridge")
        data = self._encoders["attest"](seq, batch.root, len(batch.messages), prev_root, *signature, hint)
        return Call(self.address, data, f"attest({seq})")

    def claim(self, relayer: LocalAccount, seq: int, batch: Batch, message: Message) -> TxReceipt:
        """Claims `message` from attested batch `seq`: pays it, or queues it over the rate limit."""
        call = self.contract.functions.claim(seq, message.onchain(), batch.proof(message))
        return send_call(self.w3, relayer, call)

    def claim_call(self, seq: int, batch: Batch, message: Message) -> Call:
        """The claim of `message` from attested batch `seq` as a raw call, for `chain.pipeline` to send with
        others."""
        return Call(
            self.address, self._encoders["claim"](seq, message.onchain(), batch.proof(message)), "claim()"
        )

    def claim_many(
        self, relayer: LocalAccount, seq: int, batch: Batch, messages: Sequence[Message]
    ) -> TxReceipt:
        """Claims `messages` from attested batch `seq` in one transaction (`claim_many`): each paid or queued,
        or skipped when its nonce was consumed already."""
        onchain, proofs = self._claims_of(batch, messages)
        return send_call(self.w3, relayer, self.contract.functions.claim_many(seq, onchain, proofs))

    def claim_many_call(self, seq: int, batch: Batch, messages: Sequence[Message]) -> Call:
        """`claim_many` of `messages` from attested batch `seq` as a raw call, for `chain.pipeline`."""
        onchain, proofs = self._claims_of(batch, messages)
        return Call(self.address, self._encoders["claim_many"](seq, onchain, proofs), "claim_many()")

    @staticmethod
    def _claims_of(
        batch: Batch, messages: Sequence[Message]
    ) -> tuple[list[OnchainMessage], list[list[bytes]]]:
        return [message.onchain() for message in messages], [batch.proof(message) for message in messages]

    def consumed(self, nonces: Sequence[int], block: int | str = "latest") -> list[bool]:
        """`is_consumed` of each inbound nonce at `block` (a number or a tag), asked in one batch."""
        return [answer != 0 for answer in self._views("is_consumed", nonces, block)]

    def queued_at(self, leaves: Sequence[bytes]) -> list[int]:
        """`queued` of each inbound leaf (when it may be released; zero: not queued), asked in one batch."""
        return self._views("queued", leaves)

    def _views(self, name: str, arguments: Sequence[object], block: int | str = "latest") -> list[int]:
        """A one-argument view returning a word, called with each of `arguments` at `block` in one JSON-RPC
        batch."""
        encode = self._encoders[name]
        at = hex(block) if isinstance(block, int) else block
        calls = [
            ("eth_call", [{"to": self.address, "data": "0x" + encode(argument).hex()}, at])
            for argument in arguments
        ]
        answers = []
        for response in rpc_batch(self.w3, calls):
            if "error" in response:
                raise ConnectionError(f"{name} failed: {response['error']}")
            answers.append(int(response["result"], 16))
        return answers

    def claim_outcomes(self, mined: Mined) -> dict[int, str]:
        """What a mined claim or `claim_many` did, by nonce, from this bridge's own logs: `claimed` (paid) or
        `queued`. A message of a `claim_many` with neither was skipped (consumed before it)."""
        claimed = str(self.contract.events.Claimed.topic).lower()
        queued = self.queued_topic()
        outcomes: dict[int, str] = {}
        for emitter, topics in mined.logs:
            if emitter == self.address.lower() and len(topics) > 1 and topics[0] in (claimed, queued):
                outcomes[int(topics[1], 16)] = "claimed" if topics[0] == claimed else "queued"
        return outcomes

    def sent_topic(self) -> str:
        """topic0 of the event this bridge sends a message with (`SENT_EVENT`), 0x-prefixed lower-case hex."""
        return str(getattr(self.contract.events, self.SENT_EVENT).topic).lower()

    def queued_topic(self) -> str:
        """topic0 of `Queued`: a claim whose receipt carries it was queued over the rate limit, not paid."""
        return str(self.contract.events.Queued.topic).lower()

    def release(self, relayer: LocalAccount, message: Message) -> TxReceipt:
        """Pays a queued message once its delay is over."""
        return send_call(self.w3, relayer, self.contract.functions.release(message.onchain()))

    def sent(self, from_block: int | None = None, to_block: int | None = None) -> list[Message]:
        """The messages this bridge sent in the blocks given (default: since its deployment), by nonce."""
        event = getattr(self.contract.events, self.SENT_EVENT)
        logs = event.get_logs(
            from_block=self.from_block if from_block is None else from_block,
            to_block="latest" if to_block is None else to_block,
        )
        route = self.outbound()
        return sorted((Message.from_event(route, log["args"]) for log in logs), key=lambda m: m.nonce)

    def _linked(self) -> tuple[int, str]:
        chain_id, bridge = self.remote()
        if int(bridge, 16) == 0:
            raise BridgeError(f"bridge {self.address} is not initialized")
        return chain_id, bridge


class BridgeL1(Bridge):
    """The L1 bridge: escrows deposits, releases withdrawals after the challenge window."""

    contract_type = "BridgeL1"
    SENT_EVENT = "Deposited"

    def deposit(self, sender: LocalAccount, token: str, amount: int, l2_recipient: str) -> TxReceipt:
        """`sender` deposits `amount` of `token` (approved to this bridge) for `l2_recipient`."""
        return send_call(self.w3, sender, self.contract.functions.deposit(token, amount, l2_recipient))


class BridgeL2(Bridge):
    """The L2 bridge: mints bridged tokens for deposits, burns them on withdrawal."""

    contract_type = "BridgeL2"
    SENT_EVENT = "Withdrawn"

    def withdraw(self, sender: LocalAccount, token: str, amount: int, l1_recipient: str) -> TxReceipt:
        """`sender` burns `amount` of the bridged `token` for `l1_recipient` on L1."""
        return send_call(self.w3, sender, self.contract.functions.withdraw(token, amount, l1_recipient))
