"""The group wrapper: arithmetic agrees with libsecp256k1 scalar multiplication, encodings are strict."""

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import EncodingError, Point
from custody.frost.group import N, P, scalar_from_bytes, scalar_to_bytes

scalars = st.integers(min_value=0, max_value=N - 1)
nonzero = st.integers(min_value=1, max_value=N - 1)

# the generator's published coordinates (SEC 2, secp256k1)
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8


def test_generator_is_the_standard_one():
    assert Point.G.coordinates() == (GX, GY)
    assert Point.G.to_bytes() == b"\x02" + GX.to_bytes(32, "big")
    assert Point.from_xy(GX, GY) == Point.G


@given(a=scalars, b=scalars)
def test_scalar_multiplication_is_a_homomorphism(a, b):
    assert Point.G * a + Point.G * b == Point.base_mul(a + b)
    assert (Point.G * a) * b == Point.G * (a * b % N) == b * (Point.G * a)


@given(a=nonzero)
def test_negation_and_subtraction(a):
    point = Point.G * a
    assert -point == Point.G * (N - a)
    assert point - point == Point.IDENTITY
    assert (point - Point.G) + Point.G == point
    negated = -point
    assert -negated == point


@given(points=st.lists(scalars, max_size=6))
def test_sum_equals_chained_addition(points):
    chained = Point.IDENTITY
    for scalar in points:
        chained = chained + Point.G * scalar
    assert Point.sum(Point.G * scalar for scalar in points) == chained == Point.G * (sum(points) % N)


def test_identity_behaviour():
    identity = Point.IDENTITY
    assert identity.is_identity
    assert Point.G * 0 == identity == Point.G * N
    assert identity + Point.G == Point.G == Point.G + identity
    assert identity * 5 == identity
    assert -identity == identity
    assert identity != Point.G
    assert Point.sum([]) == identity
    with pytest.raises(EncodingError):
        identity.to_bytes()
    with pytest.raises(EncodingError):
        identity.coordinates()


@given(a=nonzero)
def test_encoding_round_trip(a):
    point = Point.G * a
    assert Point.from_bytes(point.to_bytes()) == point
    x, y = point.coordinates()
    assert (point.x, point.y) == (x, y)
    assert Point.from_xy(x, y) == point
    assert hash(Point.from_bytes(point.to_bytes())) == hash(point)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes(33),  # the SEC1 "identity" is not an element encoding
        b"\x04" + bytes(32),
        b"\x02" + bytes(31),
        b"\x02" + P.to_bytes(32, "big"),  # x >= P
        b"\x02" + (5).to_bytes(32, "big"),  # x = 5: x^3 + 7 = 132 is not a square mod P
        b"\x04" + GX.to_bytes(32, "big") + GY.to_bytes(32, "big"),  # uncompressed is not RFC 9591's encoding
    ],
    ids=["empty", "zeros", "bad-prefix", "short", "x-not-in-field", "x-not-on-curve", "uncompressed"],
)
def test_element_decoding_rejects(data):
    with pytest.raises(EncodingError):
        Point.from_bytes(data)


def test_points_off_the_curve_are_rejected():
    with pytest.raises(EncodingError):
        Point.from_xy(GX, GY + 1)
    with pytest.raises(EncodingError):
        Point.from_xy(P, GY)


def test_points_pickle_and_copy():
    # unpickling our own freshly pickled bytes: nothing untrusted is loaded
    for point in (Point.G * 77, Point.IDENTITY):
        assert pickle.loads(pickle.dumps(point)) == point  # noqa: S301
        assert copy.deepcopy(point) == point
    assert pickle.loads(pickle.dumps(Point.G)) * 3 == Point.G * 3  # noqa: S301


def test_points_are_immutable():
    with pytest.raises(AttributeError):
        Point.G._key = None


@given(value=scalars)
def test_scalar_round_trip(value):
    assert scalar_from_bytes(scalar_to_bytes(value)) == value


@pytest.mark.parametrize("value", [N, N + 1, 2**256 - 1])
def test_scalars_at_or_above_the_order_are_rejected(value):
    with pytest.raises(EncodingError):
        scalar_from_bytes(value.to_bytes(32, "big"))
    with pytest.raises(EncodingError):
        scalar_to_bytes(value)


def test_scalar_encoding_length_is_exact():
    with pytest.raises(EncodingError):
        scalar_from_bytes(bytes(31))
    with pytest.raises(EncodingError):
        scalar_from_bytes(bytes(33))
    with pytest.raises(EncodingError):
        scalar_to_bytes(-1)
