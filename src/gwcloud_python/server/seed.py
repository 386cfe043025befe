"""Demo and scale data sets."""

from __future__ import annotations

import json
import time
from typing import Any

from .auth import add_user
from .db import next_id
from .gwflow import create_gwflow_job
from .ids import new_token, to_global_id
from .jobs import (
    COMPLETED,
    JOB_TYPE_EXTERNAL,
    JOB_TYPE_NORMAL,
    JOB_TYPE_UPLOADED,
    insert_job,
    set_labels,
)
from .results import register_tree, write_result_tree
from .state import ServerState

__all__ = ["ensure_labels", "seed_demo", "seed_scale"]

_LABELS = [
    ("Official", "Official job", 1),
    ("Production Run", "Production run", 0),
    ("Bad Run", "Bad run", 0),
    ("Review Requested", "Review requested", 0),
    ("Reviewed", "Reviewed", 0),
    ("Scale", "Generated for benchmarks", 0),
]
_EVENTS = [
    ("GW150914_095045", "S150914a", "GW150914", 0, 1126259462.391),
    ("GW151226_033853", "S151226a", "GW151226", 0, 1135136350.6),
    ("GW170817_124104", "S170817a", "GW170817", 0, 1187008882.4),
    ("GW190425_081805", "S190425z", "GW190425", 1, 1240215503.0),
]
_USERS = {
    "official": (False, False),
    "demo": (False, False),
    "ligo": (True, False),
    "admin": (True, True),
}
#: The GWFlow ingest user of the demo set (a LIGO member, so it sees its own jobs).
GWFLOW_INGEST_USER = "gwflow-ingest"


def _pe_metadata(sname: str, uids: list[str]) -> dict[str, Any]:
    return {
        "Sname": sname,
        "ParameterEstimation": {
            "results": [
                {
                    "uid": uid,
                    "inference_software": "bilby",
                    "waveform_approximant": "IMRPhenomXPHM",
                    "run_status": "complete",
                    "review_status": "ongoing",
                    "analysts": [{"name": "Demo Analyst"}],
                    "reviewers": ["Demo Reviewer"],
                }
                for uid in uids
            ]
        },
        "GraceDB": {
            "Events": [{"uid": "G" + sname[1:7]}],
            "instruments": "H1,L1",
            "far": "1e-10",
        },
    }


#: (sname, ligo_only, is_pruned, event trigger, analysis uids, uploaded, pending).
_GWFLOW_JOBS = [
    ("S230518h", False, False, None, ["pe-online"], 2, 1),
    ("S230529ay", True, False, None, ["pe-online", "pe-offline"], 2, 1),
    ("S190425z", True, False, "S190425z", ["pe-online"], 1, 0),
    ("S230601bf", True, True, None, ["pe-online"], 1, 1),
]


def _seed_gwflow(state: ServerState) -> dict[str, str]:
    """Create the demo GWFlow jobs once; return ``{sname: GWFlowJob id}``."""
    existing = state.db.get_setting("demo_gwflow_jobs", "")
    if existing:
        result: dict[str, str] = json.loads(existing)
        return result
    jobs: dict[str, str] = {}
    for sname, ligo_only, pruned, event, uids, uploaded, pending in _GWFLOW_JOBS:
        files: list[dict[str, Any]] = [
            {
                "analysis_uid": "",
                "path": f"CIT:/home/cbc/{sname}/superevent.json",
                "file_name": "superevent.json",
                "data": json.dumps({"sname": sname}).encode(),
            }
        ]
        for k in range(1, uploaded):
            uid = uids[(k - 1) % len(uids)]
            files.append(
                {
                    "analysis_uid": uid,
                    "path": f"CIT:/home/pe/{sname}/{uid}/{uid}_result_{k}.json",
                    "file_name": f"{uid}_result_{k}.json",
                    "data": (f'{{"sname": "{sname}", "uid": "{uid}", "n": {k}}}\n' * 64).encode(),
                }
            )
        for k in range(pending):
            uid = uids[-1]
            files.append(
                {
                    "analysis_uid": uid,
                    "path": f"CIT:/home/pe/{sname}/{uid}/posterior_{k}.h5",
                    "file_name": f"posterior_{k}.h5",
                    "data": None,
                    "md5_sum": "0" * 32,
                    "file_size": 1024,
                }
            )
        made = create_gwflow_job(
            state,
            sname,
            files=files,
            ligo_only=ligo_only,
            is_pruned=pruned,
            metadata=_pe_metadata(sname, uids),
            libraries=["cbc-workflow-o4a"],
            event_id=event,
            owner=GWFLOW_INGEST_USER,
        )
        jobs[sname] = str(made["id"])
    state.db.set_setting("demo_gwflow_jobs", json.dumps(jobs))
    return jobs


