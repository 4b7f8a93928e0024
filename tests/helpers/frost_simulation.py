"""In-process runs of the multi-party protocols (DKG, refresh) for tests: every message handed over directly.

Tests that need a cheater run the parts themselves and tamper with one message; these helpers cover the honest
runs and the message plumbing (who receives what).
"""

from collections.abc import Mapping, Sequence
from typing import TypeVar

from custody.frost import (
    KeyPackage,
    PublicKeyPackage,
    check_confirmations,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    dkg_transcript,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    refresh_transcript,
)

Message = TypeVar("Message")
Keys = dict[int, tuple[KeyPackage, PublicKeyPackage]]


def inbox(sent: Mapping[int, Mapping[int, Message]], recipient: int) -> dict[int, Message]:
    """What `recipient` receives from every sender, out of each sender's per-recipient messages."""
    return {sender: messages[recipient] for sender, messages in sent.items() if recipient in messages}


def others(broadcasts: Mapping[int, Message], me: int) -> dict[int, Message]:
    """Everyone's broadcast but my own."""
    return {sender: message for sender, message in broadcasts.items() if sender != me}


def run_dkg(identifiers: Sequence[int], min_signers: int, session_id: bytes = b"test-dkg") -> Keys:
    """An honest DKG among `identifiers`, including the confirmation round."""
    round1 = {i: dkg_part1(i, len(identifiers), min_signers) for i in identifiers}
    packages = {i: package for i, (_, package) in round1.items()}
    round2 = {i: dkg_part2(round1[i][0], others(packages, i)) for i in identifiers}
    sent = {i: shares for i, (_, shares) in round2.items()}
    keys = {i: dkg_part3(round2[i][0], others(packages, i), inbox(sent, i)) for i in identifiers}
    confirmations = {
        i: dkg_transcript(round2[i][0], others(packages, i), keys[i][1], session_id) for i in identifiers
    }
    for i in identifiers:
        check_confirmations(confirmations[i], confirmations, identifiers)
    return keys


def run_refresh(keys: Keys, participants: Sequence[int], session_id: bytes = b"test-refresh") -> Keys:
    """An honest refresh among `participants` (a subset of the key's holders), with confirmation."""
    round1 = {i: refresh_part1(keys[i][0], len(participants)) for i in participants}
    packages = {i: package for i, (_, package) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in participants}
    sent = {i: shares for i, (_, shares) in round2.items()}
    refreshed = {
        i: refresh_part3(round2[i][0], others(packages, i), inbox(sent, i), keys[i][0], keys[i][1])
        for i in participants
    }
    confirmations = {
        i: refresh_transcript(round2[i][0], others(packages, i), refreshed[i][1], session_id)
        for i in participants
    }
    for i in participants:
        check_confirmations(confirmations[i], confirmations, participants)
    return refreshed
