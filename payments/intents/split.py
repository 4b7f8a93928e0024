"""Split payments: one intent's amount shared among merchants, and every later movement shared alike.

A split is given as shares summing exactly to the amount. What a step moves afterwards (a partial capture,
its fee, a refund, a dispute) is divided among the shares in proportion to what each can still bear, by
the largest-remainder method in integers: each share gets the floor of its exact part, and the units left
over go one each to the shares with the largest remainders (the earlier share first on a tie). The parts
sum exactly to the total, and none exceeds its weight when the total does not exceed the weights' sum.
"""

from collections.abc import Sequence
from typing import Final

from payments.intents.errors import InvalidAmount, InvalidRequest
from payments.intents.model import ShareSpec, require_amount
from payments.merchants.tenant import MERCHANT_ID_MAX_LENGTH

MAX_SHARES: Final = 16


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """`total` divided in proportion to `weights` (non-negative, summing to at least `total`)."""
    whole = sum(weights)
    if total == 0:
        return [0] * len(weights)
    if total < 0 or any(weight < 0 for weight in weights) or whole < total:
        raise ValueError(f"cannot divide {total} among weights {list(weights)}")
    parts = [total * weight // whole for weight in weights]
    remainders = [total * weight % whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts


def check_shares(amount: int, shares: Sequence[ShareSpec]) -> None:
    """Refuse a split that is empty, too long, names a merchant badly, or does not sum to `amount`."""
    if not 1 <= len(shares) <= MAX_SHARES:
        raise InvalidRequest(f"a payment has 1..{MAX_SHARES} shares, not {len(shares)}", field="shares")
    for position, share in enumerate(shares):
        if not share.destination or len(share.destination) > MERCHANT_ID_MAX_LENGTH:
            raise InvalidRequest(
                "a share's destination is a merchant id", field=f"shares.{position}.destination"
            )
        try:
            require_amount(f"shares.{position}.amount", share.amount)
        except (TypeError, ValueError) as error:
            raise InvalidAmount(str(error), field=f"shares.{position}.amount") from error
    if len({share.destination for share in shares}) != len(shares):
        raise InvalidRequest("each merchant appears in one share only", field="shares")
    if sum(share.amount for share in shares) != amount:
        raise InvalidAmount(
            f"the shares sum to {sum(share.amount for share in shares)}, not {amount}", field="shares"
        )
