"""The body of `/v1/markets/{id}/sandbox-funds` (the answer is `api.markets.schemas.Balances`)."""

from api.orders.schemas import DecimalText
from api.schemas import ApiModel


class SandboxFunds(ApiModel):
    """Test money to add to the caller's sandbox balances, in each currency's own units."""

    base: DecimalText = "0"
    """Base currency (TPW), a decimal string, at most 1,000,000."""
    quote: DecimalText = "0"
    """Quote currency (tUSD), a decimal string, at most 100,000,000."""
