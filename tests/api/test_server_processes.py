"""`python -m api` in several processes (`TPW_API_WORKERS`): refused where one process must be the only
writer (SQLite's queued writers, the custody coordinator's audit log), allowed on PostgreSQL without custody.
"""

from pathlib import Path

from api.__main__ import workers_refusal
from api.settings import ApiSettings

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _settings(tmp_path: Path, database_url: str, workers: int) -> ApiSettings:
    return ApiSettings(
        database_url=database_url, api_workers=workers, custody_roster_path=tmp_path / "roster.json"
    )


def test_one_process_is_always_served(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text("{}")
    assert workers_refusal(_settings(tmp_path, f"sqlite:///{tmp_path / 'api.db'}", 1)) is None


def test_several_processes_on_postgresql_without_custody(tmp_path: Path) -> None:
    assert workers_refusal(_settings(tmp_path, PG, 4)) is None


def test_several_processes_are_refused_on_sqlite(tmp_path: Path) -> None:
    refusal = workers_refusal(_settings(tmp_path, f"sqlite:///{tmp_path / 'api.db'}", 2))
    assert refusal is not None
    assert "PostgreSQL" in refusal


def test_several_processes_are_refused_with_custody(tmp_path: Path) -> None:
    (tmp_path / "roster.json").write_text("{}")
    refusal = workers_refusal(_settings(tmp_path, PG, 2))
    assert refusal is not None
    assert "custody" in refusal
