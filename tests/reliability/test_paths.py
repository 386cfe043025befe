"""Hostile paths: nothing is ever written outside ``root_path``, nothing outside a job is uploaded.

Downloads: a fake file listing (pytest-httpx) names files such as
``../../x`` or ``a\\x00b``, or ``root_path`` holds symlinks pointing
elsewhere; the whole temporary tree is compared before and after.  Uploads:
job directories with symlinks leading out, and archives whose members escape.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from _gql_fake import AUTH_ENDPOINT, ENDPOINT, SENTINEL_TOKEN, jwt_answer

from gwcloud_python import BilbyJob, FileReferenceList, GWCloud, ValidationError
from gwcloud_python._files import temporary_paths
from gwcloud_python.server import LocalServer

from ._helpers import snapshot

if TYPE_CHECKING:
    from .conftest import Catalog, Recorder

GROUP = "Paths"
INV_DOWN = "nothing written outside root_path (tree compared); error names the path"
INV_UP = "nothing outside the job directory read or sent; error names the path; no request"
JOB_ID = "QmlsYnlKb2JOb2RlOjE="
GOOD = "good/ok.json"


def _content(path: str) -> bytes:
    return f"content of {path}".encode()


class FakeFiles:
    """Answers BilbyResultFiles with a listing, GenerateFileDownloadIds, and the downloads."""

    def __init__(self, fake_gql: Any, httpx_mock: Any, paths: list[str]) -> None:
        self.paths = paths
        self.downloads: list[str] = []
        files = [
            {
                "path": p,
                "isDir": False,
                "fileSize": str(len(_content(p))),
                "downloadToken": f"tok{i}",
            }
            for i, p in enumerate(paths)
        ]
        fake_gql.on(
            "BilbyResultFiles", {"data": {"bilbyResultFiles": {"jobType": 0, "files": files}}}
        )
        fake_gql.on(
            "GenerateFileDownloadIds",
            lambda v, _r: {"data": {"generateFileDownloadIds": {"result": v["downloadTokens"]}}},
        )
        httpx_mock.add_callback(self._serve, method="GET", is_reusable=True, is_optional=True)

    def _serve(self, request: httpx.Request) -> httpx.Response:
        token = request.url.params["fileId"]
        path = self.paths[int(token.removeprefix("tok"))]
        self.downloads.append(path)
        return httpx.Response(200, content=_content(path))


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """``outside/`` with a file to protect, and ``work/root`` to save into."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_text("do not touch")
    root = tmp_path / "work" / "root"
    root.mkdir(parents=True)
    return {"tmp": tmp_path, "outside": outside, "root": root}


ESCAPES = {
    "dotdot": "../../x",
    "dotdot-in-middle": "a/../../b",
    "dotdot-deep": "result/../../../outside/victim.txt",
    "dotdot-alone": "..",
    "dot-alone": ".",
    "backslash-dotdot": "..\\..\\x",
    "backslash": "a\\b.png",
    "nul-byte": "a\x00b.png",
    "windows-drive": "C:/Windows/x.png",
}


@pytest.mark.parametrize("name", list(ESCAPES.values()), ids=list(ESCAPES))
def test_listed_path_escaping_root_is_refused(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
    name: str,
) -> None:
    rel.classify(GROUP, "download: hostile names in the file list", INV_DOWN)
    files = FakeFiles(fake_gql, httpx_mock, [GOOD, name])
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    job = BilbyJob(gw, JOB_ID, "job", None, None, None, None)
    refs = job.get_full_file_list()
    before = snapshot(layout["tmp"])
    with pytest.raises(ValidationError) as info:
        gw.save_files_by_reference(refs, layout["root"])
    listed = refs[1].path.as_posix()
    assert repr(listed) in str(info.value), str(info.value)
    assert snapshot(layout["tmp"]) == before
    assert files.downloads == []
    assert "GenerateFileDownloadIds" not in fake_gql.names()
    rel.typed_error(info.value)
    rel.nothing_lost()


STAYS_INSIDE = {
    "absolute": ("/etc/x.png", "etc/x.png"),
    "double-slash-absolute": ("//abs/y.png", "abs/y.png"),
    "dot-segments": ("./a//b/./c.png", "a/b/c.png"),
    "tilde": ("~/x.png", "~/x.png"),
}


@pytest.mark.parametrize(("name", "lands"), list(STAYS_INSIDE.values()), ids=list(STAYS_INSIDE))
def test_odd_but_harmless_names_land_inside_root(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
    name: str,
    lands: str,
) -> None:
    rel.classify(GROUP, "download: odd names that stay inside root", INV_DOWN)
    FakeFiles(fake_gql, httpx_mock, [GOOD, name])
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    refs = BilbyJob(gw, JOB_ID, "job", None, None, None, None).get_full_file_list()
    before = snapshot(layout["tmp"])
    written = gw.save_files_by_reference(refs, layout["root"])
    root = layout["root"].resolve()
    assert all(root in p.parents for p in written)
    assert (root / lands).read_bytes() == _content(name)
    after = snapshot(layout["tmp"])
    changed = {k for k in after if after[k] != before.get(k)} | (set(before) - set(after))
    assert all(k.startswith("work/root/") for k in changed), changed
    assert not any(k.endswith(".part") for k in after)
    rel.byte_exact()
    rel.nothing_lost()


