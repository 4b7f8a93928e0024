"""`python -m api`: serve the API with uvicorn on the settings' host and port.

uvicorn's own logging setup and access log are turned off: the app logs every request itself, with its
request id, in the configured format.
"""

import uvicorn

from api.settings import get_settings


def main() -> None:
    """Serve until interrupted."""
    settings = get_settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
