"""Benchmark gwcloud-python against gwcloud-python 1.15.0 and loopback baselines.

Run with ``make bench`` (or ``.venv/bin/python bench/run.py``).  One local
server (2023 schema) is started and seeded once; every case then runs in its
own fresh interpreter (``bench/_driver.py``) so that its peak RSS is its own.
The 1.15.0 cases run in the cached venv ``bench/.venv-1.15.0`` (created on the
first run).  Prints one table and writes ``bench/results.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _data import (  # noqa: E402
    GIB,
    KIB,
    LEGACY_VERSION,
    MIB,
    DataSets,
    clean_legacy_leftovers,
    ensure_job_directory,
    ensure_legacy_venv,
    seed,
)
from _measure import (  # noqa: E402
    Measurement,
    import_time,
    process_cpu_seconds,
    run_command,
    run_driver,
)
from _report import Row, format_table  # noqa: E402

OURS_PYTHON = Path(sys.executable)
WORK = ROOT / ".bench"
LEGACY_VENV = HERE / f".venv-{LEGACY_VERSION}"
RESULTS = HERE / "results.json"

#: Peak RSS targets, MiB.
BIG_SAVE_RSS_MIB = 80
UPLOAD_RSS_MIB = 100


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

    def params(self, **extra: Any) -> dict[str, Any]:
        """Connection parameters plus ``extra``."""
        return {
            "token": self.data.token,
            "auth_endpoint": self.server.auth_endpoint,
            "endpoint": self.server.endpoint,
            "base_url": self.server.base_url,
            **extra,
        }

    def run(self, which: str, case: str, timeout: float, **extra: Any) -> Measurement | None:
        """Run a driver case with ``ours`` or ``legacy``; None when 1.15.0 is skipped."""
        python = OURS_PYTHON if which == "ours" else self.legacy_python
        if python is None:
            return None
        self._serial += 1
        tag = f"{self._serial:02d}-{which}-{case}"
        dest = extra.get("dest")
        server_cpu = process_cpu_seconds(self.server_pid)
        try:
            result = run_driver(
                python, case, self.params(**extra), timeout=timeout, workdir=self.logs, tag=tag
            )
        finally:
            if dest:
                shutil.rmtree(dest, ignore_errors=True)
        after = process_cpu_seconds(self.server_pid)
        if server_cpu is not None and after is not None:
            # Includes the driver's login and file listing, not only the timed call.
            result.extra["server_cpu_s"] = after - server_cpu
        status = "timeout" if result.timed_out else ("error" if result.error else "ok")
        shown = "-" if result.seconds is None else f"{result.seconds:.2f}s"
        print(f"  {tag:<28} {status:<8} {shown}", flush=True)
        return result


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


def case_many_small(bench: Bench) -> list[Row]:
    """1,000 files of 10 KiB saved to disk; sweep of ``download_concurrency``."""
    limit = bench.args.legacy_timeout
    job = bench.data.many_small
    ours = bench.run("ours", "save", 120, job_id=job, dest=str(bench.out / "ours-small"))
    legacy = bench.run("legacy", "save", limit, job_id=job, dest=str(bench.out / "old-small"))
    baseline = bench.run("ours", "baseline_httpx", 120, job_id=job, concurrency=8)
    row = Row(
        "many_small",
        "1,000 x 10 KiB files -> disk",
        ours,
        legacy,
        baseline=baseline,
        baseline_label="httpx x8",
        target=">=5x faster than 1.15.0; <=1.5x baseline",
    )
    legacy_s, ours_s = _lower_bound(legacy), _lower_bound(ours)
    if _ok(ours) and ours_s and legacy_s and _ok(baseline):
        assert baseline is not None and baseline.seconds is not None
        speedup = legacy_s / ours_s
        overhead = ours_s / baseline.seconds
        prefix = ">" if legacy is not None and legacy.timed_out else ""
        row.ratio = f"1.15.0/ours {prefix}{speedup:.1f}x; ours/base {overhead:.2f}x"
        row.met = speedup >= 5 and overhead <= 1.5
        row.details = {"speedup_vs_1_15_0": speedup, "ours_over_baseline": overhead}
    else:
        row.met = False
        row.ratio = "n/a"
    rows = [row]
    for concurrency in bench.args.sweep:
        m = bench.run(
            "ours",
            "save",
            120,
            job_id=job,
            dest=str(bench.out / f"ours-small-{concurrency}"),
            concurrency=concurrency,
        )
        sweep = Row(
            f"many_small_c{concurrency}",
            f"  same, download_concurrency={concurrency}",
            m,
            legacy_note="",
        )
        if _ok(m) and _ok(baseline):
            assert m is not None and m.seconds is not None and baseline is not None
            assert baseline.seconds is not None
            sweep.ratio = f"ours/base {m.seconds / baseline.seconds:.2f}x"
        rows.append(sweep)
    return rows


def case_one_big(bench: Bench) -> list[Row]:
    """One 1 GiB file saved to disk, against ``curl -o /dev/null``."""
    job = bench.data.one_big
    limit = bench.args.legacy_timeout
    ours = bench.run("ours", "save", 180, job_id=job, dest=str(bench.out / "ours-big"))
    legacy = bench.run("legacy", "save", limit, job_id=job, dest=str(bench.out / "old-big"))
    urls_file = bench.logs / "big-urls.txt"
    bench.run("ours", "urls", 60, job_id=job, out=str(urls_file))
    url = urls_file.read_text().split()[0]
    server_cpu = process_cpu_seconds(bench.server_pid)
    curl = run_command(["curl", "-s", "-f", "-o", "/dev/null", url], timeout=180)
    after = process_cpu_seconds(bench.server_pid)
    if server_cpu is not None and after is not None:
        curl.extra["server_cpu_s"] = after - server_cpu
    print(f"  {'curl-1GiB':<28} {'ok' if curl.ok else 'error':<8} {curl.seconds or 0:.2f}s")
    row = Row(
        "one_big",
        "1 GiB file -> disk",
        ours,
        legacy,
        baseline=curl,
        baseline_label="curl",
        target=f"<=1.2x curl; RSS <{BIG_SAVE_RSS_MIB} MiB",
    )
    if _ok(ours) and curl.ok:
        assert ours is not None and ours.seconds is not None and curl.seconds is not None
        ratio = ours.seconds / curl.seconds
        rss = _mib(ours) or 0.0
        row.ratio = f"ours/curl {ratio:.2f}x"
        row.met = ratio <= 1.2 and rss < BIG_SAVE_RSS_MIB
        row.details = {"ours_over_curl": ratio, "curl_peak_rss_mib": _mib(curl)}
    else:
        row.met = False
    return [row]


def case_one_medium(bench: Bench) -> list[Row]:
    """One 200 MiB file fetched into memory."""
    job = bench.data.one_medium
    size_mib = 200
    idle_ours = bench.run("ours", "idle", 60)
    idle_legacy = bench.run("legacy", "idle", 60)
    ours = bench.run("ours", "fetch", 120, job_id=job)
    legacy = bench.run("legacy", "fetch", bench.args.slow_timeout, job_id=job)
    base = _mib(idle_ours) or 0.0
    row = Row(
        "one_medium_memory",
        "200 MiB file -> memory",
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
            "import_baseline_ours_mib": base,
            "import_baseline_1_15_0_mib": _mib(idle_legacy),
            "legacy_peak_minus_import_mib": None
            if legacy is None or legacy.peak_rss_kb is None
            else (_mib(legacy) or 0.0) - (_mib(idle_legacy) or 0.0),
        }
    else:
        row.met = False
    return [row]


def _median_of(runs: list[Measurement | None]) -> Measurement | None:
    done = [m for m in runs if m is not None and m.ok]
    if not runs or runs[0] is None:
        return None
    if len(done) < len(runs):
        return next(m for m in runs if m is not None and not m.ok)
    ordered = sorted(done, key=lambda m: m.seconds or 0.0)
    middle = ordered[len(ordered) // 2]
    middle.extra["samples_s"] = [m.seconds for m in done]
    return middle


def case_listing(bench: Bench) -> list[Row]:
    """``get_public_job_list(number=1000)``: median of ``--repeats`` fresh processes each.

    The two clients' runs alternate, so that drift in the shared machine's load
    affects both alike.
    """
    runs = bench.args.repeats
    ours_runs, legacy_runs = [], []
    for _ in range(runs):
        ours_runs.append(bench.run("ours", "list", 60, number=1000))
        legacy_runs.append(bench.run("legacy", "list", bench.args.legacy_timeout, number=1000))
    ours = _median_of(ours_runs)
    legacy = _median_of(legacy_runs)
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
    """``upload_job_directory`` of a 1 GiB job directory."""
    directory = ensure_job_directory(WORK / "upload-job")
    ours = bench.run("ours", "upload", bench.args.upload_timeout, directory=str(directory))
    legacy = bench.run("legacy", "upload", bench.args.upload_timeout, directory=str(directory))
    clean_legacy_leftovers(directory)
    row = Row(
        "upload_1g",
        "upload_job_directory, 1 GiB",
        ours,
        legacy,
        target=f"RSS <{UPLOAD_RSS_MIB} MiB",
    )
    if _ok(ours):
        rss = _mib(ours) or 0.0
        row.ratio = f"RSS {rss:.0f}/{UPLOAD_RSS_MIB} MiB"
        row.met = rss < UPLOAD_RSS_MIB
        if _ok(legacy):
            assert ours is not None and legacy is not None
            assert ours.seconds is not None and legacy.seconds is not None
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


CASES: dict[str, Callable[[Bench], list[Row]]] = {
    "small": case_many_small,
    "big": case_one_big,
    "memory": case_one_medium,
    "list": case_listing,
    "walk": case_walk,
    "upload": case_upload,
    "import": case_import,
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
        for name in selected:
            print(f"[{name}]", flush=True)
            rows.extend(CASES[name](bench))
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
    missed = [row.label.strip() for row in rows if row.met is False]
    if missed:
        print("MISSED: " + "; ".join(missed))
    results = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(legacy_python),
        "total_seconds": total,
        "seed_seconds": seed_seconds,
        "data_sets": data.summary,
        "sizes_bytes": {"small_file": 10 * KIB, "big_file": GIB, "medium_file": 200 * MIB},
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
    "streaming of the same URLs with 8 threads over one pooled client, bodies discarded.",
    "200 MiB in memory: target met when raw peak RSS <= 1.3 x 200 MiB + the peak RSS of an "
    "idle interpreter that imported the library and logged in ('idle', same library).",
    "Upload: 1 GiB = 4 files of 256 MiB built from one repeating 64 MiB os.urandom block "
    "(incompressible for gzip); 1.15.0 writes its archive inside the job directory. "
    "FAILED = the call raised (reason in results.json and .bench/logs/).",
]


if __name__ == "__main__":
    sys.exit(main())
