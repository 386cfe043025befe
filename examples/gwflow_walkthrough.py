"""GWFlow from the ingest's side and the scientist's: register, mirror, link, find, download.

The code of docs/gwflow.rst: the page includes the sections between the ``# [name]``
and ``# [/name]`` markers, and tests/e2e/test_gwflow_docs_e2e.py runs this script
against a local server and checks what it did.  Run it yourself with::

    gwcloud-server add-user ingest --gwflow-ingest --ligo --data-dir DATA   # prints TOKEN
    gwcloud-server run --schema 2026 --data-dir DATA                        # prints ENDPOINT
    python examples/gwflow_walkthrough.py ENDPOINT TOKEN WORKDIR [BILBY_JOB_ID]

ENDPOINT is the 2026 service's GraphQL URL (``https://gwcloud.org.au/graphql`` for the
real one, where only the service's ingest account may register files), TOKEN an API
token of the ingest user, WORKDIR an empty directory for the local files and
BILBY_JOB_ID, optionally, a Bilby job to link to the analysis.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gwcloud_python import AuthenticationError, GWCloud, TimeRange

SNAME = "S230101a"


def write_local_analysis(root: Path) -> None:
    """What the ingest has on its own disk: one superevent file and one Bilby analysis."""
    # [layout]
    event = root / SNAME
    (event / "bilby-1" / "plots").mkdir(parents=True, exist_ok=True)
    (event / "superevent.json").write_text('{"sname": "S230101a"}\n')
    (event / "bilby-1" / "result.json").write_text('{"posterior": {"chirp_mass": [30.1]}}\n')
    (event / "bilby-1" / "plots" / "corner.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 4096)
    # [/layout]


def main(endpoint: str, token: str, work: Path, bilby_job_id: str | None) -> int:
    root = work / "ingest"
    write_local_analysis(root)

    # [connect]
    gw = GWCloud(token, endpoint=endpoint, service="2026", progress=False)
    # [/connect]

    # [register]
    event = root / SNAME
    files = [
        # Where each file is in the job, and the local copy whose size and md5 are sent.
        {"path": "superevent.json", "local_path": event / "superevent.json"},
        {
            "analysis_uid": "bilby-1",
            "path": "result.json",
            "local_path": event / "bilby-1" / "result.json",
        },
        {
            "analysis_uid": "bilby-1",
            "path": "plots/corner.png",
            "local_path": event / "bilby-1" / "plots" / "corner.png",
        },
    ]
    metadata = {"ParameterEstimation": {"results": [{"uid": "bilby-1", "software": "bilby"}]}}
    result = gw.upsert_gwflow_job(
        SNAME,
        schema_version="v2",
        libraries=["cbc-o4"],
        metadata=metadata,
        current_history_id="3f2a9c1",
        files=files,
    )
    print(result)  # the job's ID, whether it was created, the files waiting for bytes
    # [/register]

    # [mirror]
    summary = gw.mirror_gwflow_files(root)  # reads <root>/<sname>/<analysis_uid>/<path>
    print(summary.describe())  # every file uploaded, or skipped or failed with the reason
    print(gw.get_gwflow_pending_files())  # nothing is waiting any more
    # [/mirror]

    # [changed]
    (event / "bilby-1" / "result.json").write_text('{"posterior": {"chirp_mass": [30.2]}}\n')
    changed = gw.upsert_gwflow_job(SNAME, files=files)  # the same manifest, sent again
    print([f.path for f in changed.files_pending])  # ['result.json']: its md5 changed
    print(gw.mirror_gwflow_files(root))  # 1 uploaded, 0 skipped, 0 failed
    # [/changed]
    pending_after = len(gw.get_gwflow_pending_files())

    if bilby_job_id is not None:
        # [link]
        gw.link_bilby_job_to_gwflow(bilby_job_id, SNAME, "bilby-1")
        # [/link]

    # [find]
    jobs = gw.get_gwflow_job_list("sname:S2301*", time_range=TimeRange.WEEK)
    print(jobs)  # a table: sname, pruned, event, libraries, last update
    bilby_runs = gw.get_gwflow_job_list("analyses.software:bilby")
    job = gw.get_gwflow_job(SNAME)  # with its files and linked Bilby jobs
    same = gw.get_gwflow_job(job_id=result.job_id)  # the ID the upsert returned
    assert job is not None and same is not None and same.id == job.id
    print(job)
    # [/find]
    print(f"search analyses.software:bilby: {[j.sname for j in bilby_runs]}")
    print(f"linked Bilby jobs: {[b.id for b in job.bilby_jobs]}")

    # [download]
    corner = next(f for f in job.files if f.path == "plots/corner.png")
    gw.download_gwflow_file(corner, work / "corner.png")  # one file
    saved = gw.save_gwflow_files(job, work / "downloads", skip_existing=True)  # all of them
    for path in saved:
        print(path.relative_to(work))
    # [/download]

    # [anonymous]
    anonymous = GWCloud(endpoint=endpoint, service="2026", progress=False)
    print(anonymous.get_gwflow_job_list())  # no jobs: every job is LIGO-only by default
    print(anonymous.get_gwflow_job(SNAME))  # None
    try:
        anonymous.get_gwflow_pending_files()
    except AuthenticationError as err:
        print(f"refused: {type(err).__name__}")
    # [/anonymous]

    report = {
        "job_id": result.job_id,
        "created": result.created,
        "first_pending": sorted(f.path for f in result.files_pending),
        "first_mirror": [len(summary.uploaded), len(summary.skipped), len(summary.failed)],
        "changed_pending": [f.path for f in changed.files_pending],
        "listed": [j.sname for j in jobs],
        "saved": sorted(p.relative_to(work).as_posix() for p in saved),
        "pending_after": pending_after,
        "anonymous_jobs": len(anonymous.get_gwflow_job_list()),
    }
    (work / "report.json").write_text(json.dumps(report, indent=2))
    anonymous.close()
    gw.close()
    return 0


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    ENDPOINT, TOKEN, WORK = sys.argv[1:4]
    BILBY_JOB_ID = sys.argv[4] if len(sys.argv) == 5 else None
    raise SystemExit(main(ENDPOINT, TOKEN, Path(WORK), BILBY_JOB_ID))
