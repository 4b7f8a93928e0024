"""The engine's refusals. `field` names the caller's input at fault, so the API can name it in a problem."""


class RiskEngineError(Exception):
    field: str | None = None

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if field is not None:
            self.field = field


class InvalidAssessment(RiskEngineError):
    """An assessment that cannot be decided on (a negative amount, a missing change kind, ...)."""


class RuleFileError(RiskEngineError):
    """The rule file is not a valid rule set; `line` is 1-based, where the fault is (0: the whole file)."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = path
        self.line = line
        self.problem = problem
