"""Benchmark gwcloud-python against gwcloud-python 1.15.0 and loopback baselines.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py``).  One local
server (2023 schema) is started and seeded once; every case then runs in its
own fresh interpreter (``bench/_driver.py``) so that its peak RSS is its own.
The 1.15.0 cases run in the cached venv ``bench/.venv-1.15.0`` (created on the
first run).  Prints one table and writes ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _data import (  # noqa: E402
    DEFAULT_JOB_FILES,
    GIB,
    KIB,
    LEGACY_VERSION,
    MIB,
    DataSets,
    clean_legacy_leftovers,
    ensure_job_directory,
    ensure_legacy_venv,
    seed,
    seed_default_jobs,
)
from _measure import (  # noqa: E402
    Measurement,
    alternate,
    import_time,
    median_of,
    process_cpu_seconds,
    run_command,
    run_driver,
    spread_text,
)
from _report import Row, format_table  # noqa: E402
from _rtt_proxy import ThreadedRttProxy  # noqa: E402

OURS_PYTHON = Path(sys.executable)
WORK = ROOT / ".bench"
LEGACY_VENV = HERE / f".venv-{LEGACY_VERSION}"
RESULTS = HERE / "results.json"

#: Peak RSS targets, MiB.
BIG_SAVE_RSS_MIB = 80
UPLOAD_RSS_MIB = 100

#: Upload of the 1 GiB job directory before issue 13 (README, 2026-11-26), seconds;
#: the target is >= 5x faster, i.e. <= UPLOAD_TARGET_S.
UPLOAD_BEFORE_S = 39.66
UPLOAD_TARGET_S = 8.0

#: Loopback 1,000 files: ours may take at most this times the bare pooled-httpx loop.
BASELINE_FACTOR = 1.15
#: Runs of each client in the 1,000-file case at least (about 1 s each; the noisiest case).
SMALL_FILES_MIN_RUNS = 5

#: curl's parallelism in the long-link cases (as 1.15.0's thread pool).
CURL_PARALLEL = 20
#: Issue 21 stretch: loopback 1,000 files within this factor of curl x20
#: (bench/PROFILE_many_small.md).
CURL_STRETCH_FACTOR = 1.6


class Bench:
    """State shared by the cases: interpreters, server addresses, data sets, options.

    Parameters
    ----------
    server : gwcloud_python.server.LocalServer
        The running, seeded server.
    data : DataSets
        The seeded job IDs and token.
    legacy_python : Path or None
        Interpreter of the 1.15.0 venv; None skips the 1.15.0 cases.
    args : argparse.Namespace
        Command-line options.
    """

    def __init__(
        self, server: Any, data: DataSets, legacy_python: Path | None, args: argparse.Namespace
    ) -> None:
        self.server = server
        self.data = data
        self.legacy_python = legacy_python
        self.args = args
        self.out = WORK / "out"
        self.logs = WORK / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self._serial = 0
        process = getattr(server, "_process", None)
        self.server_pid: int | None = None if process is None else process.pid
        self._proxies: dict[float, ThreadedRttProxy] = {}
        self.default_job_ids: list[str] | None = None

    def proxy(self, rtt: float) -> ThreadedRttProxy:
        """The RTT-emulating proxy in front of the server (started on first use)."""
        if rtt not in self._proxies:
            host, port = self.server.base_url.rsplit("/", 1)[-1].rsplit(":", 1)
            self._proxies[rtt] = ThreadedRttProxy(host, int(port), rtt).start()
        return self._proxies[rtt]

    def close(self) -> None:
        """Stop the proxies."""
        for proxy in self._proxies.values():
            proxy.stop()
        self._proxies.clear()

    def via(self, proxy: ThreadedRttProxy | None, url: str) -> str:
        """``url`` of the server rewritten to go through ``proxy``."""
        if proxy is None:
            return url
        return url.replace(self.server.base_url, proxy.base_url, 1)

    def default_jobs(self) -> list[str]:
        """IDs of the 20 uploaded jobs of the default-files case (uploaded on first use)."""
        if self.default_job_ids is None:
            started = time.perf_counter()
            self.default_job_ids = seed_default_jobs(
                self.server, self.data.token, WORK / "default-jobs"
            )
            print(f"  uploaded 20 default-files jobs in {time.perf_counter() - started:.1f} s")
        return self.default_job_ids

    def _requests_between_markers(self) -> dict[str, int] | None:
        try:
            log = self.server.requests()
        except Exception:
            return None
        paths = [entry.get("path", "") for entry in log]
        try:
            start = paths.index("/_bench/timed-start")
            end = paths.index("/_bench/timed-end", start)
        except ValueError:
            return None
        return _count_requests(log[start + 1 : end])

    def _reset_requests(self) -> None:
        with contextlib.suppress(Exception):  # the count is informational
            self.server.reset_requests()

    def params(self, proxy: ThreadedRttProxy | None = None, **extra: Any) -> dict[str, Any]:
        """Connection parameters (through ``proxy`` when given) plus ``extra``."""
        params = {
            "token": self.data.token,
            "auth_endpoint": self.via(proxy, self.server.auth_endpoint),
            "endpoint": self.via(proxy, self.server.endpoint),
            "base_url": self.via(proxy, self.server.base_url),
            **extra,
        }
        if proxy is not None:
            params["mark_url"] = self.server.base_url
        return params

    def run(
        self,
        which: str,
        case: str,
        timeout: float,
        proxy: ThreadedRttProxy | None = None,
        **extra: Any,
    ) -> Measurement | None:
        """Run a driver case with ``ours`` or ``legacy``; None when 1.15.0 is skipped.

        Through ``proxy``, the round trips of the timed call are counted: the
        requests the server logged between the driver's markers, and the
        connections the proxy accepted during the timed window.
        """
        python = OURS_PYTHON if which == "ours" else self.legacy_python
        if python is None:
            return None
        self._serial += 1
        tag = f"{self._serial:02d}-{which}-{case}"
        if proxy is not None:
            tag += f"-{proxy.rtt * 1000:.0f}ms"
            self._reset_requests()
        dest = extra.get("dest")
        server_cpu = process_cpu_seconds(self.server_pid)
        try:
            result = run_driver(
                python,
                case,
                self.params(proxy, **extra),
                timeout=timeout,
                workdir=self.logs,
                tag=tag,
            )
        finally:
            if dest:
                empty_files(Path(dest))
        after = process_cpu_seconds(self.server_pid)
        if server_cpu is not None and after is not None:
            # Includes the driver's login and file listing, not only the timed call.
            result.extra["server_cpu_s"] = after - server_cpu
        trips = ""
        if proxy is not None and result.ok:
            counts = self._requests_between_markers() or {}
            window = result.extra.get("window") or [0.0, 0.0]
            counts["connections"] = proxy.connections_between(window[0], window[1])
            result.extra["round_trips"] = counts
            trips = _trips_text(counts)
        status = "timeout" if result.timed_out else ("error" if result.error else "ok")
        shown = "-" if result.seconds is None else f"{result.seconds:.2f}s"
        print(f"  {tag:<36} {status:<8} {shown:>8} {trips}", flush=True)
        return result

    def curl(
        self, proxy: ThreadedRttProxy | None, timeout: float = 120, **urls_params: Any
    ) -> Measurement:
        """Fetch fresh download URLs (our API calls, untimed), then time curl on them.

        The URLs are requested straight from the server and rewritten to go
        through ``proxy``; curl runs ``--parallel --parallel-max 20`` with
        bodies to ``/dev/null``.
        """
        self._serial += 1
        urls_file = self.logs / f"{self._serial:02d}-urls.txt"
        got = self.run("ours", "urls", 120, out=str(urls_file), **urls_params)
        if got is None or not got.ok:
            return Measurement(error=f"could not get download URLs: {got and got.error}")
        urls = [self.via(proxy, url) for url in urls_file.read_text().split()]
        config = self.logs / f"{self._serial:02d}-curl.cfg"
        config.write_text("".join(f'url = "{u}"\noutput = "/dev/null"\n' for u in urls))
        self._reset_requests()
        if proxy is not None:
            proxy.reset()
        command = ["curl", "-s", "-f", "-K", str(config)]
        if len(urls) > 1:
            command[1:1] = ["--parallel", "--parallel-max", str(CURL_PARALLEL)]
        result = run_command(command, timeout=timeout)
        if proxy is not None:
            try:
                counts = _count_requests(self.server.requests())
            except Exception:
                counts = {}
            counts["connections"] = proxy.snapshot()["connections"]
            result.extra["round_trips"] = counts
        result.extra["files"] = len(urls)
        name = f"{self._serial:02d}-curl" + ("" if proxy is None else f"-{proxy.rtt * 1000:.0f}ms")
        status = "ok" if result.ok else "error"
        shown = "-" if result.seconds is None else f"{result.seconds:.2f}s"
        trips = _trips_text(result.extra.get("round_trips") or {})
        print(f"  {name:<36} {status:<8} {shown:>8} {trips}", flush=True)
        return result


def empty_files(directory: Path) -> None:
    """Delete the files under ``directory`` but keep its directories, then flush the disk.

    The next run writes into the same directories, so every client's files land in
    the same place on disk: a directory created afresh each run is placed by the file
    system anew, and creating 1,000 files took 0.03 s in one fresh directory and 0.7 s
    in another on the reference machine.  ``os.sync`` keeps the deletions' own disk
    work out of the next timed run.
    """
    if directory.is_dir():
        for folder, _, names in os.walk(directory):
            for name in names:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
    os.sync()


def _count_requests(log: list[dict[str, Any]]) -> dict[str, int]:
    """API (GraphQL) and file requests in a slice of the server's request log."""
    api = sum(1 for e in log if str(e.get("path", "")).rstrip("/").endswith("graphql"))
    marks = sum(1 for e in log if str(e.get("path", "")).startswith("/_bench/"))
    return {
        "requests": len(log) - marks,
        "api_requests": api,
        "file_requests": len(log) - api - marks,
    }


