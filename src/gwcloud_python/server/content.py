"""Deterministic generated file content for scale-mode jobs."""

from __future__ import annotations

import random
from collections.abc import Iterator

__all__ = ["BLOCK_SIZE", "generated_bytes", "iter_generated"]

BLOCK_SIZE = 64 * 1024


def _block(file_id: int, index: int) -> bytes:
    # deterministic filler, not security-sensitive
    return random.Random(file_id * 1_000_003 + index).randbytes(BLOCK_SIZE)  # noqa: S311


def iter_generated(file_id: int, start: int, end: int, chunk: int = 256 * 1024) -> Iterator[bytes]:
    """Yield the bytes ``[start, end)`` of a generated file.

    Parameters
    ----------
    file_id : int
        The file's primary key (seeds the content).
    start, end : int
        Byte range, end exclusive.
    chunk : int
        Largest piece yielded.

    Yields
    ------
    bytes
        Consecutive pieces of the range.
    """
    position = start
    buffer = bytearray()
    while position < end:
        index, offset = divmod(position, BLOCK_SIZE)
        take = min(BLOCK_SIZE - offset, end - position)
        buffer += _block(file_id, index)[offset : offset + take]
        position += take
        if len(buffer) >= chunk:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def generated_bytes(file_id: int, size: int) -> bytes:
    """Return the whole content of a small generated file.

    Parameters
    ----------
    file_id : int
        The file's primary key.
    size : int
        File size.

    Returns
    -------
    bytes
        The content.
    """
    return b"".join(iter_generated(file_id, 0, size))
