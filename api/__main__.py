"""`python -m api`: serve the API with uvicorn on the settings' host and port, in `api_workers` processes.

uvicorn's own logging setup and access log are turned off: the app logs every request itself, with its
request id, in the configured format. No ``server`` header is sent: the banner tells an attacker which
server and version to aim at, and tells a client nothing it needs.

One process runs Python on one core at a time; `api_workers` above 1 serves the port from several (uvicorn
forks them; each runs the app's lifespan, whose background rounds are safe in several processes at once,
`api.periodic`). Two things stay with one process and are refused with more: SQLite, whose writers this
process queues on a lock of its own (`api.sqlite_writer`: several processes would meet in SQLite's busy loop
instead, and lose with "database is locked"), and the custody coordinator, whose audit log is one
hash-chained file with one writer. The in-memory rate limits are per process (N processes allow N times
the rate) unless `rate_limit_redis_url` shares them.

With `api_tls` the server speaks HTTPS itself (`api.tls.server`) and hands each request's verified client
certificate to the app (`api.tls.scope`), which merchant keys need when `merchant_mtls` says so.
"""

import uvicorn
from sqlalchemy import make_url

from api.settings import ApiSettings, get_settings
from api.tls.server import uvicorn_options


def workers_refusal(settings: ApiSettings) -> str | None:
    """Why `settings` cannot be served by more than one process, if they ask for that and it is so."""
    if settings.api_workers == 1:
        return None
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        return "TPW_API_WORKERS above 1 needs PostgreSQL: SQLite's writers are queued within one process"
    if settings.custody_roster_path.exists():
        return "TPW_API_WORKERS above 1 is refused while custody is configured: its audit log has one writer"
    return None


def main() -> None:
    """Serve until interrupted."""
    settings = get_settings()
    refusal = workers_refusal(settings)
    if refusal is not None:
        raise SystemExit(refusal)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        access_log=False,
        log_config=None,
        server_header=False,
        limit_concurrency=settings.max_connections,
        # Only named proxies may say who the client is: uvicorn's default trusts X-Forwarded-For from
        # 127.0.0.1, which would let any local process pick the address its rate limit is counted under.
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
        **uvicorn_options(settings),
    )


if __name__ == "__main__":
    main()
