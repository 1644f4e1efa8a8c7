"""Structural rules of the code base (STYLE.md "Side by side with the anchors"), checked by
reading the source: file sizes, which layers may import what, services return data, limits
written once, and admin-only declared once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "growapp"
TESTS = ROOT / "tests"
MAX_LINES = 420


def _modules(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _imports(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(ROOT).with_suffix("").parts
    package = package[:-1] if package[-1] != "__init__" else package[:-1]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join((*base, node.module) if node.module else base)
            else:
                mod = node.module or ""
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
    return out


def test_no_module_over_the_limit():
    too_long = {_rel(p): n for p in _modules(APP)
                if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not too_long


@pytest.mark.parametrize("layer", ["services", "models", "labels"])
def test_domain_layers_import_no_flask(layer):
    offenders = {_rel(p): sorted(i for i in _imports(p)
                                 if i.split(".")[0] in ("flask", "flask_login", "flask_wtf"))
                 for p in _modules(APP / layer)}
    assert not {k: v for k, v in offenders.items() if v}


@pytest.mark.parametrize(("layer", "other"), [("api", "web"), ("web", "api")])
def test_api_and_web_do_not_import_each_other(layer, other):
    offenders = {_rel(p) for p in _modules(APP / layer)
                 if any(i == f"growapp.{other}" or i.startswith(f"growapp.{other}.")
                        for i in _imports(p))}
    assert not offenders


def test_no_test_module_imports_another():
    offenders = {_rel(p) for p in _modules(TESTS) if "helpers" not in p.parts
                 and any(re.fullmatch(r"tests(\.\w+)*\.test_\w+", i) or
                         re.fullmatch(r"tests(\.\w+)*\.conftest", i) for i in _imports(p))}
    assert not offenders


PAGE_PATH = re.compile(r"""f?["'](/experiments|/p/|/t/|/admin|/find|/jobs|/api/)""")


def test_no_service_builds_a_page_path():
    offenders = {}
    for p in _modules(APP / "services"):
        hits = [n for n, line in enumerate(p.read_text().splitlines(), 1)
                if PAGE_PATH.search(line)]
        if hits:
            offenders[_rel(p)] = hits
    assert not offenders


def test_read_models_write_nothing():
    for p in _modules(APP / "services" / "read"):
        source = p.read_text()
        assert "record_event(" not in source and ".add(" not in source, _rel(p)


def test_admin_checked_by_the_gate_not_by_hand_in_routes():
    """Routes declare admin-only (``@admin_only`` / ``admin_only(bp)`` / ``role="admin"``);
    only the gate compares roles. A page may still ask to show or hide a control."""
    offenders = {}
    for layer in ("web", "api"):
        for p in _modules(APP / layer):
            if "/labels/" in _rel(p) or _rel(p).endswith(("api/labels.py", "api/photos.py")):
                continue
            hits = [n for n, line in enumerate(p.read_text().splitlines(), 1)
                    if re.search(r"has_role\(\"admin\"\)", line) and
                    re.search(r"\bif\b.*not|abort|raise", line)]
            if hits:
                offenders[_rel(p)] = hits
    assert not offenders
