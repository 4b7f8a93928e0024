"""Group keys with x >= N (which ecrecover cannot take) are refused by the check, the dealer and the DKG.

No one knows a secret whose key has x >= N (probability ~2^-128 per key), so the check is tested on a real
such point, and the dealer / DKG wiring by making the check reject one specific key we generate.
"""

import pytest

from custody.frost import (
    EncodingError,
    N,
    Point,
    UnusableGroupKey,
    dkg_part2,
    dkg_part3,
    is_onchain_verifiable,
    require_onchain_verifiable,
    trusted_dealer_keygen,
)
from custody.frost import dealer as dealer_module
from custody.frost import onchain as onchain_module
from custody.frost.dkg import dkg_part1_from_coefficients
from custody.frost.group import P
from tests.helpers.frost_simulation import inbox, others


def _point_with_x_at_least_n() -> Point:
    for k in range(256):
        try:
            return Point.from_bytes(b"\x02" + (N + k).to_bytes(32, "big"))
        except EncodingError:
            continue  # N + k is not the x of a curve point; about half are
    raise AssertionError("no curve point with x in [N, N + 256)")


def test_the_check_rejects_a_real_point_with_x_at_least_n():
    high = _point_with_x_at_least_n()
    assert N <= high.x < P
    assert not is_onchain_verifiable(high)
    assert not is_onchain_verifiable(-high)  # same x
    with pytest.raises(UnusableGroupKey):
        require_onchain_verifiable(high)


def test_the_check_accepts_ordinary_keys_and_refuses_the_identity():
    assert is_onchain_verifiable(Point.G)
    assert require_onchain_verifiable(Point.G * 12345) == Point.G * 12345
    assert not is_onchain_verifiable(Point.IDENTITY)


def _reject(monkeypatch: pytest.MonkeyPatch, bad_key: Point) -> None:
    real = onchain_module.is_onchain_verifiable
    monkeypatch.setattr(onchain_module, "is_onchain_verifiable", lambda key: key != bad_key and real(key))


def test_dealer_draws_again_when_the_key_is_unusable(monkeypatch):
    draws = iter([7, 8, 1111, 2222, 3333, 4444])
    monkeypatch.setattr(dealer_module, "random_scalar", lambda: next(draws))
    _reject(monkeypatch, Point.G * 7)
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    assert public_key_package.group_public_key == Point.G * 1111  # (7, 8) was thrown away
    assert key_packages[1].signing_share == (1111 + 2222) % N


def test_dealer_raises_when_a_given_secret_gives_an_unusable_key(monkeypatch):
    _reject(monkeypatch, Point.G * 99)
    with pytest.raises(UnusableGroupKey):
        trusted_dealer_keygen(3, 2, secret=99)
    assert trusted_dealer_keygen(3, 2, secret=98)[1].group_public_key == Point.G * 98


def test_dkg_part3_raises_so_the_session_restarts(monkeypatch):
    polynomials = {1: [11, 12], 2: [21, 22], 3: [31, 32]}
    round1 = {i: dkg_part1_from_coefficients(i, 3, c, proof_nonce=40 + i) for i, c in polynomials.items()}
    packages = {i: package for i, (_, package) in round1.items()}
    round2 = {i: dkg_part2(round1[i][0], others(packages, i)) for i in polynomials}
    sent = {i: shares for i, (_, shares) in round2.items()}
    _reject(monkeypatch, Point.G * (11 + 21 + 31))
    for i in polynomials:
        with pytest.raises(UnusableGroupKey):
            dkg_part3(round2[i][0], others(packages, i), inbox(sent, i))