def _ini(label: str, trigger: float) -> str:
    return (
        f"label = {label}\noutdir = ./\ndetectors = ['H1', 'L1']\nduration = 4\n"
        f"trigger-time = {trigger}\nsampler = dynesty\nprior-file = 4s\n"
        "sampler-kwargs = {nlive: 1000, naccept: 60}\nn-parallel = 1\n"
    )


def ensure_labels(state: ServerState) -> None:
    """Create the standard labels when missing.

    Parameters
    ----------
    state : ServerState
        Server state.
    """
    with state.db.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO labels (name, description, protected) VALUES (?, ?, ?)", _LABELS
        )


def seed_demo(state: ServerState, *, rotate_tokens: bool = True) -> dict[str, Any]:
    """Create demo users, event IDs and jobs (jobs only once).

    Parameters
    ----------
    state : ServerState
        Server state.
    rotate_tokens : bool
        Issue new API tokens to demo users that already exist (the test harness's
        ``/_admin/seed-demo`` does, so it always has working tokens); when False they
        keep their tokens and are listed with ``None``.

    Returns
    -------
    dict
        ``{"users": {name: api_token or None}, "jobs": {key: global id},
        "gwflow_jobs": {sname: GWFlowJob id}}``; the users include the GWFlow
        ingest user ``gwflow-ingest`` (LIGO).
    """
    ensure_labels(state)
    existing_users = {str(r["username"]) for r in state.db.query("SELECT username FROM users")}
    users: dict[str, str | None] = {
        name: (
            add_user(state, name, ligo=ligo, event_admin=admin)
            if rotate_tokens or name not in existing_users
            else None
        )
        for name, (ligo, admin) in _USERS.items()
    }
    users[GWFLOW_INGEST_USER] = (
        add_user(state, GWFLOW_INGEST_USER, ligo=True, gwflow_ingest=True)
        if rotate_tokens or GWFLOW_INGEST_USER not in existing_users
        else None
    )
    existing = state.db.get_setting("demo_jobs", "")
    if existing:
        return {"users": users, "jobs": json.loads(existing), "gwflow_jobs": _seed_gwflow(state)}
    ids = {r["username"]: int(r["id"]) for r in state.db.query("SELECT id, username FROM users")}
    now = time.time()
    jobs: dict[str, str] = {}
    with state.db.transaction() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO event_ids (event_id, trigger_id, nickname, is_ligo_event, "
            "gps_time) VALUES (?, ?, ?, ?, ?)",
            _EVENTS,
        )
        events = {r["nickname"]: int(r["id"]) for r in conn.execute("SELECT * FROM event_ids")}
        specs: list[tuple[str, str, int, str | None, dict[str, Any]]] = [
            ("GW150914", "official", JOB_TYPE_NORMAL, "GW150914", {}),
            ("GW170817", "official", JOB_TYPE_NORMAL, "GW170817", {}),
            ("GW151226", "official", JOB_TYPE_UPLOADED, "GW151226", {}),
            ("GW150914-uploaded", "official", JOB_TYPE_UPLOADED, "GW150914", {}),
            (
                "GW190521-external",
                "official",
                JOB_TYPE_EXTERNAL,
                None,
                {"result_url": "https://example.org/gw190521/results.html"},
            ),
            ("demo-private", "demo", JOB_TYPE_NORMAL, None, {"private": 1}),
            ("GW190425-ligo", "ligo", JOB_TYPE_NORMAL, "GW190425", {"is_ligo_job": 1}),
        ]
        for index, (name, owner, job_type, event, extra) in enumerate(specs):
            label = name.replace("-", "_")
            ini = _ini(label, 1126259462.391 + index)
            pk = insert_job(
                conn,
                user_id=ids[owner],
                name=name,
                description=f"Demo job {name}",
                ini_string=ini,
                job_type=job_type,
                status=COMPLETED,
                cluster="ozstar",
                event_fk=events.get(event) if event else None,
                label=label,
                creation_time=now - 3600 * (len(specs) - index),
                job_controller_id=5000 + index if job_type == JOB_TYPE_NORMAL else None,
                **extra,
            )
            if owner == "official":
                set_labels(conn, pk, ["Official", "Production Run"])
            if job_type != JOB_TYPE_EXTERNAL:
                root = state.jobs_dir / str(pk)
                write_result_tree(root, label, ini, merged=index % 2 == 1, seed=pk)
                register_tree(conn, pk, root)
            jobs[name] = to_global_id("BilbyJobNode", pk)
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('demo_jobs', ?)", (json.dumps(jobs),)
        )
    return {"users": users, "jobs": jobs, "gwflow_jobs": _seed_gwflow(state)}


