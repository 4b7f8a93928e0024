"""The volatility surface: interpolation rules, and refusals naming the file and the entry."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from matching.options.decimal_context import CONTEXT
from matching.options.surface import SurfaceError, parse_surface
from matching.options_market.config import SURFACE_PATH, load_surface

D = Decimal
GRID: dict[str, Any] = {
    "tenors_days": [30, 90],
    "moneyness": ["0.9", "1.1"],
    "vols": [["0.60", "0.40"], ["0.50", "0.50"]],
}


def test_the_shipped_surface_loads() -> None:
    surface = load_surface()
    assert surface.tenors_days[0] == 7
    assert len(surface.vols) == len(surface.tenors_days)


def test_linear_in_moneyness_flat_beyond() -> None:
    surface = parse_surface(GRID, "grid")
    month = D(30) / D(365)
    assert surface.vol(D("1.0"), month) == D("0.5")
    assert surface.vol(D("0.95"), month) == D("0.55")
    assert surface.vol(D("0.5"), month) == D("0.60")
    assert surface.vol(D(2), month) == D("0.40")


def test_linear_in_total_variance_across_tenors() -> None:
    surface = parse_surface(GRID, "grid")
    c = CONTEXT
    t1, t2 = c.divide(D(30), D(365)), c.divide(D(90), D(365))
    middle = c.divide(c.add(t1, t2), D(2))
    w = c.divide(c.add(c.multiply(D("0.36"), t1), c.multiply(D("0.25"), t2)), D(2))
    assert abs(surface.vol(D("0.9"), middle) - c.sqrt(c.divide(w, middle))) < D("1e-35")
    assert surface.vol(D("0.9"), D("0.001")) == D("0.60")  # before the first tenor
    assert surface.vol(D("0.9"), D(5)) == D("0.50")  # after the last


@pytest.mark.parametrize(
    ("change", "entry"),
    [
        ({"vols": [["0.60", 0.4], ["0.5", "0.5"]]}, "vols[0][1]"),
        ({"vols": [["0.60", "0.40"]]}, "vols"),
        ({"tenors_days": [30, 30]}, "tenors_days[1]"),
        ({"moneyness": ["1.1", "0.9"]}, "moneyness[1]"),
        ({"vols": [["0.60", "0.40"], ["0.30", "0.50"]]}, "vols[1][0]"),  # total variance falls
        ({"vols": [["0.60", "-1"], ["0.6", "0.5"]]}, "vols[0][1]"),
        ({"vols": [["0.60", "9"], ["0.6", "9"]]}, "vols[0][1]"),
        ({"extra": 1}, "extra"),
    ],
)
def test_refusals_name_the_file_and_entry(change: dict[str, Any], entry: str) -> None:
    with pytest.raises(SurfaceError) as refused:
        parse_surface({**GRID, **change}, "surface.yaml")
    assert str(refused.value).startswith(f"surface.yaml: {entry}")


def test_a_file_that_is_not_yaml_is_refused_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "surface.yaml"
    bad.write_text("tenors_days: [7\n")
    with pytest.raises(SurfaceError, match=str(bad)):
        load_surface(bad)
    assert SURFACE_PATH.exists()
