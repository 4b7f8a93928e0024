"""Reading the options' configuration files: the volatility surface and the listed series.

The files are parsed here (YAML) and checked by the pure parsers (`matching.options.surface.parse_surface`,
`matching.options.series.parse_series`), whose errors name the file and the entry; a file that cannot be
read or is not YAML is refused the same way, naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from matching.options.series import OptionSeries, SeriesError, parse_series
from matching.options.surface import SurfaceError, VolSurface, parse_surface

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config" / "options"
SURFACE_PATH = CONFIG_DIR / "surface.yaml"
SERIES_PATH = CONFIG_DIR / "series.yaml"


def _read(path: Path, error: type[ValueError]) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{path}: cannot be read as YAML ({type(problem).__name__})") from problem


def load_surface(path: Path = SURFACE_PATH) -> VolSurface:
    """The surface in `path`, checked whole."""
    return parse_surface(_read(path, SurfaceError), str(path))


def load_series(path: Path = SERIES_PATH) -> list[OptionSeries]:
    """The series listed in `path`, checked whole."""
    return parse_series(_read(path, SeriesError), str(path))
