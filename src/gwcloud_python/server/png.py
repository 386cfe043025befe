"""Tiny valid PNG images built with zlib and struct (no imaging library)."""

from __future__ import annotations

import struct
import zlib

__all__ = ["make_png"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def make_png(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    """Return an RGB PNG with a gradient pattern.

    Parameters
    ----------
    width, height : int
        Image size in pixels.
    seed : int
        Varies the colours, so different plots differ.

    Returns
    -------
    bytes
        The PNG file.
    """
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes(
                ((x * 4 + seed * 37) % 256, (y * 5 + seed * 11) % 256, ((x + y) * 3 + seed) % 256)
            )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
