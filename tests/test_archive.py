"""Tests of job upload archives (``gwcloud_python._archive``)."""

from __future__ import annotations

import gzip
import io
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path

import pytest

from gwcloud_python._archive import (
    check_job_archive,
    check_job_directory,
    job_directory_archive,
)
from gwcloud_python._errors import ValidationError

CONFIG = "GW150914_config_complete.ini"


def make_job(root: Path) -> Path:
    """A minimal valid job directory with a few files."""
    for name in ("data", "result", "results_page"):
        (root / name).mkdir(parents=True)
    (root / CONFIG).write_text("label = GW150914\n")
    (root / "data" / "strain.dat").write_bytes(bytes(range(256)) * 40)
    (root / "result" / "GW150914_result.json").write_text('{"log_evidence": 1.5}')
    (root / "results_page" / "home.html").write_text("<html></html>")
    (root / "results_page" / "nested").mkdir()
    (root / "results_page" / "nested" / "plot.png").write_bytes(os.urandom(3000))
    (root / "result" / "empty.txt").write_bytes(b"")
    return root


def tree(root: Path) -> dict[str, bytes | str | None]:
    """Relative path -> file bytes, symlink target (str, relative to root), None for dirs."""
    out: dict[str, bytes | str | None] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = path.resolve().relative_to(root.resolve()).as_posix()
        elif path.is_dir():
            out[rel] = None
        else:
            out[rel] = path.read_bytes()
    return out


