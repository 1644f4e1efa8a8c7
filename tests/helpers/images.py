"""Image bytes as phones send them, and hostile ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

EXIF_IFD, GPS_IFD = ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo


def jpeg_bytes(size=(600, 400), orientation: int | None = 6, gps: bool = True,
               taken: str | None = "2024:05:01 10:30:00", offset: str | None = None) -> bytes:
    """Left half red, right half blue, with the EXIF a phone would write."""
    img = Image.new("RGB", size, (220, 20, 20))
    img.paste((20, 20, 220), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneCo"
    sub = {}
    if taken:
        sub[ExifTags.Base.DateTimeOriginal] = taken
    if offset:
        sub[ExifTags.Base.OffsetTimeOriginal] = offset
    if sub:
        exif[EXIF_IFD] = sub
    if gps:
        exif[GPS_IFD] = {ExifTags.GPS.GPSLatitudeRef: "N",
                         ExifTags.GPS.GPSLatitude: (52.0, 22.0, 1.0),
                         ExifTags.GPS.GPSLongitudeRef: "E",
                         ExifTags.GPS.GPSLongitude: (4.0, 53.0, 2.0)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif, comment=b"taken at home")
    return buf.getvalue()


def png_bytes(size=(10, 10), mode="RGB", fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, fmt)
    return buf.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1×1 PNG whose IHDR (CRC fixed up) claims a huge size."""
    data = bytearray(png_bytes((1, 1)))
    ihdr = 8  # after the signature: length(4) type(4) data(13) crc(4)
    data[ihdr + 8:ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4:ihdr + 21]))
    data[ihdr + 21:ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


def files_under(root) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