def _trips_text(counts: dict[str, Any]) -> str:
    if not counts:
        return ""
    return (
        f"requests {counts.get('requests', '?')} (api {counts.get('api_requests', '?')}), "
        f"connections {counts.get('connections', '?')}"
    )


def _ok(m: Measurement | None) -> bool:
    return m is not None and m.ok


def _lower_bound(m: Measurement | None) -> float | None:
    """Seconds, or the time limit for a timeout (a lower bound); None when unusable."""
    if m is None:
        return None
    if m.timed_out:
        return m.limit
    return m.seconds


def _mib(m: Measurement | None) -> float | None:
    return None if m is None or m.peak_rss_kb is None else m.peak_rss_kb / 1024


# --------------------------------------------------------------------------- cases


def _paired_ratios(ours: Measurement | None, base: Measurement | None) -> list[float]:
    """``ours / base`` round by round (the samples of one round ran back to back).

    A ratio taken within a round cancels most of the machine's drift between rounds;
    the target is still judged on the ratio of the medians.
    """
    if ours is None or base is None:
        return []
    mine = ours.extra.get("samples_s") or []
    theirs = base.extra.get("samples_s") or []
    if len(mine) != len(theirs):
        return []
    return [round(a / b, 3) for a, b in zip(mine, theirs, strict=True) if a and b]