def _plant(kind: str, root: Path, outside: Path) -> str:
    """Put a hostile symlink under ``root``; return the listed path that meets it."""
    if kind == "symlinked-subdirectory":
        (root / "result").symlink_to(outside, target_is_directory=True)
        return "result/x.png"
    if kind == "final-name-is-symlink":
        (root / "result").mkdir()
        (root / "result" / "a.png").symlink_to(outside / "victim.txt")
        return "result/a.png"
    if kind == "symlink-to-parent":
        (root / "up").symlink_to("..", target_is_directory=True)
        return "up/x.png"
    if kind == "symlink-loop":
        (root / "loop").symlink_to("loop")
        return "loop/x.png"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "symlinked-subdirectory",
        "final-name-is-symlink",
        "symlink-to-parent",
        pytest.param(
            "symlink-loop",
        ),
    ],
)
def test_symlinks_under_root_are_not_followed_out(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
    kind: str,
) -> None:
    rel.classify(GROUP, "download: symlinks in root_path", INV_DOWN)
    name = _plant(kind, layout["root"], layout["outside"])
    files = FakeFiles(fake_gql, httpx_mock, [GOOD, name])
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    refs = BilbyJob(gw, JOB_ID, "job", None, None, None, None).get_full_file_list()
    before = snapshot(layout["tmp"])
    with pytest.raises(ValidationError) as info:
        gw.save_files_by_reference(refs, layout["root"])
    assert repr(name) in str(info.value)
    assert snapshot(layout["tmp"]) == before and files.downloads == []
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_planted_part_symlink_is_replaced_not_written_through(
    rel: Recorder, fake_gql: Any, httpx_mock: Any, mock_http: httpx.Client, layout: dict[str, Path]
) -> None:
    rel.classify(GROUP, "download: symlinks in root_path", INV_DOWN)
    FakeFiles(fake_gql, httpx_mock, [GOOD])
    (layout["root"] / "good").mkdir()
    part = temporary_paths(layout["root"] / GOOD)[0]
    part.symlink_to(layout["outside"] / "victim.txt")
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    refs = BilbyJob(gw, JOB_ID, "job", None, None, None, None).get_full_file_list()
    gw.save_files_by_reference(refs, layout["root"])
    assert (layout["outside"] / "victim.txt").read_text() == "do not touch"
    assert (layout["root"] / GOOD).read_bytes() == _content(GOOD)
    assert not part.is_symlink() and not part.exists()
    rel.byte_exact()
    rel.nothing_lost()


@pytest.mark.parametrize(
    "names",
    [
        ["a/b.png", "a//b.png"],
        ["x.png", "./x.png"],
        ["x.png", temporary_paths(Path("x.png"))[0].name],
    ],
    ids=["double-slash", "dot-prefix", "part-clash"],
)
def test_two_names_for_one_target_are_refused(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
    names: list[str],
) -> None:
    rel.classify(GROUP, "download: two names for one target", INV_DOWN)
    files = FakeFiles(fake_gql, httpx_mock, names)
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    refs = BilbyJob(gw, JOB_ID, "job", None, None, None, None).get_full_file_list()
    before = snapshot(layout["tmp"])
    with pytest.raises(ValidationError) as info:
        gw.save_files_by_reference(refs, layout["root"])
    assert repr(refs[1].path.as_posix()) in str(info.value)
    # the output directory may have been created; nothing else
    after = snapshot(layout["tmp"])
    assert {k: v for k, v in after.items() if v[0] == "file"} == {
        k: v for k, v in before.items() if v[0] == "file"
    }
    assert files.downloads == []
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_two_names_for_one_target_are_refused_before_any_request(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
) -> None:
    rel.classify(GROUP, "download: two names for one target", INV_DOWN)
    FakeFiles(fake_gql, httpx_mock, ["a/b.png", "a//b.png"])
    gw = GWCloud(endpoint=ENDPOINT, progress=False, http_client=mock_http)
    refs = BilbyJob(gw, JOB_ID, "job", None, None, None, None).get_full_file_list()
    with pytest.raises(ValidationError) as info:
        gw.save_files_by_reference(refs, layout["root"])
    rel.typed_error(info.value)
    rel.nothing_lost()
    assert "GenerateFileDownloadIds" not in fake_gql.names()


def test_symlinked_subdirectory_with_the_local_server(
    rel: Recorder, catalog: Catalog, connect: Any, layout: dict[str, Path]
) -> None:
    rel.classify(GROUP, "download: symlinks in root_path", INV_DOWN)
    gw = connect()
    job = catalog.job("GW150914")
    (layout["root"] / "result").symlink_to(layout["outside"], target_is_directory=True)
    before = snapshot(layout["tmp"])
    with pytest.raises(ValidationError) as info:
        gw.save_files_by_reference(catalog.refs("GW150914"), layout["root"])
    assert "'result/GW150914_corner.png'" in str(info.value) or "result/" in str(info.value)
    assert snapshot(layout["tmp"]) == before
    assert job.job_id
    rel.typed_error(info.value)
    rel.nothing_lost()


