"""FastAPI dependencies as `Annotated` aliases: routes declare `session: SessionDep`, `settings: SettingsDep`.

Everything comes from the app's own state (set by `create_app`), so two apps with different settings can live
in one process, as the tests do.
"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.services.rpc import ChainClients
from api.services.version import BuildInfo
from api.settings import ApiSettings


def get_app_settings(request: Request) -> ApiSettings:
    """The settings the serving app was created with."""
    settings: ApiSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request, closed (and rolled back if uncommitted) when the request ends."""
    with request.app.state.session_factory() as session:
        yield session


def get_build_info(request: Request) -> BuildInfo:
    """What was built and from which commit, read once when the app was created."""
    build_info: BuildInfo = request.app.state.build_info
    return build_info


def get_chain_clients(request: Request) -> ChainClients:
    """Clients for the chains' nodes (tests override this dependency with an in-process chain)."""
    chains: ChainClients = request.app.state.chain_clients
    return chains


SettingsDep = Annotated[ApiSettings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
BuildInfoDep = Annotated[BuildInfo, Depends(get_build_info)]
ChainsDep = Annotated[ChainClients, Depends(get_chain_clients)]