def _ratio_cell(label: str, ratio: float, paired: list[float]) -> str:
    """``"<label> 1.23x (per round 1.20x)"``: the ratio of medians, then the median paired one."""
    cell = f"{label} {ratio:.2f}x"
    if paired:
        cell += f" (per round {statistics.median(paired):.2f}x)"
    return cell


def _ours_low_latency_concurrency() -> int:
    """Parallel transfers our engine uses on a fast link (the loopback baseline's threads)."""
    from gwcloud_python import _constants

    return int(getattr(_constants, "LOW_LATENCY_CONCURRENCY", 8))


def case_many_small(bench: Bench) -> list[Row]:
    """1,000 files of 10 KiB saved to disk; sweep of ``download_concurrency``."""
    limit = bench.args.legacy_timeout
    job = bench.data.many_small
    threads = _ours_low_latency_concurrency()
    runs = max(bench.args.runs, SMALL_FILES_MIN_RUNS)
    medians = alternate(
        {
            "ours": lambda: bench.run(
                "ours", "save", 120, job_id=job, dest=str(bench.out / "small")
            ),
            "legacy": lambda: bench.run(
                "legacy", "save", limit, job_id=job, dest=str(bench.out / "small")
            ),
            "baseline": lambda: bench.run(
                "ours",
                "baseline_httpx",
                120,
                job_id=job,
                concurrency=threads,
                dest=str(bench.out / "small"),
            ),
            "curl": lambda: bench.curl(None, job_id=job),
        },
        runs,
    )
    ours, legacy, baseline = medians["ours"], medians["legacy"], medians["baseline"]
    row = Row(
        "many_small",
        f"1,000 x 10 KiB files -> disk, median of {runs}",
        ours,
        legacy,
        baseline=baseline,
        baseline_label=f"httpx x{threads}",
        target=f"<={BASELINE_FACTOR}x bare pooled-httpx loop (x{threads} threads)",
    )
    legacy_s, ours_s = _lower_bound(legacy), _lower_bound(ours)
    if _ok(ours) and ours_s and _ok(baseline):
        assert baseline is not None and baseline.seconds is not None
        overhead = ours_s / baseline.seconds
        paired = _paired_ratios(ours, baseline)
        row.ratio = _ratio_cell("ours/base", overhead, paired)
        if legacy_s:
            prefix = ">" if legacy is not None and legacy.timed_out else ""
            row.ratio += f"; 1.15.0/ours {prefix}{legacy_s / ours_s:.1f}x"
        row.met = overhead <= BASELINE_FACTOR
        row.details = {
            "ours_over_baseline": overhead,
            "ours_over_baseline_per_round": paired,
            "speedup_vs_1_15_0": None if not legacy_s else legacy_s / ours_s,
            "baseline_threads": threads,
            "spread": {k: spread_text(v) for k, v in medians.items()},
        }
    else:
        row.met = False
        row.ratio = "n/a"
    rows = [row, _stretch_row(ours, medians["curl"])]
    for concurrency in bench.args.sweep:
        m = bench.run(
            "ours",
            "save",
            120,
            job_id=job,
            dest=str(bench.out / "small"),
            concurrency=concurrency,
        )
        sweep = Row(
            f"many_small_c{concurrency}",
            f"  same, download_concurrency={concurrency}",
            m,
            legacy_note="",
        )
        if _ok(m) and _ok(baseline):
            assert m is not None and m.seconds is not None
            assert baseline is not None and baseline.seconds is not None
            sweep.ratio = f"ours/base {m.seconds / baseline.seconds:.2f}x"
        rows.append(sweep)
    return rows