def seed_scale(state: ServerState, jobs: int, files_per_job: int, file_size: int) -> dict[str, Any]:
    """Create many public jobs whose files are generated on download.

    Parameters
    ----------
    state : ServerState
        Server state.
    jobs : int
        Number of jobs (labelled ``Scale``, alternately normal and uploaded).
    files_per_job : int
        Files per job, under ``result/``.
    file_size : int
        Size of every file in bytes.

    Returns
    -------
    dict
        ``{"jobs": N, "files": N*M, "first_job_id": global id, "user_token": token}``.
    """
    ensure_labels(state)
    token = add_user(state, "scale")
    owner = state.db.one("SELECT id FROM users WHERE username = 'scale'")
    assert owner is not None
    now = time.time()
    with state.db.transaction() as conn:
        base = next_id(conn, "jobs")
        if jobs > 1:  # reserve the whole block of job numbers
            conn.execute(
                "UPDATE settings SET value = ? WHERE key = 'next_id:jobs'", (str(base + jobs),)
            )
        label_id = conn.execute("SELECT id FROM labels WHERE name = 'Scale'").fetchone()[0]
        rows = []
        for i in range(jobs):
            created = now - (jobs - i) * 0.001
            rows.append(
                (
                    base + i,
                    owner["id"],
                    f"scale-{base + i:06d}",
                    f"Scale job {i}",
                    created,
                    created,
                    created,
                    f"label = scale_{base + i}\n",
                    JOB_TYPE_NORMAL if i % 2 == 0 else JOB_TYPE_UPLOADED,
                    COMPLETED,
                    "ozstar",
                    f"scale_{base + i}",
                )
            )
        conn.executemany(
            "INSERT INTO jobs (id, user_id, name, description, creation_time, last_updated, "
            "status_time, ini_string, job_type, status, cluster, label) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO job_labels (job_id, label_id) VALUES (?, ?)",
            [(base + i, label_id) for i in range(jobs)],
        )
        files: list[tuple[int, str, int, int, str | None, int]] = []
        for i in range(jobs):
            files.append((base + i, "result", 1, 0, None, 0))
            files.extend(
                (base + i, f"result/scale_{k:04d}.dat", 0, file_size, new_token(), 1)
                for k in range(files_per_job)
            )
        conn.executemany(
            "INSERT INTO files (job_id, path, is_dir, size, token, generated) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            files,
        )
    return {
        "jobs": jobs,
        "files": jobs * files_per_job,
        "first_job_id": to_global_id("BilbyJobNode", base) if jobs else None,
        "user_token": token,
    }
