"""Check for the system libraries WeasyPrint (label PDFs) loads, before anything else runs:
`make run` and `make test` call this first and say exactly what to install.

Standard library only: it runs with the system Python, before .venv exists.
"""

from __future__ import annotations

import ctypes.util
import platform
import sys
from pathlib import Path

# What WeasyPrint loads with ctypes/cffi (its own list: gobject, pango, pangoft2,
# harfbuzz, fontconfig).
LIBRARIES = {"gobject-2.0": "GLib", "pango-1.0": "Pango", "pangoft2-1.0": "PangoFT2",
             "harfbuzz": "HarfBuzz", "fontconfig": "Fontconfig"}

INSTALL = {
    "debian": "sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b "
              "libfontconfig1 fonts-dejavu-core",
    "fedora": "sudo dnf install pango harfbuzz fontconfig dejavu-sans-mono-fonts",
    "macos": "brew install pango",
}


def _family() -> str:
    if sys.platform == "darwin":
        return "macos"
    try:
        release = Path("/etc/os-release").read_text()
    except OSError:
        return "debian"
    ids = " ".join(line.split("=", 1)[1].strip('"') for line in release.splitlines()
                   if line.startswith(("ID=", "ID_LIKE=")))
    return "fedora" if any(n in ids for n in ("fedora", "rhel", "centos")) else "debian"


def missing_libraries() -> list[str]:
    return [name for lib, name in LIBRARIES.items() if ctypes.util.find_library(lib) is None]


def main() -> int:
    missing = missing_libraries()
    if not missing:
        return 0
    family = _family()
    print(f"growapp renders label PDFs with WeasyPrint, which needs system libraries "
          f"missing here: {', '.join(missing)}.", file=sys.stderr)
    print(f"Install them ({platform.system()}, {family}):\n\n    {INSTALL[family]}\n",
          file=sys.stderr)
    print("Other systems: see README.md, 'System packages'. Then run make again.",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
