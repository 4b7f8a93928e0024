"""The payment password's policy: what a new password must be, checked before it is hashed.

A payment password confirms a payment on a device the subject is already signed in on, so it is often a
PIN. The policy refuses the guesses that would open most accounts within the lockout's few attempts: too
short, one character repeated, or one of the commonest PINs (a short list shipped here: the lockout makes a
long one pointless, it only has to cover what an attacker tries first).
"""

from typing import Final

from risk.factors.errors import WeakPassword

MIN_LENGTH: Final = 6
MAX_LENGTH: Final = 128  # Argon2 hashes anything, but a bound keeps a request from making it hash megabytes

COMMON_PINS: Final = frozenset(
    {
        "123456",
        "654321",
        "123123",
        "121212",
        "112233",
        "123321",
        "131313",
        "159753",
        "147258",
        "123654",
        "012345",
        "234567",
        "456789",
        "987654",
        "696969",
        "520520",
        "5201314",
        "1234567",
        "12345678",
        "87654321",
        "123456789",
        "1234567890",
        "0123456789",
        "00000000",
        "11223344",
        "12341234",
        "password",
        "qwerty",
        "abc123",
        "qwerty123",
        "password1",
        "iloveyou",
        "111222",
        "102030",
        "101010",
        "202020",
        "252525",
    }
)
"""The commonest 6-to-10-digit PINs and passwords of the public leak studies (DataGenetics' PIN analysis,
the most frequent entries of leaked password lists): the first guesses of any attacker."""


def check_password(password: str) -> None:
    """`WeakPassword` naming the first rule `password` breaks; nothing if it passes."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the payment password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"the payment password must have at most {MAX_LENGTH} characters")
    if len(set(password)) == 1:
        raise WeakPassword("the payment password must not repeat a single character")
    if password.lower() in COMMON_PINS:
        raise WeakPassword("the payment password is one of the commonest and would be guessed first")