# -- uploads -----------------------------------------------------------------------------------


def _job_dir(root: Path, label: str = "upjob") -> Path:
    job = root / label
    for sub in ("data", "result", "results_page"):
        (job / sub).mkdir(parents=True)
    (job / f"{label}_config_complete.ini").write_text(f"label = {label}\n")
    (job / "result" / f"{label}_result.json").write_text("{}")
    return job


def _authenticated(fake_gql: Any, http: httpx.Client) -> GWCloud:
    fake_gql.on("JwtToken", jwt_answer())
    return GWCloud(
        SENTINEL_TOKEN,
        auth_endpoint=AUTH_ENDPOINT,
        endpoint=ENDPOINT,
        progress=False,
        http_client=http,
    )


@pytest.mark.parametrize(
    "kind",
    [
        "file-link-out",
        "dir-link-out",
        "relative-link-out",
        "link-to-root-parent",
        pytest.param(
            "link-loop",
        ),
    ],
)
def test_upload_never_follows_symlinks_out_of_the_job(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    layout: dict[str, Path],
    kind: str,
) -> None:
    rel.classify(GROUP, "upload: symlinks leading out of the job directory", INV_UP)
    secret = layout["outside"] / "victim.txt"
    job = _job_dir(layout["tmp"] / "jobs")
    link = job / "data" / "linked"
    if kind == "file-link-out":
        link.symlink_to(secret)
    elif kind == "dir-link-out":
        link.symlink_to(layout["outside"], target_is_directory=True)
    elif kind == "relative-link-out":
        link.symlink_to(os.path.relpath(secret, link.parent))
    elif kind == "link-to-root-parent":
        link.symlink_to("../..", target_is_directory=True)
    else:
        link.symlink_to("linked")
    gw = _authenticated(fake_gql, mock_http)
    before = len(httpx_mock.get_requests())
    with pytest.raises(ValidationError) as info:
        gw.upload_job_directory("symlinks", job)
    assert str(link) in str(info.value)
    assert len(httpx_mock.get_requests()) == before
    rel.typed_error(info.value)
    rel.nothing_lost()


def _archive_with(path: Path, member: tarfile.TarInfo, data: bytes = b"") -> None:
    with tarfile.open(path, "w:gz") as tar:
        for sub in ("data", "result", "results_page"):
            info = tarfile.TarInfo(f"./{sub}")
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        config = b"label = x\n"
        info = tarfile.TarInfo("./x_config_complete.ini")
        info.size = len(config)
        tar.addfile(info, io.BytesIO(config))
        member.size = len(data) if member.isreg() else 0
        tar.addfile(member, io.BytesIO(data) if member.isreg() else None)


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    return info


ARCHIVE_MEMBERS = {
    "dotdot": _member("./data/../../evil.txt"),
    "absolute": _member("/etc/evil.txt"),
    "symlink-absolute": _member("./data/passwd", tarfile.SYMTYPE, "/etc/passwd"),
    "symlink-escaping": _member("./data/up", tarfile.SYMTYPE, "../../../etc/passwd"),
    "hardlink-escaping": _member("./data/hard", tarfile.LNKTYPE, "../outside.txt"),
    "device": _member("./data/dev", tarfile.CHRTYPE),
}


@pytest.mark.parametrize("member", list(ARCHIVE_MEMBERS.values()), ids=list(ARCHIVE_MEMBERS))
def test_upload_archive_with_escaping_member_is_refused(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    tmp_path: Path,
    member: tarfile.TarInfo,
) -> None:
    rel.classify(GROUP, "upload: archive members escaping the job", INV_UP)
    archive = tmp_path / "hostile.tar.gz"
    _archive_with(archive, member, b"evil")
    gw = _authenticated(fake_gql, mock_http)
    before = len(httpx_mock.get_requests())
    with pytest.raises(ValidationError) as info:
        gw.upload_job_archive("hostile", archive)
    assert repr(member.name) in str(info.value), str(info.value)
    assert len(httpx_mock.get_requests()) == before
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_symlink_inside_the_job_is_kept_as_a_link(
    rel: Recorder, server: LocalServer, connect: Any, layout: dict[str, Path]
) -> None:
    """A link that stays inside the job is uploaded as a link (the server gets no copy)."""
    rel.classify(GROUP, "upload: symlinks leading out of the job directory", INV_UP)
    job = _job_dir(layout["tmp"] / "jobs", "innerlink")
    (job / "data" / "same.json").symlink_to("../result/innerlink_result.json")
    uploaded = connect("demo").upload_job_directory("inner link", job)
    assert uploaded.name == "innerlink"
    paths = {ref.path.as_posix() for ref in uploaded.get_full_file_list()}
    assert "result/innerlink_result.json" in paths
    assert isinstance(uploaded.get_full_file_list(), FileReferenceList)
    rel.byte_exact()
    rel.nothing_lost()
