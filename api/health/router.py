"""`/health`: is this API process able to serve (database and chain nodes reachable)?

An async route with no dependency that needs a worker thread or a pooled connection of the app's: the checks
run on the probe's own threads and connections (`api.health.service.HealthProbe`), so a health check never
queues behind business requests.
"""

from typing import Any, Final

from fastapi import APIRouter, Request

from api.deps import ChainsDep
from api.errors import Unhealthy, problem_doc
from api.health.schemas import HealthReport
from api.health.service import HealthProbe

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
async def health(request: Request, chains: ChainsDep) -> HealthReport:
    """Runs every check each time (no caching), so a load balancer sees a failure at once."""
    probe: HealthProbe = request.app.state.health_probe
    checks = await probe.run(chains)
    failing = sorted(name for name, check in checks.items() if check.status == "fail")
    if failing:
        raise Unhealthy(
            f"failing checks: {', '.join(failing)}",
            checks={name: check.model_dump(exclude_none=True) for name, check in checks.items()},
        )
    return HealthReport(status="ok", checks=checks)
