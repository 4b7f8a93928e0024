"""Telling a case's subject's owner how the case ended: a registry of handlers by subject kind.

`risk` sits below `payments`, so it cannot resume a payment intent itself; the application registers, at
start, a handler per subject kind it owns (the payment intents' for `payment_intent`), and the route that
decides a case calls `dispatch` after the decision committed. A handler must be idempotent: a case decided
already may be dispatched again (after the owner failed the first time).
"""

from collections.abc import Callable

from risk.cases.model import Case, SubjectKind

Handler = Callable[[Case], None]


class Resolutions:
    """Handlers by subject kind; a kind without one is only recorded (a monitor's customer case, say)."""

    def __init__(self) -> None:
        self._handlers: dict[SubjectKind, Handler] = {}

    def register(self, kind: SubjectKind, handler: Handler) -> None:
        self._handlers[kind] = handler

    def dispatch(self, case: Case) -> bool:
        """Run the handler of the case's subject kind on a decided case; whether there was one."""
        if not case.final:
            raise ValueError(f"case {case.id} is {case.status}: only a decided case is dispatched")
        handler = self._handlers.get(case.subject_kind)
        if handler is None:
            return False
        handler(case)
        return True
