"""Issue 14 item 6: a job directory changed under ``upload_job_directory`` while it is archived.

The archive is built in two phases: a scan that checks and lists everything,
then the writer that opens and reads each entry.  These tests change the job
directory exactly between the two (by wrapping ``_archive._scan``), which is
the window an attacker racing the client would aim for, so they are
deterministic.  Whatever is swapped in, no byte from outside the job directory
may reach the archive: the writer opens every entry relative to its parent's
directory handle with ``O_NOFOLLOW`` and checks its device and inode against
the scan.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gwcloud_python import ValidationError, _archive

if TYPE_CHECKING:
    from .conftest import Recorder

GROUP = "Archive race"
INV = "nothing from outside the job directory enters the upload archive"
CONFIG = "GW1_config_complete.ini"
SECRET = b"SECRET-OUTSIDE-THE-JOB-" * 64

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs POSIX symlinks and hard links")


def make_job(root: Path) -> Path:
    for name in ("data", "result", "results_page"):
        (root / name).mkdir(parents=True)
    (root / CONFIG).write_text("label = GW1\n")
    (root / "data" / "strain.dat").write_bytes(b"s" * len(SECRET))
    (root / "result" / "posterior.json").write_bytes(b"p" * len(SECRET))
    (root / "results_page" / "index.html").write_bytes(b"<html></html>")
    return root


def outside_twin(tmp_path: Path, names: list[str]) -> Path:
    """A directory outside the job holding secret files of the given names and sizes."""
    outside = tmp_path / "outside"
    outside.mkdir()
    for name in names:
        (outside / name).write_bytes(SECRET)
    return outside


@pytest.fixture
def between_scan_and_read(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[[Callable[[], None]], None]]:
    """Run a change to the job directory right after the scan, before any file is opened."""
    changes: list[Callable[[], None]] = []
    real_scan = _archive._scan

    def scan_then_change(root: Path) -> list[_archive._Entry]:
        entries = real_scan(root)
        for change in changes:
            change()
        return entries

    monkeypatch.setattr(_archive, "_scan", scan_then_change)
    yield changes.append


def archived_files(
    job: Path, callback: Callable[[int, int], None] | None = None
) -> dict[str, bytes]:
    """Build the archive and return its regular members' bytes (raises what the archiver does)."""
    out: dict[str, bytes] = {}
    with (
        _archive.job_directory_archive(job, callback=callback) as archive,
        tarfile.open(archive, "r:gz") as tar,
    ):
        for member in tar:
            handle = tar.extractfile(member) if member.isreg() else None
            if handle is not None:
                out[member.name] = handle.read()
    return out


def archived_bytes(job: Path) -> bytes:
    """All regular members' bytes, concatenated."""
    return b"".join(archived_files(job).values())


def expect_refusal(job: Path, rel: Recorder, what: str) -> None:
    leaked = None
    with pytest.raises(ValidationError) as info:
        leaked = archived_bytes(job)
    assert leaked is None
    assert "changed while archiving" in str(info.value)
    assert what in str(info.value)
    assert b"SECRET" not in str(info.value).encode()
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_directory_swapped_for_symlink_to_outside(
    tmp_path: Path, between_scan_and_read: Callable[[Callable[[], None]], None], rel: Recorder
) -> None:
    rel.classify(GROUP, "directory swapped for a symlink after the scan", INV)
    job = make_job(tmp_path / "job")
    outside = outside_twin(tmp_path, ["posterior.json"])

    def swap() -> None:
        shutil.rmtree(job / "result")
        (job / "result").symlink_to(outside, target_is_directory=True)

    between_scan_and_read(swap)
    expect_refusal(job, rel, str(job / "result"))
    rel.nothing_lost()


def test_file_swapped_for_symlink_to_outside(
    tmp_path: Path, between_scan_and_read: Callable[[Callable[[], None]], None], rel: Recorder
) -> None:
    rel.classify(GROUP, "file swapped for a symlink after the scan", INV)
    job = make_job(tmp_path / "job")
    outside = outside_twin(tmp_path, ["strain.dat"])

    def swap() -> None:
        (job / "data" / "strain.dat").unlink()
        (job / "data" / "strain.dat").symlink_to(outside / "strain.dat")

    between_scan_and_read(swap)
    expect_refusal(job, rel, "strain.dat")
    rel.nothing_lost()