def _stretch_row(ours: Measurement | None, curl: Measurement | None) -> Row:
    """Issue 21's stretch: the 1,000 files within 1.6x of curl x20 on the same server and run."""
    row = Row(
        "many_small_curl",
        "  stretch: same 1,000 files, ours vs curl --parallel-max 20",
        ours,
        baseline=curl,
        baseline_label=f"curl x{CURL_PARALLEL}",
        target=f"<={CURL_STRETCH_FACTOR}x curl (stretch)",
        met=False,
        ratio="n/a",
        details={"spread": {"ours": spread_text(ours), "curl": spread_text(curl)}},
    )
    ours_s = _lower_bound(ours)
    if _ok(ours) and ours_s and _ok(curl):
        assert curl is not None and curl.seconds is not None
        ratio = ours_s / curl.seconds
        paired = _paired_ratios(ours, curl)
        row.ratio = _ratio_cell("ours/curl", ratio, paired)
        row.met = ratio <= CURL_STRETCH_FACTOR
        row.details.update(
            ours_over_curl=ratio,
            ours_over_curl_per_round=paired,
            median_s={"ours": ours_s, "curl": curl.seconds},
        )
    return row


def _trips(m: Measurement | None) -> dict[str, Any]:
    return {} if m is None else dict(m.extra.get("round_trips") or {})


def _trip_cell(m: Measurement | None) -> str:
    t = _trips(m)
    if not t:
        return "-"
    return f"{t.get('requests', '?')} req/{t.get('connections', '?')} conn"


def _rtt_details(medians: dict[str, Measurement | None], rtt: float) -> dict[str, Any]:
    return {
        "rtt_s": rtt,
        "round_trips": {name: _trips(m) for name, m in medians.items()},
        "spread": {name: spread_text(m) for name, m in medians.items()},
        "median_s": {name: None if m is None else m.seconds for name, m in medians.items()},
    }


def case_rtt_files(bench: Bench) -> list[Row]:
    """One job's 100 x 10 KiB files saved through the RTT proxy at 100 and 300 ms."""
    rows = []
    job = bench.data.hundred_small
    limit = bench.args.legacy_timeout
    for rtt in (0.1, 0.3):
        proxy = bench.proxy(rtt)
        ms = f"{rtt * 1000:.0f}ms"
        medians = alternate(
            {
                "ours": lambda proxy=proxy, ms=ms: bench.run(
                    "ours", "save", 120, proxy, job_id=job, dest=str(bench.out / f"ours-{ms}")
                ),
                "legacy": lambda proxy=proxy, ms=ms: bench.run(
                    "legacy", "save", limit, proxy, job_id=job, dest=str(bench.out / f"old-{ms}")
                ),
                "curl": lambda proxy=proxy: bench.curl(proxy, job_id=job),
            },
            bench.args.runs,
        )
        ours, legacy, curl = medians["ours"], medians["legacy"], medians["curl"]
        row = Row(
            f"rtt{ms}_100_files",
            f"{ms} RTT: 100 x 10 KiB -> disk, median of {bench.args.runs}",
            ours,
            legacy,
            baseline=curl,
            baseline_label=f"curl x{CURL_PARALLEL}",
            target=f">=2x faster than 1.15.0; <= curl + 4 RTT ({4 * rtt:.1f} s)",
        )
        row.details = _rtt_details(medians, rtt)
        ours_s, legacy_s = _lower_bound(ours), _lower_bound(legacy)
        if _ok(ours) and ours_s and legacy_s and _ok(curl):
            assert curl is not None and curl.seconds is not None
            speedup = legacy_s / ours_s
            over_curl = ours_s - curl.seconds
            row.ratio = f"1.15.0/ours {speedup:.1f}x; ours-curl {over_curl / rtt:+.1f} RTT"
            row.met = speedup >= 2 and ours_s <= curl.seconds + 4 * rtt
            row.details.update(speedup_vs_1_15_0=speedup, ours_minus_curl_rtts=over_curl / rtt)
        else:
            row.met = False
            row.ratio = "n/a"
        row.baseline_label += f" ({_trip_cell(curl)})"
        row.ratio += f"; trips ours {_trip_cell(ours)}, 1.15.0 {_trip_cell(legacy)}"
        rows.append(row)
    return rows


