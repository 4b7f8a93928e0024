"""`/health`: is this API process able to serve (database and chain nodes reachable)?"""

from typing import Any, Final

from fastapi import APIRouter

from api.deps import ChainsDep, SessionDep
from api.errors import Unhealthy, problem_doc
from api.schemas import HealthReport
from api.services.health import run_checks

router = APIRouter(tags=["operations"])
HEAD_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    503: problem_doc("A check failed (GET says which).")
}


@router.head("/health", summary="The GET check's status, no body (load balancers)", responses=HEAD_RESPONSES)
@router.get(
    "/health",
    summary="Check the database and the chain nodes",
    responses={503: problem_doc("A check failed; `checks` names it.")},
)
def health(session: SessionDep, chains: ChainsDep) -> HealthReport:
    """Runs every check each time (no caching), so a load balancer sees a failure at once."""
    checks = run_checks(session, chains)
    failing = sorted(name for name, check in checks.items() if check.status == "fail")
    if failing:
        raise Unhealthy(
            f"failing checks: {', '.join(failing)}",
            checks={name: check.model_dump(exclude_none=True) for name, check in checks.items()},
        )
    return HealthReport(status="ok", checks=checks)
