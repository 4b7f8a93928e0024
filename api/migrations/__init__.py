"""Alembic migrations of the API database (env.py, revisions under versions/)."""
