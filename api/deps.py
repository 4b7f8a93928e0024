"""FastAPI dependencies as `Annotated` aliases: routes declare `session: SessionDep`, `settings: SettingsDep`.

Everything comes from the app's own state (set by `create_app`), so two apps with different settings can live
in one process, as the tests do.
"""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.services.rpc import ChainClients
from api.services.version import BuildInfo
from api.settings import ApiSettings


def get_app_settings(request: Request) -> ApiSettings:
    """The settings the serving app was created with."""
    settings: ApiSettings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One database session per request, closed (and rolled back if uncommitted) when the request ends.

    Async, so opening it takes no worker thread (a session connects only when first used); closing may
    roll back, which is database work, so it runs in a worker thread."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


def get_build_info(request: Request) -> BuildInfo:
    """What was built and from which commit, read once when the app was created."""
    build_info: BuildInfo = request.app.state.build_info
    return build_info


async def get_chain_clients(request: Request) -> ChainClients:
    """Clients for the chains' nodes (tests override this dependency with an in-process chain)."""
    chains: ChainClients = request.app.state.chain_clients
    return chains


SettingsDep = Annotated[ApiSettings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
BuildInfoDep = Annotated[BuildInfo, Depends(get_build_info)]
ChainsDep = Annotated[ChainClients, Depends(get_chain_clients)]