def case_rtt_default_jobs(bench: Bench) -> list[Row]:
    """The default files of 20 jobs at 100 ms RTT: 1.x-style loop, our bulk call, curl."""
    rtt = 0.1
    proxy = bench.proxy(rtt)
    ids = bench.default_jobs()
    limit = bench.args.legacy_timeout
    bulk = bench.args.bulk_call
    medians = alternate(
        {
            "ours_loop": lambda: bench.run(
                "ours", "default_loop", 180, proxy, job_ids=ids, dest=str(bench.out / "d-ours")
            ),
            "legacy_loop": lambda: bench.run(
                "legacy", "default_loop", limit, proxy, job_ids=ids, dest=str(bench.out / "d-old")
            ),
            "ours_bulk": lambda: bench.run(
                "ours",
                "default_bulk",
                180,
                proxy,
                job_ids=ids,
                bulk=bulk,
                dest=str(bench.out / "d-bulk"),
            ),
            "curl": lambda: bench.curl(proxy, job_ids=ids),
        },
        bench.args.runs,
    )
    loop, legacy, bulk_m, curl = (
        medians["ours_loop"],
        medians["legacy_loop"],
        medians["ours_bulk"],
        medians["curl"],
    )
    per_job = sum(1 for name, _ in DEFAULT_JOB_FILES if not name.endswith((".pickle", ".dat")))
    details = _rtt_details(medians, rtt)
    details["default_files"] = per_job * len(ids)
    call = (bulk_m.extra.get("call") if bulk_m is not None else None) or "save_files_by_reference"
    bulk_row = Row(
        "rtt100ms_20_jobs_bulk",
        f"100ms RTT: 20 jobs' default files, bulk ({call}), median of {bench.args.runs}",
        bulk_m,
        legacy,
        baseline=curl,
        baseline_label=f"curl x{CURL_PARALLEL} ({_trip_cell(curl)})",
        target=">=3x faster than 1.15.0's loop",
        details=details,
    )
    loop_row = Row(
        "rtt100ms_20_jobs_loop",
        f"100ms RTT: 20 jobs' default files, 1.x loop, median of {bench.args.runs}",
        loop,
        legacy,
        target="no slower than 1.15.0's loop",
        details=details,
    )
    legacy_s = _lower_bound(legacy)
    for row, m, factor in ((bulk_row, bulk_m, 3.0), (loop_row, loop, 1.0)):
        if _ok(m) and legacy_s:
            assert m is not None and m.seconds is not None
            speedup = legacy_s / m.seconds
            row.ratio = f"1.15.0/ours {speedup:.1f}x; trips ours {_trip_cell(m)}, "
            row.ratio += f"1.15.0 {_trip_cell(legacy)}"
            row.met = speedup >= factor
        else:
            row.met = False
            row.ratio = "n/a"
    return [bulk_row, loop_row]


def case_rtt_api(bench: Bench) -> list[Row]:
    """API calls at 100 ms RTT: ``get_public_job_list(number=1000)``; 20 x ``get_job_by_id``."""
    rtt = 0.1
    proxy = bench.proxy(rtt)
    limit = bench.args.legacy_timeout
    ids = bench.default_jobs()
    rows = []
    cases = (
        (
            "rtt100ms_list_1000",
            "100ms RTT: get_public_job_list(number=1000)",
            "list",
            {"number": 1000},
        ),
        ("rtt100ms_get_job_x20", "100ms RTT: get_job_by_id x 20", "get_jobs", {"job_ids": ids}),
    )
    for key, label, case, extra in cases:
        medians = alternate(
            {
                "ours": lambda case=case, extra=extra: bench.run("ours", case, 120, proxy, **extra),
                "legacy": lambda case=case, extra=extra: bench.run(
                    "legacy", case, limit, proxy, **extra
                ),
            },
            bench.args.runs,
        )
        ours, legacy = medians["ours"], medians["legacy"]
        row = Row(key, f"{label}, median of {bench.args.runs}", ours, legacy)
        row.details = _rtt_details(medians, rtt)
        if _ok(ours) and _ok(legacy):
            assert ours is not None and legacy is not None
            assert ours.seconds is not None and legacy.seconds is not None
            row.ratio = f"ours/1.15.0 {ours.seconds / legacy.seconds:.2f}x; "
        row.ratio += f"trips ours {_trip_cell(ours)}, 1.15.0 {_trip_cell(legacy)}"
        rows.append(row)
    return rows


def case_one_big(bench: Bench) -> list[Row]:
    """One 1 GiB file saved to disk, against curl saving it to the same disk (medians, alternating).

    curl writes into the same scratch directory as our save (``curl -o FILE``), so both
    pay for the same page-cache writes; until 2026-11-29 curl wrote to ``/dev/null``.
    """
    job = bench.data.one_big
    limit = bench.args.legacy_timeout

    def curl() -> Measurement:
        urls_file = bench.logs / "big-urls.txt"
        bench.run("ours", "urls", 60, job_id=job, out=str(urls_file))
        url = urls_file.read_text().split()[0]
        server_cpu = process_cpu_seconds(bench.server_pid)
        target = bench.out / "big" / "curl-big.bin"  # beside our copy
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            m = run_command(["curl", "-s", "-f", "-o", str(target), url], timeout=180)
        finally:
            target.unlink(missing_ok=True)
        after = process_cpu_seconds(bench.server_pid)
        if server_cpu is not None and after is not None:
            m.extra["server_cpu_s"] = after - server_cpu
        print(f"  {'curl-1GiB':<36} {'ok' if m.ok else 'error':<8} {m.seconds or 0:>7.2f}s")
        return m

    runners: dict[str, Callable[[], Measurement | None]] = {
        "ours": lambda: bench.run("ours", "save", 180, job_id=job, dest=str(bench.out / "big")),
        "curl": curl,
    }
    medians = alternate(runners, bench.args.runs)
    ours, base = medians["ours"], medians["curl"]
    legacy = bench.run("legacy", "save", limit, job_id=job, dest=str(bench.out / "old-big"))
    row = Row(
        "one_big",
        f"1 GiB file -> disk, median of {bench.args.runs}",
        ours,
        legacy,
        baseline=base,
        baseline_label="curl -o file",
        target=f"<=1.2x curl; RSS <{BIG_SAVE_RSS_MIB} MiB",
    )
    if _ok(ours) and _ok(base):
        assert ours is not None and ours.seconds is not None
        assert base is not None and base.seconds is not None
        ratio = ours.seconds / base.seconds
        rss = _mib(ours) or 0.0
        paired = _paired_ratios(ours, base)
        row.ratio = _ratio_cell("ours/curl", ratio, paired)
        row.met = ratio <= 1.2 and rss < BIG_SAVE_RSS_MIB
        row.details = {
            "ours_over_curl": ratio,
            "ours_over_curl_per_round": paired,
            "curl_peak_rss_mib": _mib(base),
            "spread": {k: spread_text(v) for k, v in medians.items()},
        }
    else:
        row.met = False
    return [row]


