"""Thumbnails of attached pictures: the small image a ticket thread shows instead of the photo.

A phone photo is several megabytes; the thread shows it at most ``THUMBNAIL_PIXELS`` wide or high,
so the preview sends a re-encoded copy of that size (Pillow). Only the picture types a browser
shows inline get here (as sniffed when stored). A picture Pillow cannot read, or one whose
declared size is absurd (a decompression bomb), gets no thumbnail: the caller serves nothing
inline for it, and the file stays downloadable.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

THUMBNAIL_PIXELS = 240
# Beyond this many pixels the picture is refused a thumbnail: decoding it could take gigabytes.
MAX_SOURCE_PIXELS = 50_000_000
# Re-encoded as: transparency kept for png/gif/webp, photos as JPEG.
_OUTPUT = {"image/png": ("PNG", "image/png"), "image/gif": ("PNG", "image/png"), "image/webp": ("WEBP", "image/webp")}


@dataclass(frozen=True)
class Thumbnail:
    payload: bytes
    media_type: str
    width: int
    height: int


def make_thumbnail(payload: bytes, content_type: str, *, pixels: int = THUMBNAIL_PIXELS) -> Thumbnail | None:
    """The picture scaled down to fit ``pixels`` x ``pixels`` (never up), or None if unreadable."""
    try:
        with Image.open(io.BytesIO(payload)) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                return None
            image.draft("RGB", (pixels * 2, pixels * 2))  # JPEG: decode at a smaller scale, much faster
            # Phones store the camera's rotation as EXIF: apply it, or portraits show on their side.
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((pixels, pixels))
            fmt, media_type = _OUTPUT.get(content_type, ("JPEG", "image/jpeg"))
            if fmt == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            elif fmt != "JPEG" and picture.mode == "P":
                picture = picture.convert("RGBA")
            out = io.BytesIO()
            options = {"optimize": True} if fmt == "PNG" else {"quality": 85}
            picture.save(out, format=fmt, **options)
            return Thumbnail(out.getvalue(), media_type, picture.width, picture.height)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
