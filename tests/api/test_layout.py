"""The API's layout rule (`api/__init__.py`), checked: a feature's modules other than its router never import
the web framework, and no module but `api.deps` declares an `Annotated` dependency alias."""

import ast
from pathlib import Path

import pytest

from chain.paths import PROJECT_ROOT

API = PROJECT_ROOT / "api"
FEATURES = sorted(path.parent for path in API.glob("*/router.py"))
WEB_FRAMEWORKS = ("fastapi", "starlette")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }


def _dependency_aliases(path: Path) -> list[str]:
    """Module-level `Name = Annotated[..., Depends(...)]` assignments."""
    aliases = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript):
            source = ast.unparse(node.value)
            if source.startswith("Annotated[") and "Depends(" in source:
                aliases += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return aliases


def test_there_are_features() -> None:
    assert {feature.name for feature in FEATURES} >= {
        "custody",
        "events",
        "health",
        "subscriptions",
        "vesting",
    }


@pytest.mark.parametrize("feature", FEATURES, ids=lambda path: path.name)
def test_only_a_features_router_imports_the_web_framework(feature: Path) -> None:
    for module in sorted(feature.glob("*.py")):
        if module.name == "router.py":
            continue
        web = {name for name in _imported_modules(module) if name.split(".")[0] in WEB_FRAMEWORKS}
        assert not web, f"{module.relative_to(PROJECT_ROOT)} imports {sorted(web)}"


def test_every_dependency_alias_is_in_api_deps() -> None:
    elsewhere = {
        str(path.relative_to(PROJECT_ROOT)): _dependency_aliases(path)
        for path in sorted(API.rglob("*.py"))
        if path != API / "deps.py" and _dependency_aliases(path)
    }
    assert elsewhere == {}
    assert "SessionDep" in _dependency_aliases(API / "deps.py")
