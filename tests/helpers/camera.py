"""A fake camera for Chromium: a YUV4MPEG2 clip of a label's QR code, played by
``--use-file-for-fake-video-capture``.

The QR modules come from the label renderer (``qr_matrix``, segno inside), so the clip
shows exactly what a printed label carries; Pillow draws it and converts to 4:2:0.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from growapp.labels.qr import qr_matrix

FAKE_CAMERA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def label_frame(url: str | None, size: tuple[int, int] = (640, 480),
                module_px: int = 9) -> Image.Image:
    """A frame as a phone sees a label on a pot: a QR on a white label, a dark background.
    ``url`` None: the tent without a label in view."""
    width, height = size
    img = Image.new("RGB", size, (58, 66, 52))
    draw = ImageDraw.Draw(img)
    if url is None:
        draw.rectangle((width // 3, height // 2, 2 * width // 3, height - 40), fill=(92, 70, 48))
        return img
    matrix = qr_matrix(url)
    n = len(matrix)
    side = (n + 8) * module_px  # four modules of quiet zone each side
    left, top = (width - side) // 2, (height - side) // 2
    draw.rectangle((left - 12, top - 12, left + side + 12, top + side + 40), fill=(250, 250, 246))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark & 1:
                x0, y0 = left + (x + 4) * module_px, top + (y + 4) * module_px
                draw.rectangle((x0, y0, x0 + module_px - 1, y0 + module_px - 1), fill=(16, 16, 16))
    return img


def write_y4m(path: Path, frame: Image.Image, *, seconds: float = 2, fps: int = 10) -> Path:
    """``frame`` repeated for ``seconds`` as YUV4MPEG2, 4:2:0 (Chromium loops the file)."""
    width, height = frame.size
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half, Image.BILINEAR).tobytes() \
        + cr.resize(half, Image.BILINEAR).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(max(1, int(seconds * fps))):
            out.write(b"FRAME\n")
            out.write(planes)
    return path


def camera_args(clip: Path) -> list[str]:
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={clip}"]
