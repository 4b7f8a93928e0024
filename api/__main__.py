"""`python -m api`: serve the API with uvicorn on the settings' host and port.

uvicorn's own logging setup and access log are turned off: the app logs every request itself, with its
request id, in the configured format. No ``server`` header is sent: the banner tells an attacker which
server and version to aim at, and tells a client nothing it needs.
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
        server_header=False,
        limit_concurrency=settings.max_connections,
        # Only named proxies may say who the client is: uvicorn's default trusts X-Forwarded-For from
        # 127.0.0.1, which would let any local process pick the address its rate limit is counted under.
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
    )


if __name__ == "__main__":
    main()
