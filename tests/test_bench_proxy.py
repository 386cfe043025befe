"""The bench's RTT-emulating proxy (``bench/_rtt_proxy.py``) delays and keeps byte order.

Only lower bounds of time are asserted (a delay can never be shorter than the
proxy's sleep), so the test does not depend on the machine's speed.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from _rtt_proxy import RttProxy, ThreadedRttProxy

RTT = 0.2


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes
) -> float:
    start = time.monotonic()
    writer.write(payload)
    await writer.drain()
    got = await reader.readexactly(len(payload))
    assert got == payload
    return time.monotonic() - start


def test_proxy_delays_each_direction_and_new_connections() -> None:
    async def main() -> tuple[float, float, float, dict[str, int]]:
        echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
        port = echo.sockets[0].getsockname()[1]
        proxy = await RttProxy("127.0.0.1", port, RTT).start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
            first = await _exchange(reader, writer, b"hello")
            second = await _exchange(reader, writer, b"again")
            writer.close()
            reader2, writer2 = await asyncio.open_connection("127.0.0.1", proxy.port)
            fresh = await _exchange(reader2, writer2, b"x")
            writer2.close()
            return first, second, fresh, proxy.snapshot()
        finally:
            await proxy.stop()
            echo.close()

    first, second, fresh, counts = asyncio.run(main())
    # New connection: one RTT of handshake, then RTT/2 there and RTT/2 back.
    assert first >= 2 * RTT * 0.99
    assert fresh >= 2 * RTT * 0.99
    # Same connection again: one RTT.
    assert second >= RTT * 0.99
    assert counts["connections"] == 2
    assert counts["bytes_up"] == counts["bytes_down"] == 11


def test_proxy_keeps_byte_order_under_many_small_writes() -> None:
    pieces = [os.urandom(size) for size in (1, 7, 300, 65536, 3, 200_000, 1, 4096) * 8]
    payload = b"".join(pieces)

    async def main() -> bytes:
        echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
        port = echo.sockets[0].getsockname()[1]
        proxy = await RttProxy("127.0.0.1", port, 0.01).start()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)

            async def send() -> None:
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0)

            sender = asyncio.create_task(send())
            got = await reader.readexactly(len(payload))
            await sender
            writer.close()
            return got
        finally:
            await proxy.stop()
            echo.close()

    assert asyncio.run(main()) == payload


def test_threaded_proxy_counts_connections_and_refuses_negative_rtt() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        proxy = ThreadedRttProxy("127.0.0.1", port, 0.0).start()
        try:
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", proxy.proxy.port)):
                    conn, _ = listener.accept()
                    conn.close()
            deadline = time.monotonic() + 5
            while proxy.snapshot()["connections"] < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert proxy.snapshot()["connections"] == 3
            assert proxy.base_url == f"http://127.0.0.1:{proxy.proxy.port}"
            proxy.reset()
            assert proxy.snapshot()["connections"] == 0
        finally:
            proxy.stop()
    with pytest.raises(ValueError, match="-1"):
        RttProxy("127.0.0.1", 1, -1)
