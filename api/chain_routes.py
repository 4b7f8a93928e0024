"""What the routes that read our contracts on a chain share: the `network` query and the problems they answer.

Every such route names its chain by role (`?network=l1`), finds the contract in that network's deployments
registry and reads it at the latest block, so each answers the same 404 (unknown network, nothing deployed),
422 and 503; a route that reads one item adds the 404 of an id that names none.
"""

from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Query

from api.errors import problem_doc
from api.pagination import LIST_RESPONSES
from api.rpc import NETWORKS

_Route = TypeVar("_Route", bound=Callable[..., Any])
Responses = dict[int | str, dict[str, Any]]

NETWORK_DESCRIPTION: Final = f"The chain, by role: one of {', '.join(NETWORKS)}."
NetworkQuery = Annotated[str, Query(description=NETWORK_DESCRIPTION)]


def read_responses(contract: str, item: str | None = None) -> Responses:
    """The problems a read of the network's `contract` answers; with `item`, its 404 names that too."""
    not_found = (
        f"Unknown network, or no {contract} deployed there."
        if item is None
        else f"Unknown network, no {contract} there, or no such {item}."
    )
    return {
        404: problem_doc(not_found),
        422: problem_doc("A malformed path or query value; `errors` names it."),
        503: problem_doc("The network's node did not answer, or the registry is another chain's."),
    }


def contract_reads(router: APIRouter, contract: str) -> Callable[..., Callable[[_Route], _Route]]:
    """A decorator of `router`'s GET routes that read the network's `contract`: `read(path, summary,
    item=..., listing=..., also=...)` documents the problems of such a read, of a list (`listing`) and
    `also` those of the route itself."""

    def read(
        path: str,
        summary: str,
        *,
        item: str | None = None,
        listing: bool = False,
        also: Responses | None = None,
    ) -> Callable[[_Route], _Route]:
        responses = {**read_responses(contract, item), **(LIST_RESPONSES if listing else {}), **(also or {})}
        return router.get(path, summary=summary, responses=responses)

    return read
