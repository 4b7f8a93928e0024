"""The statement source of each rail the API reconciles, built from the same settings that configure the rail.

`TPW_RECONCILIATION_RAILS` only names rails; where each one's record is read comes from that rail's own
settings through the function the rail's registration uses too (`bank_connection_from`,
`card_processor_client`, `deployed_router`), so a URL or a credential path is never configured twice and
reconciliation reads the very counterpart the rail pays through. A rail named but not configured stops the
start (`SourceConfigError`), rather than failing at the first run. The stablecoin source finds L1's router
and treasury on its first read, as the rail does: the API may start before the contracts are deployed; it
names the treasury's refund payouts through the API's database (`refunds_by_custody_nonce`).
"""

import datetime
import functools
import threading
from collections.abc import Callable, Sequence
from typing import Final

from sqlalchemy import Engine

from api.payment_intents.stablecoin import deployed_router
from api.rails.bank import bank_connection_from
from api.rails.card import card_processor_client
from api.settings import ApiSettings
from chain.deployments import Deployments
from chain.treasury import CONTRACT_TYPE as TREASURY_NAME
from chain.treasury import Treasury
from payments.intents.model import RailKind
from payments.rails.bank.statements import BankStatements
from payments.rails.card.statement import CardSettlements
from payments.rails.stablecoin.payouts import refunds_by_custody_nonce
from payments.rails.stablecoin.statement import PaidStatement
from payments.reconciliation.lines import ExternalLine, StatementSource


class SourceConfigError(RuntimeError):
    """A rail to reconcile is not configured on this server."""


class DeployedPaidStatement:
    """`PaidStatement` of the router and the treasury L1's registry names, found on the first read (and
    again after a failure, which makes that read's rail `unreadable`); payouts are named from `engine`."""

    def __init__(self, settings: ApiSettings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._statement: PaidStatement | None = None
        self._lock = threading.Lock()

    @property
    def rail(self) -> RailKind:
        return RailKind.STABLECOIN

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        with self._lock:
            if self._statement is None:
                self._statement = self._deployed()
            statement = self._statement
        return statement.lines(day)

    def _deployed(self) -> PaidStatement:
        router, config = deployed_router(self._settings)
        registry = Deployments.load(self._settings.l1_deployments_network, self._settings.deployments_dir)
        treasury = Treasury(router.w3, registry.get(TREASURY_NAME).address)
        return PaidStatement(
            router, config, treasury, functools.partial(refunds_by_custody_nonce, self._engine)
        )


def _bank(settings: ApiSettings, engine: Engine) -> StatementSource:
    connection = bank_connection_from(settings)
    if connection is None:
        raise SourceConfigError("the bank rail is reconciled but not configured: set TPW_BANK_URL")
    return BankStatements(connection)


def _card(settings: ApiSettings, engine: Engine) -> StatementSource:
    client = card_processor_client(settings)
    if client is None:
        raise SourceConfigError("the card rail is reconciled but not configured: set TPW_CARD_PROCESSOR_URL")
    return CardSettlements(client)


def _stablecoin(settings: ApiSettings, engine: Engine) -> StatementSource:
    if not settings.stablecoin_rail:
        raise SourceConfigError("the stablecoin rail is reconciled but not served: set TPW_STABLECOIN_RAIL")
    return DeployedPaidStatement(settings, engine)


BUILDERS: Final[dict[RailKind, Callable[[ApiSettings, Engine], StatementSource]]] = {
    RailKind.BANK: _bank,
    RailKind.CARD: _card,
    RailKind.STABLECOIN: _stablecoin,
}


def statement_sources(settings: ApiSettings, engine: Engine) -> dict[RailKind, StatementSource]:
    """The source of every rail in `reconciliation_rails`, reading our own records (which payout paid which
    refund) from `engine`; `SourceConfigError` for one not configured."""
    return {rail: BUILDERS[rail](settings, engine) for rail in settings.reconciliation_rails}
