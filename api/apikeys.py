"""`python -m api.apikeys`: create, list and revoke the API's keys, on the settings' database.

``create --name NAME --scopes custody:read,custody:sign`` prints a new operator's key on stdout, once: only
its SHA-256 is stored, so a lost key is revoked and replaced, never recovered (merchants get theirs through
`/v1/merchants`). ``list`` shows ids, names, scopes, revocation times and a merchant key's merchant and mode
(no secret, no hash); ``revoke KEY_ID`` refuses the key from then on. The
database is migrated first, like the API does at start; each change is appended to the custody audit log.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy.orm import Session

from api.auth import SCOPES, ApiKeyError, issue_api_key, list_api_keys, parse_scopes, revoke_api_key
from api.db import make_engine, make_session_factory
from api.migrate import upgrade_database
from api.settings import ApiSettings, get_settings
from custody.audit import AuditLog
from payments.merchants.tenant import mode_of

ACTOR = "api-keys-cli"


def _settings(context: click.Context) -> ApiSettings:
    settings: ApiSettings = context.obj if isinstance(context.obj, ApiSettings) else get_settings()
    return settings


@contextmanager
def _session(settings: ApiSettings) -> Iterator[Session]:
    """A session on the settings' database, migrated to the newest schema first."""
    engine = make_engine(settings.database_url)
    try:
        upgrade_database(engine)
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _audit(settings: ApiSettings, action: str, key_id: str, details: dict[str, Any]) -> None:
    settings.custody_audit_path.parent.mkdir(parents=True, exist_ok=True)
    AuditLog.open_file(settings.custody_audit_path).append(
        actor=ACTOR, action=action, subject=f"api-key:{key_id}", details=details
    )


@click.group()
@click.pass_context
def main(context: click.Context) -> None:
    """Manage the API's keys (database: TPW_DATABASE_URL)."""
    context.obj = _settings(context)


@main.command()
@click.option("--name", required=True, help="Who or what the key is for, e.g. treasury-desk.")
@click.option(
    "--scopes",
    required=True,
    help=f"Comma-separated: {', '.join(SCOPES)}.",
)
@click.pass_obj
def create(settings: ApiSettings, name: str, scopes: str) -> None:
    """Create a key and print it once (stdout); its id and scopes go to stderr."""
    try:
        chosen = parse_scopes(scopes)
        with _session(settings) as session:
            issued = issue_api_key(session, name, chosen)
    except ApiKeyError as error:
        raise click.UsageError(str(error)) from None
    _audit(settings, "api-key.created", issued.key_id, {"name": issued.name, "scopes": list(issued.scopes)})
    click.echo(
        f"created API key {issued.key_id} ({issued.name}) with scopes {', '.join(issued.scopes)}", err=True
    )
    click.echo("store it now: it is shown only this once", err=True)
    click.echo(issued.token)


@main.command(name="list")
@click.pass_obj
def list_keys(settings: ApiSettings) -> None:
    """List every key: id, name, scopes, created, revoked."""
    with _session(settings) as session:
        keys = list_api_keys(session)
    for key in keys:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at is not None else "-"
        created = key.created_at.isoformat(timespec="seconds")
        merchant = (
            "" if key.merchant_id is None else f"  merchant {key.merchant_id} {mode_of(bool(key.livemode))}"
        )
        scopes = key.scopes.replace(" ", ",")
        click.echo(f"{key.id}  {key.name}  {scopes}  created {created}  revoked {revoked}{merchant}")


@main.command()
@click.argument("key_id")
@click.pass_obj
def revoke(settings: ApiSettings, key_id: str) -> None:
    """Revoke KEY_ID: the API refuses it from now on."""
    try:
        with _session(settings) as session:
            key, revoked_now = revoke_api_key(session, key_id)
    except ApiKeyError as error:
        raise click.ClickException(str(error)) from None
    assert key.revoked_at is not None
    revoked_at = key.revoked_at.isoformat(timespec="seconds")
    if not revoked_now:
        click.echo(f"API key {key.id} ({key.name}) was revoked already, at {revoked_at}")
        return
    _audit(settings, "api-key.revoked", key.id, {"name": key.name, "revoked_at": revoked_at})
    click.echo(f"revoked API key {key.id} ({key.name})")


if __name__ == "__main__":
    main()
