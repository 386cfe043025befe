"""Benchmark inputs: the cached 1.15.0 venv, the upload job directory, the server data sets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "LEGACY_VERSION",
    "DataSets",
    "clean_legacy_leftovers",
    "ensure_job_directory",
    "ensure_legacy_venv",
    "seed",
    "seed_default_jobs",
]

LEGACY_VERSION = "1.15.0"
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

#: Size of the random block repeated to fill the upload job directory.  It is
#: far larger than gzip's 32 KiB window, so the data is incompressible for
#: gzip while costing only one 64 MiB ``os.urandom`` call to produce.
_BLOCK = 64 * MIB


def ensure_legacy_venv(directory: Path, version: str = LEGACY_VERSION) -> Path:
    """Create (once) a venv holding a released gwcloud-python from PyPI.

    Parameters
    ----------
    directory : Path
        Where the venv lives (``bench/.venv-<version>``, git-ignored).
    version : str, optional
        The release (default 1.15.0; the GWFlow cases use 2.1.0).

    Returns
    -------
    Path
        Its ``python``.
    """
    python = directory / "bin" / "python"
    marker = directory / ".installed"
    if marker.exists() and python.exists():
        return python
    print(f"creating {directory} with gwcloud-python=={version} (first run only)")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"gwcloud-python=={version}",
        ],
        check=True,
    )
    marker.write_text(version + "\n")
    return python


def ensure_job_directory(directory: Path, total: int = GIB, files: int = 4) -> Path:
    """Create (once) a job output directory of about ``total`` bytes for the upload case.

    Layout: ``data/``, ``result/`` (``files`` binary files filled with a
    repeating 64 MiB random block), ``results_page/index.html`` and one
    ``bench_config_complete.ini``.

    Parameters
    ----------
    directory : Path
        The job directory.
    total : int
        Bytes of binary data.
    files : int
        Number of binary files.

    Returns
    -------
    Path
        ``directory``.
    """
    marker = directory.parent / f".{directory.name}.complete"
    if marker.exists() and directory.is_dir():
        clean_legacy_leftovers(directory)
        return directory
    print(f"creating the {total / GIB:.1f} GiB upload job directory {directory}")
    shutil.rmtree(directory, ignore_errors=True)
    for sub in ("data", "result", "results_page"):
        (directory / sub).mkdir(parents=True)
    (directory / "bench_config_complete.ini").write_text(
        "label = bench_upload\noutdir = ./\ndetectors = ['H1', 'L1']\nduration = 4\n"
        "trigger-time = 1126259462.391\nsampler = dynesty\n"
    )
    (directory / "data" / "bench_data_dump.txt").write_text("benchmark data dump\n" * 100)
    (directory / "results_page" / "index.html").write_text("<html><body>bench</body></html>\n")
    block = os.urandom(_BLOCK)
    per_file = total // files
    for index in range(files):
        with open(directory / "result" / f"bench_part{index}.bin", "wb") as handle:
            left = per_file
            while left > 0:
                piece = block[: min(left, _BLOCK)]
                handle.write(piece)
                left -= len(piece)
    marker.write_text("ok\n")
    return directory


def clean_legacy_leftovers(directory: Path) -> None:
    """Remove archives gwcloud-python 1.15.0 left in the job directory.

    1.15.0 builds its upload archive as a ``tmp*.tar.gz`` inside the job
    directory; when the case is killed at its time limit the file stays.

    Parameters
    ----------
    directory : Path
        The job directory.
    """
    for stray in directory.glob("tmp*.tar.gz"):
        stray.unlink(missing_ok=True)


@dataclass
class DataSets:
    """Job IDs of the seeded data sets and a token that may read them.

    Attributes
    ----------
    many_small : str
        Job with 1,000 files of 10 KiB.
    hundred_small : str
        Job with 100 files of 10 KiB (the long-link cases).
    one_big : str
        Job with one 1 GiB file.
    one_medium : str
        Job with one 200 MiB file.
    listing_jobs : int
        Number of jobs of the listing data set.
    token : str
        API token of the ``scale`` user (re-keyed by every seeding call).
    summary : dict
        Raw answers of the seeding calls.
    """

    many_small: str
    hundred_small: str
    one_big: str
    one_medium: str
    listing_jobs: int
    token: str
    summary: dict[str, Any]


def seed(server: Any, listing_jobs: int = 10_000) -> DataSets:
    """Create the data sets on a fresh local server (content is generated lazily).

    Each ``seed_scale`` call creates public jobs labelled ``Scale``; the first
    job of every call is a normal job, so its files are served from
    ``/job/apiv1/file/``.

    Parameters
    ----------
    server : gwcloud_python.server.LocalServer
        A running server.
    listing_jobs : int
        Jobs (of one 1 KiB file each) for the listing and paging cases.

    Returns
    -------
    DataSets
        The job IDs and the token.
    """
    small = server.seed_scale(1, 1000, 10 * KIB)
    hundred = server.seed_scale(1, 100, 10 * KIB)
    big = server.seed_scale(1, 1, GIB)
    medium = server.seed_scale(1, 1, 200 * MIB)
    listing = server.seed_scale(listing_jobs, 1, KIB)
    return DataSets(
        many_small=small["first_job_id"],
        hundred_small=hundred["first_job_id"],
        one_big=big["first_job_id"],
        one_medium=medium["first_job_id"],
        listing_jobs=listing_jobs,
        token=listing["user_token"],
        summary={
            name: {key: value for key, value in answer.items() if key != "user_token"}
            for name, answer in (
                ("many_small", small),
                ("hundred_small", hundred),
                ("one_big", big),
                ("one_medium", medium),
                ("listing", listing),
            )
        },
    )


#: Files of each job of the 20-job case: (relative path, KiB); ``{p}`` is the job's prefix.
#: The default filter picks the PNGs of data/ and result/, the config, the HTML pages
#: and the result JSON (10 files, 271 KiB); the pickle and the samples are not default.
DEFAULT_JOB_FILES = (
    ("data/{p}_data_plot.png", 30),
    ("data/{p}_psd.png", 20),
    ("data/{p}_data_dump.pickle", 200),
    ("result/{p}_corner.png", 60),
    ("result/{p}_trace.png", 40),
    ("result/{p}_checkpoint_trace.png", 20),
    ("result/{p}_result.json", 50),
    ("result/{p}_samples.dat", 300),
    ("results_page/{p}_home.html", 8),
    ("results_page/{p}_overview.html", 8),
    ("results_page/{p}_corner.html", 8),
    ("{p}_config_complete.ini", 1),
)


def seed_default_jobs(server: Any, token: str, work: Path, count: int = 20) -> list[str]:
    """Upload ``count`` small Bilby jobs with a realistic layout (for the default-files case).

    Every file name carries the job's prefix, so all jobs' default files can
    be saved into one directory.  The jobs are uploaded with this library,
    straight to the server (no proxy), and belong to the ``token``'s user.

    Parameters
    ----------
    server : gwcloud_python.server.LocalServer
        The running server.
    token : str
        API token of the user who uploads.
    work : Path
        Scratch directory for the job directories (deleted afterwards).
    count : int
        Number of jobs.

    Returns
    -------
    list of str
        The jobs' IDs.
    """
    from gwcloud_python import GWCloud

    gw = GWCloud(
        token, auth_endpoint=server.auth_endpoint, endpoint=server.endpoint, progress=False
    )
    ids = []
    try:
        for index in range(count):
            prefix = f"bench{index:02d}"
            directory = work / prefix
            shutil.rmtree(directory, ignore_errors=True)
            for name, kib in DEFAULT_JOB_FILES:
                path = directory / name.format(p=prefix)
                path.parent.mkdir(parents=True, exist_ok=True)
                if name.endswith(".ini"):
                    path.write_text(f"label = {prefix}\noutdir = ./\n")
                else:
                    path.write_bytes(os.urandom(kib * KIB))
            job = gw.upload_job_directory(f"default-files bench job {index}", directory, True)
            ids.append(job.job_id)
            shutil.rmtree(directory, ignore_errors=True)
    finally:
        gw.close()
    return ids
