"""Where and in what the stablecoin rail takes payments: one router on one chain, one token for one currency.

Amounts. An intent's amount is in minor units of its currency (cents of USD); the token has more decimals
(tUSD has 6), so the token amount is the amount times 10^(token decimals - currency exponent): 12.34 USD is
1234 cents is 12,340,000 tUSD base units. Only exact multiples are ever asked or accepted.
"""

from dataclasses import dataclass
from typing import Self

from eth_utils import to_checksum_address
from iso4217 import Currency
from web3 import Web3

from chain import artifacts
from chain.deployments import Deployments
from chain.payment_router import PaymentRouter


@dataclass(frozen=True, slots=True)
class StablecoinConfig:
    """Where and in what the rail takes payments: one router on one chain, one token for one currency.

    `livemode` says which intents this chain serves: a devnet or testnet serves sandbox intents only, a
    mainnet live ones only, so a sandbox key can never be paid for with real money or the reverse.
    """

    chain_id: int
    router: str
    token: str
    token_symbol: str
    token_decimals: int
    currency: str
    livemode: bool

    @property
    def scale(self) -> int:
        """Token base units per minor unit of the currency."""
        exponent = Currency(self.currency).exponent or 0
        if self.token_decimals < exponent:
            raise ValueError(f"{self.token_symbol} has fewer decimals than {self.currency} has minor units")
        return int(10 ** (self.token_decimals - exponent))

    def token_amount(self, amount: int) -> int:
        """The token base units an intent of `amount` minor units asks for."""
        return amount * self.scale

    @classmethod
    def from_registry(
        cls, router: PaymentRouter, registry: Deployments, token_name: str, currency: str, livemode: bool
    ) -> Self:
        """The config of `router` with the registry's token `token_name` (its symbol and decimals read from
        the chain) standing for `currency`."""
        token = artifacts.contract(router.w3, "Token", registry.get(token_name).address)
        return cls(
            chain_id=router.chain_id(),
            router=router.address,
            token=to_checksum_address(token.address),
            token_symbol=str(token.functions.symbol().call()),
            token_decimals=int(token.functions.decimals().call()),
            currency=currency,
            livemode=livemode,
        )


def router_and_config(
    w3: Web3, registry: Deployments, router_name: str, token_name: str, currency: str, livemode: bool
) -> tuple[PaymentRouter, StablecoinConfig]:
    """The registry's router on `w3` (its chain checked) and the rail's config for it."""
    router = PaymentRouter.from_registry(w3, registry, router_name)
    return router, StablecoinConfig.from_registry(router, registry, token_name, currency, livemode)
