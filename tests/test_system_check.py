"""`make run` / `make test` first check WeasyPrint's system libraries and name the
packages to install."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_system.py"


def _load():
    spec = importlib.util.spec_from_file_location("check_system", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_missing_pango_names_the_packages(monkeypatch, capsys):
    check = _load()
    monkeypatch.setattr(check.ctypes.util, "find_library",
                        lambda name: None if name.startswith("pango") else f"lib{name}.so")
    monkeypatch.setattr(check, "_family", lambda: "debian")
    assert check.main() == 1
    err = capsys.readouterr().err
    assert "Pango, PangoFT2" in err and "apt-get install libpango-1.0-0" in err


def test_this_machine_has_them_and_the_makefile_checks_first():
    assert _load().main() == 0
    makefile = (SCRIPT.parent.parent / "Makefile").read_text()
    assert "run: system-check install" in makefile and "test: system-check install" in makefile