def case_one_medium(bench: Bench) -> list[Row]:
    """One 200 MiB file fetched into memory."""
    job = bench.data.one_medium
    size_mib = 200
    idle_ours = bench.run("ours", "idle", 60)
    idle_legacy = bench.run("legacy", "idle", 60)
    runs = [bench.run("ours", "fetch", 120, job_id=job) for _ in range(max(1, bench.args.runs))]
    ours = _median_peak(runs)
    legacy = bench.run("legacy", "fetch", bench.args.slow_timeout, job_id=job)
    base = _mib(idle_ours) or 0.0
    row = Row(
        "one_medium_memory",
        f"200 MiB file -> memory, median of {len(runs)}",
        ours,
        legacy,
        baseline_label=f"idle {base:.0f} MiB",
        target=f"RSS <=1.3x{size_mib} MiB + idle ({1.3 * size_mib + base:.0f} MiB)",
    )
    if _ok(ours):
        peak = _mib(ours) or 0.0
        row.ratio = f"(peak-idle)/size {(peak - base) / size_mib:.2f}x"
        row.met = peak <= 1.3 * size_mib + base
        row.details = {
            "idle_ours": None if idle_ours is None else idle_ours.as_dict(),
            "idle_1_15_0": None if idle_legacy is None else idle_legacy.as_dict(),
            "ours_peak_minus_import_mib": peak - base,
            "spread": spread_text(ours),
            "import_baseline_ours_mib": base,
            "import_baseline_1_15_0_mib": _mib(idle_legacy),
            "legacy_peak_minus_import_mib": None
            if legacy is None or legacy.peak_rss_kb is None
            else (_mib(legacy) or 0.0) - (_mib(idle_legacy) or 0.0),
        }
    else:
        row.met = False
    return [row]