def write_archive(path: Path, members: Mapping[str, bytes | None], **links: str) -> Path:
    """Write a .tar.gz with the given files (bytes) and directories (None) and symlinks."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


VALID = {
    "./": None,
    "./data/": None,
    "./result/": None,
    "./results_page/": None,
    f"./{CONFIG}": b"x",
    "./data/a.dat": b"abc",
}

# ------------------------------------------------------------ job directories


def test_valid_job_directory(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    assert check_job_directory(str(job)) == job.resolve()


def test_every_problem_of_a_job_directory_is_named(tmp_path: Path) -> None:
    job = tmp_path / "job"
    job.mkdir()
    (job / "result").mkdir()
    with pytest.raises(ValidationError) as info:
        check_job_directory(job)
    message = str(info.value)
    assert "data/" in message
    assert "results_page/" in message
    assert "result/ " not in message.replace("results_page/", "")
    assert "_config_complete.ini" in message


def test_two_config_files_are_named(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    (job / "other_config_complete.ini").write_text("")
    with pytest.raises(ValidationError) as info:
        check_job_directory(job)
    assert CONFIG in str(info.value)
    assert "other_config_complete.ini" in str(info.value)


def test_job_directory_that_is_missing_or_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        check_job_directory(tmp_path / "nope")
    (tmp_path / "file").write_text("")
    with pytest.raises(ValidationError, match="not a directory"):
        check_job_directory(tmp_path / "file")


# ------------------------------------------------------------ building archives


def test_archive_round_trips_and_lives_outside_the_job(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    (job / "result" / "latest.json").symlink_to("GW150914_result.json")
    (job / "results_page" / "data_link").symlink_to(job / "data", target_is_directory=True)
    before = tree(job)
    progress: list[tuple[int, int]] = []
    with job_directory_archive(job, callback=lambda d, t: progress.append((d, t))) as archive:
        assert archive.name == "job.tar.gz"
        assert job.resolve() not in archive.resolve().parents
        assert archive.read_bytes()[:2] == b"\x1f\x8b"
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            assert all(n == "." or n.startswith("./") for n in names), names
            assert not any(n.endswith(".tar.gz") for n in names)
            links = {m.name: m.linkname for m in members if m.issym()}
            assert links == {
                "./result/latest.json": "GW150914_result.json",
                "./results_page/data_link": "../data",
            }
            out = tmp_path / "extracted"
            tar.extractall(out, filter="tar")
        assert check_job_archive(archive) == archive.resolve()
        tmp_dir = archive.parent
    assert not tmp_dir.exists()
    assert tree(out) == before
    assert tree(job) == before  # the job directory is untouched
    total = sum(len(v) for v in before.values() if isinstance(v, bytes))
    assert progress[0] == (0, total)
    assert progress[-1] == (total, total)


def test_archive_of_invalid_directory_is_refused(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    shutil.rmtree(job / "results_page")
    with pytest.raises(ValidationError, match="results_page/"), job_directory_archive(job):
        pass


def test_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not upload")
    (job / "data" / "leak").symlink_to(secret)
    before = set(os.listdir(tempfile.gettempdir()))
    with pytest.raises(ValidationError) as info, job_directory_archive(job):
        pass
    assert str(job / "data" / "leak") in str(info.value)
    assert set(os.listdir(tempfile.gettempdir())) <= before  # no temp archive left behind


def test_symlinked_directory_pointing_outside_is_refused(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x")
    (job / "result" / "more").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="more"), job_directory_archive(job):
        pass


def test_unreadable_file_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = make_job(tmp_path / "job")
    locked = job / "data" / "locked.dat"
    locked.write_bytes(b"x")
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads anything: pretend it cannot
        real_access = os.access

        def access(path: str | os.PathLike[str], mode: int) -> bool:
            return Path(path).name != "locked.dat" and real_access(path, mode)

        monkeypatch.setattr(os, "access", access)
    expected = re.escape(str(locked))
    try:
        with pytest.raises(ValidationError, match=expected), job_directory_archive(job):
            pass
    finally:
        locked.chmod(0o600)


def test_special_file_is_named(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    os.mkfifo(job / "data" / "pipe")
    with pytest.raises(ValidationError, match="pipe"), job_directory_archive(job):
        pass


def test_temp_dir_inside_job_falls_back_to_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = make_job(tmp_path / "job")
    inner_tmp = job / "scratch"
    inner_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(inner_tmp))
    with job_directory_archive(job) as archive:
        assert archive.parent.parent == tmp_path.resolve()
        with tarfile.open(archive) as tar:
            assert "./scratch" in tar.getnames()
            assert not [n for n in tar.getnames() if n.startswith("./scratch/")]
    assert list(inner_tmp.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job"]


def test_archive_is_deleted_when_the_block_raises(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    with pytest.raises(RuntimeError), job_directory_archive(job) as archive:
        raise RuntimeError("upload failed")
    assert not archive.exists()
    assert not archive.parent.exists()


# ------------------------------------------------------------ checking archives


def test_valid_archive_with_and_without_dot_prefix(tmp_path: Path) -> None:
    assert check_job_archive(write_archive(tmp_path / "a.tar.gz", VALID))
    plain = {k.removeprefix("./"): v for k, v in VALID.items() if k != "./"}
    assert check_job_archive(write_archive(tmp_path / "b.tar.gz", plain))
    # directories implied by file members only
    implied = {
        f"{CONFIG}": b"x",
        "data/a": b"1",
        "result/b": b"2",
        "results_page/c": b"3",
    }
    assert check_job_archive(write_archive(tmp_path / "c.tar.gz", implied))


def test_archive_missing_or_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="does not exist"):
        check_job_archive(tmp_path / "nope.tar.gz")
    with pytest.raises(ValidationError, match="not a file"):
        check_job_archive(tmp_path)


def test_non_gzip_is_refused(tmp_path: Path) -> None:
    plain_tar = tmp_path / "job.tar.gz"
    with tarfile.open(plain_tar, "w") as archive:
        info = tarfile.TarInfo("data")
        info.type = tarfile.DIRTYPE
        archive.addfile(info)
    with pytest.raises(ValidationError, match="is not a gzip file"):
        check_job_archive(plain_tar)


def test_gzip_that_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "job.tar.gz"
    path.write_bytes(gzip.compress(b"just some text, not a tar archive" * 100))
    with pytest.raises(ValidationError, match="not a valid gzipped tar"):
        check_job_archive(path)
    path.write_bytes(gzip.compress(b"x" * 10000)[:50])  # truncated
    with pytest.raises(ValidationError, match="not a valid gzipped tar"):
        check_job_archive(path)


@pytest.mark.parametrize(
    ("name", "link"),
    [
        ("../evil", None),
        ("./data/../../evil", None),
        ("/etc/evil", None),
        ("./data/link", "../../outside"),
        ("./data/link", "/etc/passwd"),
    ],
)
def test_path_escape_members_are_refused(tmp_path: Path, name: str, link: str | None) -> None:
    links = {name: link} if link is not None else {}
    members = dict(VALID) if link is not None else {**VALID, name: b"evil"}
    path = write_archive(tmp_path / "job.tar.gz", members, **links)
    with pytest.raises(ValidationError, match="unsafe members") as info:
        check_job_archive(path)
    assert repr(name) in str(info.value)


def test_in_archive_symlink_is_accepted(tmp_path: Path) -> None:
    path = write_archive(tmp_path / "job.tar.gz", VALID, **{"./result/link": "../data/a.dat"})
    assert check_job_archive(path) == path.resolve()


def test_archive_missing_dirs_are_named(tmp_path: Path) -> None:
    members = {k: v for k, v in VALID.items() if not k.startswith(("./result", "./results_page"))}
    with pytest.raises(ValidationError) as info:
        check_job_archive(write_archive(tmp_path / "job.tar.gz", members))
    assert "missing result/ directory" in str(info.value)
    assert "missing results_page/ directory" in str(info.value)
    assert "data/" not in str(info.value)


def test_archive_with_two_or_no_config_files(tmp_path: Path) -> None:
    two = {**VALID, "./second_config_complete.ini": b"y"}
    with pytest.raises(ValidationError) as info:
        check_job_archive(write_archive(tmp_path / "two.tar.gz", two))
    assert CONFIG in str(info.value) and "second_config_complete.ini" in str(info.value)
    # a config file below the top level does not count
    none = {k: v for k, v in VALID.items() if not k.endswith(".ini")}
    none["./data/deep_config_complete.ini"] = b"z"
    with pytest.raises(ValidationError, match=re.escape("no *_config_complete.ini")):
        check_job_archive(write_archive(tmp_path / "none.tar.gz", none))


# ------------------------------------------------------------ archive format (issue 13)


def _mixed_job(root: Path) -> tuple[Path, dict[str, bytes]]:
    """A job with incompressible (stored) and compressible (deflated) multi-chunk files."""
    from gwcloud_python import _archive

    job = make_job(root)
    chunk = _archive._CHUNK
    noise = os.urandom(2 * chunk + 12345)
    text = b"".join(b"line %d of a compressible result file\n" % i for i in range(120_000))
    (job / "result" / "samples.h5").write_bytes(noise)
    (job / "result" / "samples.json").write_bytes(text)
    return job, {"./result/samples.h5": noise, "./result/samples.json": text}


@pytest.mark.parametrize("workers", [1, 3])
def test_archive_unpacks_with_gnu_tar_and_tarfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    from gwcloud_python import _archive

    monkeypatch.setattr(_archive, "_compress_workers", lambda: workers)
    job, big = _mixed_job(tmp_path / "job")
    before = tree(job)
    raw_size = sum(len(v) for v in before.values() if isinstance(v, bytes))
    with job_directory_archive(job) as archive:
        packed = archive.read_bytes()
        # One gzip member: streaming readers that stop after the first member see it all.
        tar_stream = gzip.decompress(packed)
        assert zlib.decompressobj(31).decompress(packed) == tar_stream
        # The text was deflated, the noise stored: smaller than the input, but not below
        # the noise.
        assert len(big["./result/samples.h5"]) < len(packed) < raw_size * 0.75
        for mode in ("r:gz", "r|gz"):
            with tarfile.open(archive, mode) as tar:
                contents = {
                    m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                    for m in tar
                    if m.isreg()
                }
            assert contents["./result/samples.h5"] == big["./result/samples.h5"]
            assert contents["./result/samples.json"] == big["./result/samples.json"]
        gnu = tmp_path / "gnu"
        gnu.mkdir()
        done = subprocess.run(
            ["tar", "-xvf", str(archive), "."], cwd=gnu, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "./result/samples.h5" in done.stdout
        assert subprocess.run(["gzip", "-t", str(archive)]).returncode == 0
    assert tree(gnu) == before


def test_stored_blocks_are_valid_deflate() -> None:
    from gwcloud_python import _archive

    for size in (0, 1, 0xFFFF, 0x10000, 3 * 0xFFFF + 7):
        data = os.urandom(size)
        stream = _archive._stored_blocks(data) + _archive._FINAL_BLOCK
        assert zlib.decompress(stream, -zlib.MAX_WBITS) == data


def test_file_that_shrinks_while_archiving_is_refused(tmp_path: Path) -> None:
    job = make_job(tmp_path / "job")
    target = job / "data" / "strain.dat"

    def shrink(done: int, total: int) -> None:
        if done == 0:
            target.write_bytes(b"x")

    with (
        pytest.raises(ValidationError, match=r"strain\.dat.*changed while archiving.*shrank"),
        job_directory_archive(job, callback=shrink),
    ):
        pass
