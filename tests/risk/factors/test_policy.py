"""The payment password policy: length, a single repeated character, the commonest PINs."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.factors.errors import WeakPassword
from risk.factors.policy import COMMON_PINS, MAX_LENGTH, MIN_LENGTH, check_password


@pytest.mark.parametrize("password", ["739146", "correct horse", "Zq8#k2", "8" * 5 + "9"])
def test_acceptable_passwords(password: str):
    check_password(password)


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("73914", "at least 6"),
        ("7" * (MAX_LENGTH + 1), "at most 128"),
        ("000000", "single character"),
        ("aaaaaaaa", "single character"),
        ("123456", "commonest"),
        ("PassWord", "commonest"),
        ("5201314", "commonest"),
    ],
)
def test_refused_passwords_name_the_rule(password: str, rule: str):
    with pytest.raises(WeakPassword) as refused:
        check_password(password)
    assert rule in refused.value.detail
    assert refused.value.field == "password"
    assert password not in refused.value.detail


@given(character=st.characters(), length=st.integers(min_value=MIN_LENGTH, max_value=MAX_LENGTH))
def test_any_single_repeated_character_is_refused(character: str, length: int):
    with pytest.raises(WeakPassword):
        check_password(character * length)


def test_the_shipped_list_is_all_long_enough_to_pass_the_length_rule():
    # A listed entry shorter than the minimum would be dead weight: the length rule refuses it first.
    assert all(len(pin) >= MIN_LENGTH for pin in COMMON_PINS)
