"""Run benchmark subprocesses with a time limit and measure their peak memory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Measurement",
    "alternate",
    "child_env",
    "import_time",
    "median_of",
    "process_cpu_seconds",
    "run_command",
    "run_driver",
    "spread_text",
]

DRIVER = Path(__file__).with_name("_driver.py")


@dataclass
class Measurement:
    """Outcome of one measured subprocess.

    Attributes
    ----------
    seconds : float or None
        Time of the measured operation; None when it failed or timed out.
    peak_rss_kb : int or None
        Peak resident set size of the process, KiB.
    timed_out : bool
        The process was killed at the time limit.
    limit : float
        The time limit, seconds.
    error : str or None
        Why the case failed.
    extra : dict
        Case-specific numbers reported by the driver.
    """

    seconds: float | None = None
    peak_rss_kb: int | None = None
    timed_out: bool = False
    limit: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the operation completed."""
        return self.seconds is not None and not self.timed_out and self.error is None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "ok": self.ok,
            "seconds": self.seconds,
            "peak_rss_mib": None if self.peak_rss_kb is None else self.peak_rss_kb / 1024,
            "timed_out": self.timed_out,
            "time_limit_s": self.limit,
            "error": self.error,
            "extra": self.extra,
        }


def child_env() -> dict[str, str]:
    """Environment for benchmark children: no ``PYTHONPATH``, no progress bars on a TTY.

    Returns
    -------
    dict
        A copy of ``os.environ`` without ``PYTHONPATH`` (so the 1.15.0 venv
        never sees this checkout) and without ``GWCLOUD_*`` overrides.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "PYTHONPATH" and not key.startswith("GWCLOUD_")
    }
    return env


def process_cpu_seconds(pid: int | None) -> float | None:
    """Return the user + system CPU seconds a running process has used so far.

    Parameters
    ----------
    pid : int or None
        Process ID (the local server's).

    Returns
    -------
    float or None
        CPU seconds, or None when unknown.
    """
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _read_hwm(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_driver(
    python: Path,
    case: str,
    params: dict[str, Any],
    *,
    timeout: float,
    workdir: Path,
    tag: str,
) -> Measurement:
    """Run one case of ``_driver.py`` in a fresh interpreter.

    Parameters
    ----------
    python : Path
        Interpreter (selects the library version).
    case : str
        Driver case name.
    params : dict
        Case parameters (JSON-serialisable).
    timeout : float
        Seconds before the process (group) is killed.
    workdir : Path
        Where the result file and the child's log go.
    tag : str
        Unique name of this run, used for those files.

    Returns
    -------
    Measurement
        Time and peak RSS reported by the child, or the timeout or error.
    """
    out = workdir / f"{tag}.json"
    log = workdir / f"{tag}.log"
    out.unlink(missing_ok=True)
    command = [str(python), str(DRIVER), case, json.dumps(params), str(out)]
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=handle,
            env=child_env(),
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            hwm = _read_hwm(process.pid)
            _kill(process)
            return Measurement(timed_out=True, limit=timeout, peak_rss_kb=hwm)
    if not out.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return Measurement(limit=timeout, error=f"exit {process.returncode}: {tail[0][:200]}")
    data = json.loads(out.read_text())
    if not data.get("ok"):
        return Measurement(limit=timeout, error=data.get("error"), peak_rss_kb=data["peak_rss_kb"])
    return Measurement(
        seconds=float(data["seconds"]),
        peak_rss_kb=int(data["peak_rss_kb"]),
        limit=timeout,
        extra=dict(data.get("extra") or {}),
    )


def run_command(command: list[str], *, timeout: float, poll: float = 0.005) -> Measurement:
    """Run an external program, timing it and sampling its ``VmHWM``.

    The peak RSS is the last ``VmHWM`` read from ``/proc/PID/status`` while the
    process ran (the high-water mark only grows, so the last sample is within
    ``poll`` seconds of the end).  ``getrusage`` is not used: a child started
    with ``vfork`` inherits the parent's high-water mark in ``ru_maxrss``.

    Parameters
    ----------
    command : list of str
        Program and arguments.
    timeout : float
        Seconds before it is killed.
    poll : float
        Sampling interval, seconds.

    Returns
    -------
    Measurement
        Wall time (including process start-up) and peak RSS.
    """
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    hwm: int | None = None
    while process.poll() is None:
        sample = _read_hwm(process.pid)
        if sample is not None:
            hwm = sample
        if time.perf_counter() - start > timeout:
            _kill(process)
            return Measurement(timed_out=True, limit=timeout, peak_rss_kb=hwm)
        time.sleep(poll)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        return Measurement(limit=timeout, error=f"{command[0]} exited {process.returncode}")
    return Measurement(seconds=seconds, peak_rss_kb=hwm, limit=timeout)


def import_time(python: Path, module: str, runs: int = 7) -> dict[str, Any]:
    """Median wall time of ``python -c "import module"`` in fresh processes.

    Parameters
    ----------
    python : Path
        Interpreter.
    module : str
        Module to import.
    runs : int
        Number of processes (one untimed warm-up run first fills the
        filesystem cache and writes bytecode).

    Returns
    -------
    dict
        ``median_s``, ``runs_s`` (all samples) and ``bare_interpreter_s`` (median
        of ``python -c pass``).
    """

    def sample(code: str) -> float:
        start = time.perf_counter()
        subprocess.run(
            [str(python), "-c", code],
            check=True,
            env=child_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return time.perf_counter() - start

    sample(f"import {module}")
    samples = [sample(f"import {module}") for _ in range(runs)]
    bare = [sample("pass") for _ in range(runs)]
    return {
        "median_s": statistics.median(samples),
        "runs_s": samples,
        "bare_interpreter_s": statistics.median(bare),
    }


def median_of(runs: list[Measurement | None]) -> Measurement | None:
    """The median run (with every sample in ``samples_s``), or the first failed one."""
    done = [m for m in runs if m is not None and m.ok]
    if not runs or runs[0] is None:
        return None
    if len(done) < len(runs):
        return next(m for m in runs if m is not None and not m.ok)
    ordered = sorted(done, key=lambda m: m.seconds or 0.0)
    middle = ordered[len(ordered) // 2]
    middle.extra["samples_s"] = [m.seconds for m in done]
    return middle


def alternate(
    runners: dict[str, Callable[[], Measurement | None]], runs: int
) -> dict[str, Measurement | None]:
    """Run each runner ``runs`` times, alternating between them; the median run of each.

    Each round starts with the next client (round 1: A B C, round 2: B C A, ...), so
    that no client always runs first after a quiet spell or right after seeding.  The
    medians carry every sample (``samples_s``) and their spread (``spread_s``: min
    and max).
    """
    samples: dict[str, list[Measurement | None]] = {name: [] for name in runners}
    names = list(runners)
    for round_ in range(max(1, runs)):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(runners[name]())
    return {name: median_of(found) for name, found in samples.items()}


def spread_text(m: Measurement | None) -> str:
    """The median and the spread of its samples, for the lines under the table."""
    if m is None or not m.ok:
        return "-"
    values = [v for v in m.extra.get("samples_s", [m.seconds]) if v is not None]
    if len(values) < 2:
        return f"{m.seconds:.2f} s (1 run)"
    return f"{m.seconds:.2f} s (n={len(values)}, {min(values):.2f}-{max(values):.2f})"