def _median_peak(runs: list[Measurement | None]) -> Measurement | None:
    """The run with the median peak RSS (memory targets), carrying every sample."""
    done = [m for m in runs if m is not None and m.ok]
    if not done or len(done) < len(runs):
        return median_of(runs)
    ordered = sorted(done, key=lambda m: m.peak_rss_kb or 0)
    middle = ordered[len(ordered) // 2]
    middle.extra["samples_s"] = [m.seconds for m in done]
    middle.extra["samples_peak_rss_mib"] = [_mib(m) for m in done]
    return middle


def case_listing(bench: Bench) -> list[Row]:
    """``get_public_job_list(number=1000)``: median of ``--repeats`` fresh processes each.

    The two clients' runs alternate, and which one goes first alternates too, so
    that drift in the shared machine's load affects both alike.
    """
    runs = bench.args.repeats
    ours_runs, legacy_runs = [], []
    for round_ in range(runs):
        pair = [
            lambda: ours_runs.append(bench.run("ours", "list", 60, number=1000)),
            lambda: legacy_runs.append(
                bench.run("legacy", "list", bench.args.legacy_timeout, number=1000)
            ),
        ]
        for step in pair if round_ % 2 == 0 else pair[::-1]:
            step()
    ours = median_of(ours_runs)
    legacy = median_of(legacy_runs)
    row = Row(
        "list_1000",
        f"get_public_job_list(number=1000), median of {runs}",
        ours,
        legacy,
        target="no slower than 1.15.0",
    )
    if _ok(ours) and _ok(legacy):
        assert ours is not None and legacy is not None
        assert ours.seconds is not None and legacy.seconds is not None
        row.ratio = f"ours/1.15.0 {ours.seconds / legacy.seconds:.2f}x"
        row.met = ours.seconds <= legacy.seconds
    else:
        row.met = False if not _ok(ours) else None
    return [row]


def case_walk(bench: Bench) -> list[Row]:
    """Every public job walked page by page (1.15.0 has no paging)."""
    rows = []
    for page_size in (100, 1000):
        m = bench.run("ours", "walk", 300, page_size=page_size)
        row = Row(
            f"walk_{page_size}",
            f"walk {bench.data.listing_jobs:,}+ jobs, page_size={page_size}",
            m,
            legacy_note="cannot page",
        )
        if _ok(m):
            assert m is not None and m.seconds is not None
            pages = int(m.extra.get("pages", 0)) or 1
            row.ratio = f"{m.seconds / pages * 1000:.0f} ms/page"
        rows.append(row)
    return rows


def case_upload(bench: Bench) -> list[Row]:
    """``upload_job_directory`` of a 1 GiB job directory (ours: median of ``--runs``)."""
    directory = ensure_job_directory(WORK / "upload-job")
    timeout = bench.args.upload_timeout
    runs = [
        bench.run("ours", "upload", timeout, directory=str(directory))
        for _ in range(max(1, bench.args.runs))
    ]
    ours = median_of(runs)
    legacy = bench.run("legacy", "upload", timeout, directory=str(directory))
    clean_legacy_leftovers(directory)
    row = Row(
        "upload_1g",
        f"upload_job_directory, 1 GiB, median of {len(runs)}",
        ours,
        legacy,
        baseline_label=f"before: {UPLOAD_BEFORE_S:.1f} s",
        target=f">=5x faster than before (<={UPLOAD_TARGET_S:.0f} s); RSS <={UPLOAD_RSS_MIB} MiB",
    )
    if _ok(ours):
        assert ours is not None and ours.seconds is not None
        rss = max((_mib(m) or 0.0) for m in runs if m is not None)
        row.ratio = f"before/ours {UPLOAD_BEFORE_S / ours.seconds:.1f}x; peak RSS {rss:.0f} MiB"
        row.met = ours.seconds <= UPLOAD_TARGET_S and rss <= UPLOAD_RSS_MIB
        row.details = {"spread": spread_text(ours), "max_peak_rss_mib": rss}
        if _ok(legacy):
            assert legacy is not None and legacy.seconds is not None
            row.ratio += f"; ours/1.15.0 time {ours.seconds / legacy.seconds:.2f}x"
    else:
        row.met = False
    return [row]


def case_import(bench: Bench) -> list[Row]:
    """Cold ``import gwcloud_python``, median of seven fresh processes each."""
    ours_stats = import_time(OURS_PYTHON, "gwcloud_python", runs=7)
    ours = Measurement(seconds=ours_stats["median_s"], extra=ours_stats)
    legacy = None
    if bench.legacy_python is not None:
        legacy_stats = import_time(bench.legacy_python, "gwcloud_python", runs=7)
        legacy = Measurement(seconds=legacy_stats["median_s"], extra=legacy_stats)
    bare = Measurement(seconds=ours_stats["bare_interpreter_s"])
    print(f"  {'import':<28} ok       {ours.seconds:.3f}s")
    row = Row(
        "import",
        "cold import gwcloud_python, median of 7",
        ours,
        legacy,
        baseline=bare,
        baseline_label="python -c pass",
        target="no slower than 1.15.0",
    )
    if legacy is not None and legacy.seconds and ours.seconds:
        row.ratio = f"ours/1.15.0 {ours.seconds / legacy.seconds:.2f}x"
        row.met = ours.seconds <= legacy.seconds
    return [row]


def case_gwflow(bench: Bench) -> list[Row]:
    """GWFlow at 100 ms RTT: mirror 200 pending files; save a job's 200 files (2026 server)."""
    from _gwflow import REFERENCE_VERSION, gwflow_cases

    reference = ensure_legacy_venv(HERE / f".venv-{REFERENCE_VERSION}", REFERENCE_VERSION)
    return gwflow_cases(bench, OURS_PYTHON, reference)


def case_reset(bench: Bench) -> list[Row]:
    """The pytest plugin's session server: start-up, and the reset before each test."""
    from _reset import reset_rows

    return reset_rows()


CASES: dict[str, Callable[[Bench], list[Row]]] = {
    "small": case_many_small,
    "rtt_files": case_rtt_files,
    "rtt_jobs": case_rtt_default_jobs,
    "rtt_api": case_rtt_api,
    "big": case_one_big,
    "memory": case_one_medium,
    "list": case_listing,
    "walk": case_walk,
    "upload": case_upload,
    "import": case_import,
    "reset": case_reset,
    "gwflow": case_gwflow,
}


# ----------------------------------------------------------------------- main


def _versions(legacy_python: Path | None) -> dict[str, Any]:
    import httpx

    import gwcloud_python

    return {
        "gwcloud_python": gwcloud_python.__version__,
        "gwcloud_python_legacy": LEGACY_VERSION if legacy_python else None,
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "platform": platform.platform(),
        "cpus": __import__("os").cpu_count(),
    }


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}"
    )
    parser.add_argument("--no-legacy", action="store_true", help="skip gwcloud-python 1.15.0")
    parser.add_argument(
        "--legacy-timeout", type=float, default=120, help="time limit of a 1.15.0 case, s"
    )
    parser.add_argument(
        "--slow-timeout",
        type=float,
        default=60,
        help="time limit of 1.15.0's quadratic in-memory download of 200 MiB, s",
    )
    parser.add_argument(
        "--upload-timeout", type=float, default=240, help="time limit of an upload case, s"
    )
    parser.add_argument(
        "--sweep",
        type=lambda text: [int(x) for x in text.split(",") if x],
        default=[4, 16, 32],
        help="extra download_concurrency values for the 1,000-file case ('' for none)",
    )
    parser.add_argument("--repeats", type=int, default=7, help="runs of the listing case")
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="runs of each client in the target cases (alternating; the median counts)",
    )
    parser.add_argument(
        "--bulk-call",
        default="save_job_files",
        help="GWCloud method (jobs, dest) for the 20-job bulk case (default save_job_files; "
        "'' or a missing method: one save_files_by_reference over every job's default files)",
    )
    parser.add_argument(
        "--json", type=Path, default=RESULTS, help="where to write the results (JSON)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write the JSON results.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        Exit status (0 even when targets are missed).
    """
    args = _parse(argv)
    selected = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(CASES))
    if unknown:
        print(f"unknown cases: {', '.join(unknown)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    WORK.mkdir(exist_ok=True)
    legacy_python = None if args.no_legacy else ensure_legacy_venv(LEGACY_VENV)

    from gwcloud_python.server import LocalServer

    server_dir = WORK / "server"
    shutil.rmtree(server_dir, ignore_errors=True)
    server = LocalServer(server_dir, jwt_ttl=3600, job_duration=0.5).start()
    rows: list[Row] = []
    try:
        seeding = time.perf_counter()
        data = seed(server)
        seed_seconds = time.perf_counter() - seeding
        print(f"server {server.base_url}; seeded in {seed_seconds:.2f} s")
        bench = Bench(server, data, legacy_python, args)
        try:
            for name in selected:
                print(f"[{name}]", flush=True)
                rows.extend(CASES[name](bench))
        finally:
            bench.close()
    finally:
        server.stop()
        shutil.rmtree(server_dir, ignore_errors=True)
        shutil.rmtree(WORK / "out", ignore_errors=True)
    total = time.perf_counter() - started

    print()
    print(format_table(rows))
    print()
    for line in FOOTNOTES:
        print(line)
    print(f"\nTotal bench time: {total:.0f} s (seeding {seed_seconds:.2f} s)")
    print("\nSpread (median, runs, min-max):")
    for row in rows:
        spread = row.details.get("spread")
        if isinstance(spread, dict):
            print(f"  {row.label.strip()}: " + "; ".join(f"{k} {v}" for k, v in spread.items()))
        elif isinstance(spread, str):
            print(f"  {row.label.strip()}: {spread}")
    missed = [row.label.strip() for row in rows if row.met is False]
    if missed:
        print("MISSED: " + "; ".join(missed))
    targets = [
        {
            "key": row.key,
            "case": row.label.strip(),
            "target": row.target,
            "ratio": row.ratio,
            "met": row.met,
        }
        for row in rows
        if row.target
    ]
    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(legacy_python),
        "total_seconds": total,
        "seed_seconds": seed_seconds,
        "data_sets": data.summary,
        "sizes_bytes": {"small_file": 10 * KIB, "big_file": GIB, "medium_file": 200 * MIB},
        "targets": targets,
        "rows": [row.as_dict() for row in rows],
        "footnotes": FOOTNOTES,
        "targets_missed": missed,
    }
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results written to {args.json}")
    return 0


FOOTNOTES = [
    "Times cover the measured call only (fresh process per case; login and file listing "
    "excluded). RSS = peak resident set (VmHWM) of that process; curl's is sampled from /proc.",
    "1 GiB = 2^30 B, 200 MiB = 200*2^20 B, 10 KiB = 10240 B. '>N s (timeout)' = killed at "
    "the case's time limit.",
    "Baseline of the 1,000-file case: one generateFileDownloadIds mutation + plain httpx "
    "streaming of the same URLs over one pooled client with as many threads as our engine "
    'uses on a fast link, each body written to its file with a plain open(..., "wb"). '
    "Its stretch row: curl --parallel --parallel-max 20 on fresh URLs of the same files "
    "(fetched untimed), bodies to /dev/null, curl's start-up included.",
    "RTT cases: through bench/_rtt_proxy.py (each direction delayed RTT/2, a new connection's "
    "first byte one more RTT). 'N req/M conn' = requests the server logged and connections "
    "the proxy accepted during the timed call. curl gets its URLs from the same API calls "
    "(untimed) and runs --parallel --parallel-max 20.",
    "Target cases run each client --runs times (default 3), alternating; the median is shown "
    "and judged, the spread is printed below the table.",
    "200 MiB in memory: target met when raw peak RSS <= 1.3 x 200 MiB + the peak RSS of an "
    "idle interpreter that imported the library and logged in ('idle', same library).",
    "Upload: 1 GiB = 4 files of 256 MiB built from one repeating 64 MiB os.urandom block "
    "(incompressible for gzip); 1.15.0 writes its archive inside the job directory. "
    "FAILED = the call raised (reason in results.json and .bench/logs/).",
]


if __name__ == "__main__":
    sys.exit(main())
