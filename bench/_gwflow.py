"""The GWFlow bench cases: mirror 200 pending files, save a job's 200 files, at 100 ms RTT.

Both run against a second local server in 2026 mode (GWFlow exists only there),
through the RTT proxy, and compare one bulk call of ours with the loop the real
client's users write: one ``upload_gwflow_file`` / ``download_gwflow_file`` per file,
by gwcloud-python 2.1.0 (the newest release on PyPI with those methods; 3.0.0 only
removed ``ligo_only``).  The two clients alternate, ``--runs`` times each.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
from _measure import Measurement, alternate, run_driver, spread_text
from _report import Row
from _rtt_proxy import ThreadedRttProxy

__all__ = ["gwflow_cases"]

#: The reference release and what the two cases move.
REFERENCE_VERSION = "2.1.0"
FILES = 200
FILE_SIZE = 64 * 1024
RTT = 0.1
#: Ours must be at least this many times faster than the per-file loop.
SPEEDUP_TARGET = 2.0

_UPSERT = """
mutation Upsert($input: UpsertGwflowJobMutationInput!) {
  upsertGwflowJob(input: $input) { result { gwflowJobId created } }
}
"""


def _tree(directory: Path) -> list[dict[str, Any]]:
    """Create (once) FILES files of FILE_SIZE random bytes; return their manifest entries."""
    entries = []
    for n in range(FILES):
        relative = f"pe/run{n // 50}/result_{n:03d}.h5"
        target = directory / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(os.urandom(FILE_SIZE))
        data = target.read_bytes()
        entries.append(
            {
                "analysisUid": "",
                "path": relative,
                "fileName": target.name,
                "fileSize": len(data),
                "md5Sum": hashlib.md5(data).hexdigest(),  # noqa: S324 (the service's checksum)
            }
        )
    return entries


class _GWFlowBench:
    """A 2026-mode server with an ingest user, its proxy, and the reference venv."""

    def __init__(self, bench: Any, ours_python: Path, reference_python: Path) -> None:
        from gwcloud_python.server import LocalServer

        self.bench = bench
        self.work = bench.out.parent / "gwflow"
        shutil.rmtree(self.work / "server", ignore_errors=True)
        self.server = LocalServer(self.work / "server", schema="2026", jwt_ttl=3600).start()
        self.token = self.server.add_user("bench-ingest", ligo=True, gwflow_ingest=True)
        host, port = self.server.base_url.rsplit("/", 1)[-1].rsplit(":", 1)
        self.proxy = ThreadedRttProxy(host, int(port), RTT).start()
        self.ours_python = ours_python
        self.reference_python = reference_python
        shutil.rmtree(self.work / "tree", ignore_errors=True)  # one job folder, renamed per run
        self.manifest = _tree(self.work / "tree" / "files")
        self.serial = 0

    def close(self) -> None:
        self.proxy.stop()
        self.server.stop()

    def register(self, sname: str) -> None:
        """Upsert ``sname`` with the whole manifest (untimed; visible to anonymous readers)."""
        params = {"sname": sname, "files": self.manifest, "ligoOnly": False}
        answer = httpx.post(
            self.server.endpoint,
            json={"query": _UPSERT, "variables": {"input": {"params": params}}},
            headers={"Authorization": self.token},
            timeout=60,
        ).json()
        if answer.get("errors"):
            raise RuntimeError(f"could not register {sname}: {answer['errors']}")

    def mirror_root(self, sname: str) -> Path:
        """The tree laid out as ``root/<sname>/<path>`` (renamed, never copied)."""
        root = self.work / "tree"
        current = next(p for p in root.iterdir() if p.is_dir())
        if current.name != sname:
            current.rename(root / sname)
        return root

    def run(self, which: str, case: str, **extra: Any) -> Measurement:
        """One driver run through the proxy; prints a line like the other cases."""
        self.serial += 1
        python = self.ours_python if which == "ours" else self.reference_python
        tag = f"gwflow-{self.serial:02d}-{which}-{case}"
        params = {
            "token": self.token,
            "endpoint": self.server.endpoint.replace(self.server.base_url, self.proxy.base_url, 1),
            "auth_endpoint": "",
            "base_url": self.proxy.base_url,
            **extra,
        }
        result = run_driver(python, case, params, timeout=300, workdir=self.bench.logs, tag=tag)
        status = "timeout" if result.timed_out else ("error" if result.error else "ok")
        shown = "-" if result.seconds is None else f"{result.seconds:.2f}s"
        print(f"  {tag:<36} {status:<8} {shown:>8}", flush=True)
        return result


def _row(key: str, label: str, ours_m: Measurement | None, ref_m: Measurement | None) -> Row:
    row = Row(
        key,
        label,
        ours_m,
        None,
        legacy_note="n/a",
        baseline=ref_m,
        baseline_label=f"{REFERENCE_VERSION} per-file loop",
        target=f">={SPEEDUP_TARGET:.0f}x faster than the {REFERENCE_VERSION} per-file loop",
    )
    ok = ours_m is not None and ours_m.ok and ref_m is not None and ref_m.ok
    if ok:
        assert ours_m is not None and ref_m is not None
        assert ours_m.seconds and ref_m.seconds
        speedup = ref_m.seconds / ours_m.seconds
        row.ratio = f"{REFERENCE_VERSION}/ours {speedup:.1f}x"
        row.met = speedup >= SPEEDUP_TARGET
    else:
        row.met = False
    row.details = {"spread": {"ours": spread_text(ours_m), REFERENCE_VERSION: spread_text(ref_m)}}
    return row


def gwflow_cases(bench: Any, ours_python: Path, reference_python: Path) -> list[Row]:
    """Run both GWFlow cases; return their table rows.

    Parameters
    ----------
    bench : run.Bench
        The shared bench state (options, log directory).
    ours_python : Path
        Our interpreter.
    reference_python : Path
        Interpreter of the gwcloud-python 2.1.0 venv.
    """
    gf = _GWFlowBench(bench, ours_python, reference_python)
    try:
        counter = [0]

        def mirror(which: str) -> Measurement:
            counter[0] += 1
            sname = f"S2612{counter[0]:02d}m"
            gf.register(sname)
            return gf.run(which, "gwflow_mirror", root=str(gf.mirror_root(sname)), expect=FILES)

        mirrored = alternate(
            {"ours": lambda: mirror("ours"), "ref": lambda: mirror("ref")}, bench.args.runs
        )
        # One job whose 200 files are uploaded, for the save case.
        sname = "S261299s"
        gf.register(sname)
        gf.run("ours", "gwflow_mirror", root=str(gf.mirror_root(sname)), expect=FILES)
        dest = gf.work / "out"

        def save(which: str) -> Measurement:
            shutil.rmtree(dest, ignore_errors=True)
            return gf.run(which, "gwflow_save", sname=sname, dest=str(dest), expect=FILES)

        saved = alternate(
            {"ours": lambda: save("ours"), "ref": lambda: save("ref")}, bench.args.runs
        )
        shutil.rmtree(dest, ignore_errors=True)
    finally:
        gf.close()
    kib = FILE_SIZE // 1024
    return [
        _row(
            "gwflow_mirror_200",
            f"100ms RTT: mirror {FILES} pending files x {kib} KiB, median of {bench.args.runs}",
            mirrored["ours"],
            mirrored["ref"],
        ),
        _row(
            "gwflow_save_200",
            f"100ms RTT: save a GWFlow job's {FILES} files x {kib} KiB, median of "
            f"{bench.args.runs}",
            saved["ours"],
            saved["ref"],
        ),
    ]
