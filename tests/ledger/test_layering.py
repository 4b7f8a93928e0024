"""The ledger sits low: of the project it imports `chain` only (chain <- ledger <- payments <- api)."""

import ast
from pathlib import Path

import ledger

PROJECT_PACKAGES = {"api", "chain", "custody", "relay", "payments", "scripts", "benchmarks", "tests"}
ALLOWED = {"chain", "ledger"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_ledger_imports_no_layer_above_it():
    package = Path(ledger.__file__).parent
    offenders = {
        path.name: sorted((_imported_roots(path) & PROJECT_PACKAGES) - ALLOWED)
        for path in package.glob("*.py")
    }
    assert {name: roots for name, roots in offenders.items() if roots} == {}