def test_file_swapped_for_hard_link_to_outside(
    tmp_path: Path, between_scan_and_read: Callable[[Callable[[], None]], None], rel: Recorder
) -> None:
    # A hard link is a regular file, so O_NOFOLLOW alone would let it through:
    # only the identity check against the scan refuses it.
    rel.classify(GROUP, "file swapped for a hard link after the scan", INV)
    job = make_job(tmp_path / "job")
    outside = outside_twin(tmp_path, ["strain.dat"])

    def swap() -> None:
        (job / "data" / "strain.dat").unlink()
        os.link(outside / "strain.dat", job / "data" / "strain.dat")

    between_scan_and_read(swap)
    expect_refusal(job, rel, "strain.dat")
    rel.nothing_lost()


def test_job_root_swapped_for_symlink(
    tmp_path: Path, between_scan_and_read: Callable[[Callable[[], None]], None], rel: Recorder
) -> None:
    rel.classify(GROUP, "job directory itself swapped for a symlink after the scan", INV)
    job = make_job(tmp_path / "job")
    decoy = make_job(tmp_path / "decoy")
    for path in decoy.rglob("*"):
        if path.is_file():
            path.write_bytes(SECRET)

    def swap() -> None:
        job.rename(tmp_path / "job-moved")
        job.symlink_to(decoy, target_is_directory=True)

    between_scan_and_read(swap)
    expect_refusal(job, rel, "job")
    rel.nothing_lost()


def test_unchanged_directory_still_archives(
    tmp_path: Path, between_scan_and_read: Callable[[Callable[[], None]], None], rel: Recorder
) -> None:
    # The control case: with nothing swapped (only a file's contents rewritten in
    # place, which keeps its inode) the archive is built and holds the job's bytes.
    rel.classify(GROUP, "file rewritten in place after the scan (control)", INV)
    job = make_job(tmp_path / "job")

    def rewrite() -> None:
        (job / "data" / "strain.dat").write_bytes(b"t" * len(SECRET))

    between_scan_and_read(rewrite)
    data = archived_bytes(job)
    assert b"t" * len(SECRET) in data
    assert b"SECRET" not in data
    rel.byte_exact()
    rel.nothing_lost()


def test_directory_swapped_while_its_files_are_read(tmp_path: Path, rel: Recorder) -> None:
    # The race as it happens in practice: the directory's own entry is already
    # in the archive and one of its files was read when it is renamed away and
    # replaced by a symlink to a directory holding files of the same names.
    rel.classify(GROUP, "directory swapped for a symlink half way through it", INV)
    job = make_job(tmp_path / "job")
    (job / "result" / "zz_later.json").write_bytes(b"z" * len(SECRET))
    outside = outside_twin(tmp_path, ["posterior.json", "zz_later.json"])
    before = {p.name: p.read_bytes() for p in (job / "result").iterdir()}
    # Sorted order: the config, data/strain.dat, result/posterior.json, result/zz_later.json.
    through_posterior = (job / CONFIG).stat().st_size + 2 * len(SECRET)
    swapped: list[bool] = []

    def swap_after_posterior(done: int, total: int) -> None:
        if done >= through_posterior and not swapped:
            swapped.append(True)
            (job / "result").rename(tmp_path / "result-moved")
            (job / "result").symlink_to(outside, target_is_directory=True)

    try:
        files = archived_files(job, swap_after_posterior)
    except ValidationError as err:  # refusing is as good as reading the job's own copy
        assert "changed while archiving" in str(err)
        rel.typed_error(err)
    else:
        assert files["./result/zz_later.json"] == before["zz_later.json"]
        rel.byte_exact()
        assert not any(b"SECRET" in data for data in files.values())
    assert swapped
    rel.nothing_lost()
