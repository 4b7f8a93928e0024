"""The API's screening runtime: the list in use (`risk.screening.source.ListSource` on the settings'
`screening_list_dir`) and the `Screener` every screening of the API goes through (the routes, KYC
onboarding, merchant onboarding).

`screener()` looks at the list directory first: when its files changed (an operator copied OFAC's new
files in, or the list route replaced them), every known subject is re-screened against the new version
before the screening asked for runs (`Screener.switch_list`), so no screening is recorded against a list
the subjects were not re-screened on. Only the API re-screens; the payout worker reads the same directory.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from api.errors import ServiceUnavailable
from api.settings import ApiSettings
from risk.screening.errors import InvalidListFile
from risk.screening.model import Screening
from risk.screening.screenings import Screener, ScreeningPolicy
from risk.screening.source import ListSource

log = logging.getLogger("api.screening")


class ScreeningUnavailable(
    ServiceUnavailable, problem="screening-unavailable", title="Screening unavailable"
):
    """No readable sanctions list at the settings' `screening_list_dir`: nothing may be screened."""


def millis() -> int:
    return int(time.time() * 1000)


@dataclass
class ScreeningRuntime:
    engine: Engine
    source: ListSource
    policy: ScreeningPolicy
    clock: Callable[[], int] = millis
    _screener: Screener | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def screener(self) -> Screener:
        """The screener on the current list, every known subject re-screened first if it changed."""
        try:
            index = self.source.current()
        except InvalidListFile as error:
            raise ScreeningUnavailable(f"no usable sanctions list: {error}") from None
        with self._lock:
            if self._screener is None:
                self._screener = Screener(self.engine, index, clock=self.clock, policy=self.policy)
            if self._screener.index.version != index.version:
                rescreened = self._screener.switch_list(index)
                log.info("sanctions list %s in use: %d re-screened", index.version[:12], len(rescreened))
            return self._screener

    def replace(self, files: Mapping[str, bytes]) -> tuple[Screener, list[Screening]]:
        """Write a new list and re-screen every known subject against it; the screenings it made."""
        with self._lock:
            index = self.source.replace(files)
            if self._screener is None:
                self._screener = Screener(self.engine, index, clock=self.clock, policy=self.policy)
            rescreened = self._screener.switch_list(index)
            log.info("sanctions list %s loaded: %d re-screened", index.version[:12], len(rescreened))
            return self._screener, rescreened


_creating = threading.Lock()


def runtime_of(state: Any) -> ScreeningRuntime:
    """The app's screening runtime (on `state`, the app's state) on its database and the settings' list
    directory, made on first use."""
    with _creating:
        runtime: ScreeningRuntime | None = getattr(state, "screening", None)
        if runtime is None:
            settings: ApiSettings = state.settings
            runtime = state.screening = ScreeningRuntime(
                state.engine,
                ListSource(settings.screening_list_dir),
                ScreeningPolicy(name_threshold=settings.screening_name_threshold),
            )
    return runtime
