"""The coordinator's side of a share repair: relaying the helpers' sealed deltas and sigmas to their
recipients, none of which it can open.

Round 1 asks each helper for its signed repair context and its deltas (each sealed to another helper);
round 2 hands every helper all contexts and the deltas sealed to it, and gets back its sigma sealed to the
repaired node; finish hands the repaired node the contexts (which carry the key's public key package it
lost) and the sigmas. The repaired node checks its rebuilt share against its verifying share before storing
it, and states the key it now holds, which must be the key that was repaired. Every request names the key
version repaired, so a helper holding another generation refuses rather than helps rebuild a wrong share.
"""

from custody.coordinator.ceremony import CeremonySession, KeyInfo, RelayedMessage
from custody.frost import PublicKeyPackage
from custody.protocol.ceremonies import (
    RepairFinishBody,
    RepairRound1Answer,
    RepairRound1Body,
    RepairRound2Answer,
    RepairRound2Body,
)
from custody.protocol.ids import key_version

_PREFIX = "/v1/keys/repair"


async def relay_repair(session: CeremonySession, key: KeyInfo, lost: int, helpers: list[int]) -> KeyInfo:
    """Rebuild node `lost`'s share of `key` with `helpers`; the key as the repaired node now states it."""
    version = key_version(key.public_key_package)
    start = RepairRound1Body(
        session_id=session.session_id,
        key_id=key.key_id,
        key_version=version,
        helpers=helpers,
        participant=lost,
    )

    def check_round1(helper: int, answer: RepairRound1Answer) -> RepairRound1Answer:
        session.broadcast(helper, answer.broadcast, "round1")
        expected = set(helpers) - {helper}
        if set(answer.deltas) != expected:
            raise ValueError(
                f"deltas for {sorted(answer.deltas)}, not for the other helpers {sorted(expected)}"
            )
        for recipient, delta in answer.deltas.items():
            session.sealed(helper, delta, "delta", recipient)
        return answer

    round1 = await session.round(
        f"{_PREFIX}/round1", dict.fromkeys(helpers, start), RepairRound1Answer, check_round1
    )
    broadcasts = {helper: answer.broadcast for helper, answer in round1.items()}
    sigmas = await session.round(
        f"{_PREFIX}/round2",
        {
            helper: RepairRound2Body(
                session_id=session.session_id,
                round1=broadcasts,
                deltas={sender: round1[sender].deltas[helper] for sender in helpers if sender != helper},
            )
            for helper in helpers
        },
        RepairRound2Answer,
        lambda helper, answer: session.sealed(helper, answer.sigma, "sigma", lost),
    )
    finish = RepairFinishBody(**start.model_dump(), round1=broadcasts, sigmas=sigmas)
    statements: dict[int, PublicKeyPackage] = await session.round(
        f"{_PREFIX}/finish",
        {lost: finish},
        RelayedMessage,
        lambda node, answer: session.statement(node, answer.root),
    )
    repaired = await session.agreed(statements)
    if repaired.public_key_package.to_bytes() != key.public_key_package.to_bytes():
        await session.refuse_outcome([lost], "states another key than the one repaired", blame=True)
    return await session.complete(repaired)
