"""Alembic revisions of the API database, one module per schema change."""
