"""Realistic bilby result trees and their file rows."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from pathlib import Path

from .ids import new_token
from .png import make_png

__all__ = ["register_tree", "write_result_tree"]


def _result_json(label: str, seed: int) -> str:
    samples = 50
    chirp = [28.1 + 0.6 * math.sin(i * 0.7 + seed) for i in range(samples)]
    ratio = [0.8 + 0.15 * math.cos(i * 0.3 + seed) for i in range(samples)]
    return json.dumps(
        {
            "label": label,
            "outdir": "result",
            "sampler": "dynesty",
            "log_evidence": -4012.7 + seed,
            "log_evidence_err": 0.12,
            "log_noise_evidence": -4320.4,
            "log_bayes_factor": 307.7,
            "search_parameter_keys": ["chirp_mass", "mass_ratio"],
            "posterior": {
                "__dataframe__": True,
                "content": {"chirp_mass": chirp, "mass_ratio": ratio},
            },
            "version": "bilby=2.1.1",
        },
        indent=2,
    )


def write_result_tree(root: Path, label: str, ini_string: str, *, merged: bool, seed: int) -> None:
    """Write the files a finished bilby_pipe job leaves behind.

    Parameters
    ----------
    root : Path
        Job output directory (created).
    label : str
        The ini ``label``.
    ini_string : str
        The job's ini, stored as ``<label>_config_complete.ini``.
    merged : bool
        Name the result ``_merge_result.json`` (``n-parallel`` > 1).
    seed : int
        Varies the plots.
    """
    for sub in ("data", "result", "results_page", "log_data_generation"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / f"{label}_config_complete.ini").write_text(ini_string)
    (root / "data" / f"{label}_data0_1126259462-391_generation_data_dump.png").write_bytes(
        make_png(64, 48, seed)
    )
    (root / "data" / f"{label}_H1_frequency_domain_data.png").write_bytes(
        make_png(48, 32, seed + 1)
    )
    suffix = "merge_result" if merged else "result"
    (root / "result" / f"{label}_{suffix}.json").write_text(_result_json(label, seed))
    (root / "result" / f"{label}_corner.png").write_bytes(make_png(96, 96, seed + 2))
    (root / "results_page" / "home.html").write_text(
        f"<!DOCTYPE html><html><head><title>{label}</title></head>"
        f"<body><h1>PESummary: {label}</h1></body></html>\n"
    )
    (root / "results_page" / f"{label}.html").write_text(
        f"<!DOCTYPE html><html><body><h1>{label} posterior summary</h1></body></html>\n"
    )
    (root / "log_data_generation" / f"{label}_data0_generation.log").write_text(
        f"{label}: data generation complete\n"
    )


def register_tree(conn: sqlite3.Connection, job_id: int, root: Path) -> None:
    """Insert one file row per file and directory under ``root``.

    Parameters
    ----------
    conn : sqlite3.Connection
        Connection inside a transaction.
    job_id : int
        The job.
    root : Path
        Its output directory.
    """
    conn.execute("DELETE FROM files WHERE job_id = ?", (job_id,))
    rows: list[tuple[int, str, int, int, str | None]] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(dirpath)
        for name in dirnames:
            rel = (base / name).relative_to(root).as_posix()
            rows.append((job_id, rel, 1, 0, None))
        for name in sorted(filenames):
            path = base / name
            if path.is_symlink():
                continue
            rel = path.relative_to(root).as_posix()
            rows.append((job_id, rel, 0, path.stat().st_size, new_token()))
    rows.sort(key=lambda row: row[1])
    conn.executemany(
        "INSERT INTO files (job_id, path, is_dir, size, token) VALUES (?, ?, ?, ?, ?)", rows
    )
