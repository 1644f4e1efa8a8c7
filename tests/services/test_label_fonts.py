"""The label font is chosen explicitly: shipped under static/fonts with its licence and
loaded by the PDF's stylesheet, so a sheet looks the same on every server."""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from growapp.labels.sheet import FONT_FAMILY, FONTS_DIR, sheet_css
from growapp.labels.templates import BUILTIN_BY_SLUG


def test_print_css_loads_the_shipped_font_files():
    css = sheet_css(BUILTIN_BY_SLUG["avery-5160"])
    faces = [rule for rule in css.splitlines() if rule.startswith("@font-face")]
    assert len(faces) == 2 and all(FONT_FAMILY in rule for rule in faces)
    for rule in faces:
        url = rule.split('url("', 1)[1].split('")', 1)[0]
        path = url2pathname(urlsplit(url).path)
        assert path.startswith(str(FONTS_DIR))
        assert Path(path).read_bytes()[:4] == b"\0\1\0\0"
    assert f'font-family: "{FONT_FAMILY}"' in css
    assert "Bitstream Vera" in (FONTS_DIR / "DejaVu-LICENSE.txt").read_text()
    assert "@font-face" not in sheet_css(BUILTIN_BY_SLUG["avery-5160"], screen=True)
