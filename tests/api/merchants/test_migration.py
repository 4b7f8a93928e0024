"""Migration 0008_merchants on a database that has keys already: they stay operators' keys and work on."""

from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from api.auth import authenticate, secret_digest
from api.db import make_engine
from api.migrate import alembic_config, upgrade_database

KEY_ID = "0123456789abcdef"
SECRET = "s" * 43


def test_an_existing_key_stays_an_operators_key(database_url: str):
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0007")
            connection.execute(
                text(
                    "INSERT INTO api_keys (id, name, secret_sha256, scopes, created_at) "
                    "VALUES (:id, 'desk', :digest, 'custody:read', CURRENT_TIMESTAMP)"
                ),
                {"id": KEY_ID, "digest": secret_digest(SECRET)},
            )
        upgrade_database(engine)
        assert {"merchant_id", "livemode"} <= {
            column["name"] for column in inspect(engine).get_columns("api_keys")
        }
        with Session(engine) as session:
            client = authenticate(session, f"tpw_{KEY_ID}_{SECRET}")
            assert client is not None
            assert client.tenant is None
            assert client.scopes == {"custody:read"}
            assert authenticate(session, f"tpw_test_{KEY_ID}_{SECRET}") is None  # no mode to claim
        with engine.begin() as connection:  # and back: the key survives the downgrade too
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        assert "merchants" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
