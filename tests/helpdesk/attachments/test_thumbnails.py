"""Thumbnails: pictures scaled down to fit 240 x 240 (never up), turned upright, bombs refused.

Sizes are read back from the bytes' own headers (PNG's IHDR, JPEG's SOF), not through Pillow.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from helpdesk.attachments.thumbnails import make_thumbnail


def _picture(width: int, height: int, fmt: str, **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format=fmt, **save)
    return out.getvalue()


def _png_size(payload: bytes) -> tuple[int, int]:
    assert payload[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", payload[16:24])


def _jpeg_size(payload: bytes) -> tuple[int, int]:
    assert payload[:2] == b"\xff\xd8"
    index = 2
    while index < len(payload):
        marker, length = payload[index + 1], struct.unpack(">H", payload[index + 2 : index + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", payload[index + 5 : index + 9])
            return width, height
        index += 2 + length
    raise AssertionError("no SOF marker")


def test_a_large_png_fits_in_240_keeping_its_proportions():
    thumbnail = make_thumbnail(_picture(600, 400, "PNG"), "image/png")
    assert thumbnail.media_type == "image/png" and _png_size(thumbnail.payload) == (240, 160)


def test_a_photo_becomes_a_small_jpeg():
    photo = _picture(1600, 1200, "JPEG", quality=95)
    thumbnail = make_thumbnail(photo, "image/jpeg")
    assert thumbnail.media_type == "image/jpeg" and _jpeg_size(thumbnail.payload) == (240, 180)
    assert len(thumbnail.payload) < len(photo)


def test_a_small_picture_is_not_enlarged():
    assert _png_size(make_thumbnail(_picture(100, 50, "PNG"), "image/png").payload) == (100, 50)


def test_a_phone_portrait_stored_sideways_is_turned_upright():
    # 400 x 200 pixels as stored, with EXIF orientation 6: the camera was turned, shown 200 x 400.
    exif = Image.Exif()
    exif[0x0112] = 6
    thumbnail = make_thumbnail(_picture(400, 200, "JPEG", exif=exif.tobytes()), "image/jpeg")
    assert _jpeg_size(thumbnail.payload) == (120, 240)


def test_bytes_that_are_no_picture_get_no_thumbnail():
    assert make_thumbnail(b"\x89PNG\r\n\x1a\nthis is not a picture", "image/png") is None


def test_a_decompression_bomb_gets_no_thumbnail():
    # A valid PNG header declaring 100,000 x 100,000 pixels (10 gigapixels), with almost no data.
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )
    assert make_thumbnail(bomb, "image/png") is None
