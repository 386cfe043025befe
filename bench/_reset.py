"""Bench case ``reset``: the pytest plugin's session server, its start-up and per-test reset.

The ``gwcloud_server`` fixture starts one server per test session and empties it before
every test that uses it (``POST /_admin/reset``).  Targets (issue 22): the session server
starts in under 2 s, and 100 tests add under 10 s of resets.  This case uses servers of
its own (2026 schema, as the fixture's default), built by the plugin's helper.
"""

from __future__ import annotations

import statistics
import time

from _measure import Measurement
from _report import Row

from gwcloud_python.pytest_plugin import DEFAULT_SCHEMA, start_server
from gwcloud_python.server import LocalServer

#: Server starts timed (each one a new process).
STARTS = 5
#: Resets timed, each after a test's worth of data was made.
RESETS = 100
STARTUP_TARGET_S = 2.0
RESETS_TARGET_S = 10.0


def _fill(server: LocalServer, n: int) -> None:
    """Make what a typical test makes: a user, an event ID and two jobs with files."""
    server.add_user(f"user{n}")
    event = server.create_event_id("GW150914_095045")
    for name, private in ((f"public{n}", False), (f"private{n}", True)):
        server.create_bilby_job(
            name,
            {f"result/{name}_corner.png": b"\x89PNG" * 256, "result/r.json": b"{}"},
            private=private,
            owner=f"user{n}",
            event_id=event,
        )


def reset_rows() -> list[Row]:
    """Time the session server's start-up and the per-test reset.

    Returns
    -------
    list of Row
        ``server_start`` (median of :data:`STARTS`) and ``reset`` (median of
        :data:`RESETS`, after filling the server each time).
    """
    starts = []
    for _ in range(STARTS):
        began = time.perf_counter()
        server = start_server(DEFAULT_SCHEMA)
        starts.append(time.perf_counter() - began)
        server.cleanup()
    server = start_server(DEFAULT_SCHEMA)
    try:
        resets = []
        for n in range(RESETS):
            _fill(server, n)
            began = time.perf_counter()
            server.reset()
            resets.append(time.perf_counter() - began)
        empty = []
        for _ in range(20):
            began = time.perf_counter()
            server.reset()
            empty.append(time.perf_counter() - began)
    finally:
        server.cleanup()
    start_median = statistics.median(starts)
    reset_median = statistics.median(resets)
    total = sum(resets)
    print(f"  {'server start':<28} median {start_median:.3f} s (min {min(starts):.3f})")
    print(
        f"  {'per-test reset':<28} median {reset_median * 1000:.1f} ms, max "
        f"{max(resets) * 1000:.1f} ms, {RESETS} resets {total:.2f} s; "
        f"empty server {statistics.median(empty) * 1000:.1f} ms"
    )
    start_row = Row(
        "server_start",
        f"gwcloud_server start-up, median of {STARTS}",
        Measurement(seconds=start_median, extra={"samples_s": starts}),
        target=f"<{STARTUP_TARGET_S:.0f} s",
        ratio=f"{start_median:.2f} s",
        met=start_median < STARTUP_TARGET_S,
    )
    reset_row = Row(
        "reset",
        f"per-test reset, median of {RESETS}",
        Measurement(
            seconds=reset_median,
            extra={
                "samples_s": resets,
                "total_s": total,
                "empty_median_s": statistics.median(empty),
            },
        ),
        target=f"{RESETS} tests add <{RESETS_TARGET_S:.0f} s",
        ratio=f"{RESETS} resets {total:.2f} s",
        met=total < RESETS_TARGET_S,
    )
    return [start_row, reset_row]
