"""Helper processes speed up large label PDFs but are never required."""

from growapp.labels import pdf as render
from growapp.labels.fitting import LabelContent
from growapp.labels.templates import BUILTIN_TEMPLATES


def test_render_falls_back_when_helpers_cannot_start(monkeypatch):
    def broken_pool(_count):
        raise RuntimeError("cannot spawn here")

    monkeypatch.setattr(render, "helper_pool", broken_pool)
    labels = [LabelContent(code=f"VFT-{i:03d}", lines=["Venus flytrap"],
                                  qr_url=f"https://grow.example.org/p/{i}") for i in range(400)]
    pdf = render.render_pdf(BUILTIN_TEMPLATES[0], labels, workers=2, chunk_pages=1)
    import pypdfium2

    assert len(pypdfium2.PdfDocument(pdf)) == 14  # 400 labels, 30 a sheet
