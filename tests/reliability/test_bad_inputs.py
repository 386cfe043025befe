"""Bad-input catalogue: every public method refuses bad arguments before sending anything.

One parametrized test runs every case against an authenticated client built
over pytest-httpx.  Each case must raise :class:`ValidationError` (a
``ValueError``) whose message names the bad value, and the mock must have
seen no request caused by the call.  (``FileReferenceList`` itself raises
``TypeError`` for foreign items, by design.)
"""

from __future__ import annotations

import asyncio
import gzip
import math
import tarfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from _gql_fake import AUTH_ENDPOINT, ENDPOINT, SENTINEL_TOKEN, jwt_answer

import gwcloud_python
from gwcloud_python import (
    BilbyJob,
    EventID,
    FileReference,
    FileReferenceList,
    GWCloud,
    ValidationError,
)

if TYPE_CHECKING:
    from .conftest import Recorder

GROUP = "Bad inputs"
INVARIANT = "ValidationError naming the value; no request sent"
JOB_ID = "QmlsYnlKb2JOb2RlOjE="  # BilbyJobNode:1
GPS = 1126259462.391


@dataclass
class Ctx:
    """What the cases call into: an authenticated client, a job, a file and prepared paths."""

    gw: GWCloud
    job: BilbyJob
    ref: FileReference
    tmp: Path
    paths: dict[str, Path] = field(default_factory=dict)


class At:
    """A bad value that depends on the prepared files (``At("missing_ini")``)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"At({self.key!r})"


@dataclass(frozen=True)
class Case:
    klass: str
    call: Callable[[Ctx], object] | None
    bad: object
    exc: type[Exception] = ValidationError
    expect: str | None = None  # substring the message must hold, when not the bad value
    acall: Callable[[Any, Ctx], Awaitable[object]] | None = None


def _prepare(tmp: Path) -> dict[str, Path]:
    paths = {
        "missing_ini": tmp / "no-such.ini",
        "a_dir": tmp / "a-directory",
        "prior_ini": tmp / "prior.ini",
        "psd_ini": tmp / "psd.ini",
        "good_ini": tmp / "good.ini",
        "no_data_dir": tmp / "job-without-data",
        "missing_dir": tmp / "no-such-job",
        "not_gzip": tmp / "plain.tar.gz",
        "gzip_not_tar": tmp / "notar.tar.gz",
        "no_results_page": tmp / "incomplete.tar.gz",
        "missing_archive": tmp / "no-such.tar.gz",
        "a_file": tmp / "a-file.txt",
        "not_hdf5": tmp / "result.hdf5",
    }
    paths["a_dir"].mkdir()
    paths["prior_ini"].write_text("label = x\nprior-file = nowhere-to-be-found.prior\n")
    paths["psd_ini"].write_text("label = x\npsd-dict = {H1: missing_h1_psd.txt}\n")
    paths["good_ini"].write_text("label = x\ndetectors = ['H1']\n")
    for sub in ("result", "results_page"):
        (paths["no_data_dir"] / sub).mkdir(parents=True)
    (paths["no_data_dir"] / "x_config_complete.ini").write_text("label = x\n")
    paths["not_gzip"].write_bytes(b"this is not gzip at all")
    paths["gzip_not_tar"].write_bytes(gzip.compress(b"gzip, but no tar inside" * 50))
    incomplete = tmp / "incomplete"
    for sub in ("data", "result"):
        (incomplete / sub).mkdir(parents=True)
    (incomplete / "x_config_complete.ini").write_text("label = x\n")
    with tarfile.open(paths["no_results_page"], "w:gz") as tar:
        tar.add(incomplete, arcname=".")
    paths["a_file"].write_text("I am a file, not a directory")
    paths["not_hdf5"].write_bytes(b"not an HDF5 signature")
    return paths


def _filter(files: list[FileReference]) -> list[FileReference]:
    return files


CASES: dict[str, Any] = {
    # -- event IDs ---------------------------------------------------------------------
    "event-id-short-digits": Case(
        "event IDs", lambda c: c.gw.get_event_id("GW12345_123456"), "GW12345_123456"
    ),
    "event-id-lower-case": Case(
        "event IDs", lambda c: c.gw.create_event_id("gw150914_095045", GPS), "gw150914_095045"
    ),
    "event-id-dash": Case(
        "event IDs",
        lambda c: c.gw.update_event_id("GW150914-095045", nickname="x"),
        "GW150914-095045",
    ),
    "event-id-empty": Case("event IDs", lambda c: c.gw.delete_event_id(""), ""),
    "event-id-none": pytest.param(
        Case("event IDs", lambda c: c.gw.get_event_id(None), None),
    ),
    "event-id-none-delete": pytest.param(
        Case("event IDs", lambda c: c.gw.delete_event_id(None), None),
    ),
    "event-id-int": Case("event IDs", lambda c: c.gw.create_event_id(123, GPS), 123),
    "event-id-on-job": Case(
        "event IDs", lambda c: c.job.set_event_id("GW150914_09504"), "GW150914_09504"
    ),
    "event-id-object": Case(
        "event IDs", lambda c: c.job.set_event_id(EventID("GW15_0914")), "GW15_0914"
    ),
    # -- trigger IDs -------------------------------------------------------------------
    "trigger-five-digits": Case(
        "trigger IDs",
        lambda c: c.gw.create_event_id("GW150914_095045", GPS, "S12345a"),
        "S12345a",
    ),
    "trigger-lower-s": Case(
        "trigger IDs",
        lambda c: c.gw.create_event_id("GW150914_095045", GPS, "s150914a"),
        "s150914a",
    ),
    "trigger-three-letters": Case(
        "trigger IDs",
        lambda c: c.gw.update_event_id("GW150914_095045", trigger_id="S150914abc"),
        "S150914abc",
    ),
    "trigger-upper-letter": Case(
        "trigger IDs",
        lambda c: c.gw.update_event_id("GW150914_095045", trigger_id="S150914A"),
        "S150914A",
    ),
    # -- GPS times ---------------------------------------------------------------------
    "gps-nan": Case(
        "GPS times", lambda c: c.gw.create_event_id("GW150914_095045", math.nan), math.nan
    ),
    "gps-inf": Case(
        "GPS times", lambda c: c.gw.create_event_id("GW150914_095045", math.inf), math.inf
    ),
    "gps-negative": Case("GPS times", lambda c: c.gw.create_event_id("GW150914_095045", -1), -1),
    "gps-zero": Case("GPS times", lambda c: c.gw.update_event_id("GW150914_095045", gps_time=0), 0),
    "gps-string": Case(
        "GPS times",
        lambda c: c.gw.create_event_id("GW150914_095045", "1126259462"),
        "1126259462",
    ),
    "gps-bool": Case(
        "GPS times", lambda c: c.gw.update_event_id("GW150914_095045", gps_time=True), True
    ),
    # -- time ranges and clusters ------------------------------------------------------
    "time-range-3d": Case(
        "TimeRange / Cluster values", lambda c: c.gw.get_public_job_list(time_range="3d"), "3d"
    ),
    "time-range-iter": Case(
        "TimeRange / Cluster values", lambda c: c.gw.iter_public_jobs(time_range="week"), "week"
    ),
    "time-range-int": Case(
        "TimeRange / Cluster values", lambda c: c.gw.get_public_job_list(time_range=7), 7
    ),
    "cluster-unknown": Case(
        "TimeRange / Cluster values",
        lambda c: c.gw.start_bilby_job_from_string("n", "d", False, "label = x\n", "gadi"),
        "gadi",
    ),
    "cluster-wrong-case": Case(
        "TimeRange / Cluster values",
        lambda c: c.gw.start_bilby_job_from_file(
            "n", "d", False, c.paths["good_ini"], cluster="OzStar"
        ),
        "OzStar",
    ),
    # -- numbers -----------------------------------------------------------------------
    "number-zero": Case("number / page_size", lambda c: c.gw.get_public_job_list(number=0), 0),
    "number-negative": Case("number / page_size", lambda c: c.gw.get_user_jobs(number=-5), -5),
    "number-float": Case("number / page_size", lambda c: c.gw.get_public_job_list(number=2.5), 2.5),
    "number-bool": Case("number / page_size", lambda c: c.gw.get_user_jobs(number=True), True),
    "number-string": Case(
        "number / page_size", lambda c: c.gw.get_public_job_list(number="10"), "10"
    ),
    "page-size-zero": Case("number / page_size", lambda c: c.gw.iter_public_jobs(page_size=0), 0),
    "page-size-negative": Case(
        "number / page_size", lambda c: c.gw.iter_user_jobs(page_size=-1), -1
    ),
    # -- local files -------------------------------------------------------------------
    "ini-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.start_bilby_job_from_file("n", "d", False, c.paths["missing_ini"]),
        At("missing_ini"),
    ),
    "ini-is-directory": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.start_bilby_job_from_file("n", "d", False, c.paths["a_dir"]),
        At("a_dir"),
    ),
    "supporting-prior-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.start_bilby_job_from_file("n", "d", False, c.paths["prior_ini"]),
        "nowhere-to-be-found.prior",
    ),
    "supporting-prior-missing-string": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.start_bilby_job_from_string(
            "n", "d", False, c.paths["prior_ini"].read_text()
        ),
        "nowhere-to-be-found.prior",
    ),
    "supporting-psd-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.start_bilby_job_from_file("n", "d", False, c.paths["psd_ini"]),
        "missing_h1_psd.txt",
    ),
    "job-dir-without-data": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_directory("d", c.paths["no_data_dir"]),
        At("no_data_dir"),
    ),
    "job-dir-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_directory("d", c.paths["missing_dir"]),
        At("missing_dir"),
    ),
    "archive-not-gzip": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_archive("d", c.paths["not_gzip"]),
        At("not_gzip"),
    ),
    "archive-gzip-not-tar": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_archive("d", c.paths["gzip_not_tar"]),
        At("gzip_not_tar"),
    ),
    "archive-without-results-page": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_archive("d", c.paths["no_results_page"]),
        At("no_results_page"),
    ),
    "archive-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_job_archive("d", c.paths["missing_archive"]),
        At("missing_archive"),
    ),
    "hdf5-not-hdf5": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_hdf5_job("d", c.paths["not_hdf5"], c.paths["good_ini"]),
        At("not_hdf5"),
    ),
    "hdf5-ini-missing": Case(
        "local files (ini, supporting files, job directory, archive)",
        lambda c: c.gw.upload_hdf5_job("d", c.paths["not_hdf5"], c.paths["missing_ini"]),
        At("missing_ini"),
    ),
    # -- file references ---------------------------------------------------------------
    "file-reference-list-foreign": Case(
        "FileReferenceList with foreign items", lambda c: FileReferenceList([1]), 1, TypeError
    ),
    "file-reference-list-append": Case(
        "FileReferenceList with foreign items",
        lambda c: FileReferenceList([c.ref]).append("result/x.png"),
        "result/x.png",
        TypeError,
    ),
    "get-files-foreign-item": Case(
        "FileReferenceList with foreign items",
        lambda c: c.gw.get_files_by_reference([c.ref, 1]),
        1,
    ),
    "save-files-foreign-item": Case(
        "FileReferenceList with foreign items",
        lambda c: c.gw.save_files_by_reference([c.ref, "result/x.png"], c.tmp / "out"),
        "result/x.png",
    ),
    "get-files-single-reference": Case(
        "FileReferenceList with foreign items",
        lambda c: c.gw.get_files_by_reference(c.ref),
        "a single FileReference",
        expect="got FileReference",
    ),
    # -- job IDs -----------------------------------------------------------------------
    "job-id-word": Case("job IDs", lambda c: c.gw.get_job_by_id("abc"), "abc"),
    "job-id-negative": Case("job IDs", lambda c: c.gw.get_job_by_id(-1), -1),
    "job-id-empty": Case("job IDs", lambda c: c.gw.get_job_by_id(""), ""),
    "job-id-other-type": Case(
        "job IDs", lambda c: c.gw.get_job_by_id("TGFiZWxUeXBlOjE="), "TGFiZWxUeXBlOjE="
    ),
    "job-id-non-numeric-key": Case(
        "job IDs",
        lambda c: c.gw.get_job_by_id("QmlsYnlKb2JOb2RlOmFiYw=="),
        "QmlsYnlKb2JOb2RlOmFiYw==",
    ),
    "job-id-none": Case("job IDs", lambda c: c.gw.get_job_by_id(None), None),
    "job-id-float": Case("job IDs", lambda c: c.gw.get_job_by_id(1.5), 1.5),
    # -- root_path ---------------------------------------------------------------------
    "root-path-is-file": Case(
        "root_path",
        lambda c: c.gw.save_files_by_reference([c.ref], c.paths["a_file"]),
        At("a_file"),
    ),
    "root-path-none": Case(
        "root_path", lambda c: c.gw.save_files_by_reference([c.ref], None), None
    ),
    "root-path-is-file-job-method": pytest.param(
        Case("root_path", lambda c: c.job.save_default_files(c.paths["a_file"]), At("a_file")),
    ),
    # -- URLs and names ----------------------------------------------------------------
    "external-url-ftp": Case(
        "external URL",
        lambda c: c.gw.upload_external_job("n", "d", False, "label = x\n", "ftp://example.org/r"),
        "ftp://example.org/r",
    ),
    "external-url-no-scheme": Case(
        "external URL",
        lambda c: c.gw.upload_external_job("n", "d", False, "label = x\n", "example.org/r"),
        "example.org/r",
    ),
    "external-url-none": Case(
        "external URL",
        lambda c: c.gw.upload_external_job("n", "d", False, "label = x\n", None),
        None,
    ),
    "job-name-empty-submit": Case(
        "empty names and wrong types",
        lambda c: c.gw.start_bilby_job_from_string("", "d", False, "label = x\n"),
        "",
    ),
    "job-name-empty-external": Case(
        "empty names and wrong types",
        lambda c: c.gw.upload_external_job("", "d", False, "label = x\n", "https://e.org/"),
        "",
    ),
    "job-name-empty-set-name": Case(
        "empty names and wrong types", lambda c: c.job.set_name(""), ""
    ),
    "description-none": Case(
        "empty names and wrong types", lambda c: c.job.set_description(None), None
    ),
    "private-not-bool": Case(
        "empty names and wrong types",
        lambda c: c.gw.start_bilby_job_from_string("n", "d", "yes", "label = x\n"),
        "yes",
    ),
    "ini-string-blank": Case(
        "empty names and wrong types",
        lambda c: c.gw.start_bilby_job_from_string("n", "d", False, "   \n"),
        "   \n",
    ),
    "upload-description-none": Case(
        "empty names and wrong types",
        lambda c: c.gw.upload_job_directory(None, c.paths["no_data_dir"]),
        None,
    ),
    "upload-public-not-bool": Case(
        "empty names and wrong types",
        lambda c: c.gw.upload_job_archive("d", c.paths["no_results_page"], public="no"),
        "no",
    ),
    "search-not-text": Case(
        "empty names and wrong types", lambda c: c.gw.get_public_job_list(search=5), 5
    ),
    "official-search-not-text": Case(
        "empty names and wrong types",
        lambda c: c.gw.get_official_job_list(["GW150914"]),
        ["GW150914"],
    ),
    "nickname-not-text": Case(
        "empty names and wrong types",
        lambda c: c.gw.create_event_id("GW150914_095045", GPS, nickname=5),
        5,
    ),
    "ligo-flag-not-bool": Case(
        "empty names and wrong types",
        lambda c: c.gw.create_event_id("GW150914_095045", GPS, is_ligo_event="no"),
        "no",
    ),
    "filter-name-not-identifier": Case(
        "empty names and wrong types",
        lambda c: BilbyJob.register_file_list_filter("two words", _filter),
        "two words",
    ),
    "filter-not-callable": Case(
        "empty names and wrong types",
        lambda c: BilbyJob.register_file_list_filter("fine", "not callable"),
        "not callable",
    ),
    # -- constructor -------------------------------------------------------------------
    "ctor-endpoint-ftp": Case(
        "client options", lambda c: _client_with(endpoint="ftp://x/bilby/graphql"), "ftp://x"
    ),
    "ctor-auth-endpoint-garbage": Case(
        "client options", lambda c: _client_with(auth_endpoint="not a url"), "not a url"
    ),
    "ctor-max-retries-negative": Case("client options", lambda c: _client_with(max_retries=-2), -2),
    "ctor-max-retries-string": Case("client options", lambda c: _client_with(max_retries="3"), "3"),
    "ctor-concurrency-zero": Case(
        "client options", lambda c: _client_with(download_concurrency=0), 0
    ),
    "ctor-service-unknown": Case("client options", lambda c: _client_with(service="2025"), "2025"),
    "ctor-download-url-ftp": Case(
        "client options",
        lambda c: _client_with(file_download_url="ftp://files.example.org/"),
        "ftp://files.example.org/",
    ),
    "ctor-token-not-text": Case(
        "client options",
        lambda c: GWCloud(1234567, auth_endpoint=AUTH_ENDPOINT, endpoint=ENDPOINT),
        "a token is a secret: the message names its type, not its value",
        expect="token must be a string",
    ),
    "ctor-progress-not-bool": Case("client options", lambda c: _client_with(progress="yes"), "yes"),
    "ctor-timeout-negative": pytest.param(
        Case("client options", lambda c: _client_with(timeout=-1), -1),
    ),
    "ctor-timeout-string": pytest.param(
        Case("client options", lambda c: _client_with(timeout="10"), "10"),
    ),
    "ctor-progress-callback-not-callable": pytest.param(
        Case("client options", lambda c: _client_with(progress_callback="tqdm"), "tqdm"),
    ),
    # -- the async client (same checks, shared code) -------------------------------------
    "async-job-id-word": Case(
        "async client", None, "abc", acall=lambda a, c: a.get_job_by_id("abc")
    ),
    "async-event-id-none-delete": pytest.param(
        Case("async client", None, None, acall=lambda a, c: a.delete_event_id(None)),
    ),
    "async-gps-nan": Case(
        "async client",
        None,
        math.nan,
        acall=lambda a, c: a.create_event_id("GW150914_095045", math.nan),
    ),
    "async-number-zero": Case(
        "async client", None, 0, acall=lambda a, c: a.get_public_job_list(number=0)
    ),
    "async-root-path-is-file": Case(
        "async client",
        None,
        At("a_file"),
        acall=lambda a, c: a.save_files_by_reference([c.ref], c.paths["a_file"]),
    ),
    "async-cluster-unknown": Case(
        "async client",
        None,
        "gadi",
        acall=lambda a, c: a.start_bilby_job_from_string("n", "d", False, "label = x\n", "gadi"),
    ),
    "async-archive-not-gzip": Case(
        "async client",
        None,
        At("not_gzip"),
        acall=lambda a, c: a.upload_job_archive("d", c.paths["not_gzip"]),
    ),
}


def _client_with(**options: Any) -> GWCloud:
    settings: dict[str, Any] = {
        "auth_endpoint": AUTH_ENDPOINT,
        "endpoint": ENDPOINT,
        "progress": False,
        **options,
    }
    return GWCloud(SENTINEL_TOKEN, **settings)


def _named(bad: object, message: str) -> bool:
    if isinstance(bad, Path):
        return str(bad) in message
    if isinstance(bad, str):
        return repr(bad) in message or (bad != "" and bad in message)
    return repr(bad) in message or str(bad) in message


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_refused_before_any_request(
    rel: Recorder,
    fake_gql: Any,
    httpx_mock: Any,
    mock_http: httpx.Client,
    tmp_path: Path,
    case: Case,
) -> None:
    rel.classify(GROUP, case.klass, INVARIANT)
    fake_gql.on("JwtToken", jwt_answer())
    listing = {
        "jobType": 0,
        "files": [{"path": "result/a.png", "isDir": False, "fileSize": "3", "downloadToken": "t"}],
    }
    fake_gql.on("BilbyResultFiles", {"data": {"bilbyResultFiles": listing}})
    ctx_paths = _prepare(tmp_path)
    gw = _client_with(http_client=mock_http)
    job = BilbyJob(gw, JOB_ID, "job", None, None, None, None, job_type=0)
    ctx = Ctx(gw, job, FileReference("result/a.png", 3, "t", job), tmp_path, ctx_paths)
    bad = ctx.paths[case.bad.key] if isinstance(case.bad, At) else case.bad

    if case.acall is not None:
        if not hasattr(gwcloud_python, "AsyncGWCloud"):
            pytest.skip("AsyncGWCloud is not available")
        acall = case.acall

        async def run() -> tuple[int, BaseException | None]:
            async with gwcloud_python.AsyncGWCloud(
                SENTINEL_TOKEN, auth_endpoint=AUTH_ENDPOINT, endpoint=ENDPOINT, progress=False
            ) as agw:
                before = len(httpx_mock.get_requests())
                try:
                    await acall(agw, ctx)
                except Exception as err:  # checked below
                    return before, err
                return before, None

        before, raised = asyncio.run(run())
        assert raised is not None, "no error raised"
        error = raised
    else:
        assert case.call is not None
        before = len(httpx_mock.get_requests())
        with pytest.raises(Exception) as info:
            case.call(ctx)
        error = info.value
    assert isinstance(error, case.exc), f"{type(error).__name__}: {error}"
    if case.exc is ValidationError:
        assert isinstance(error, ValueError)
    sent = httpx_mock.get_requests()[before:]
    assert not sent, f"requests were sent: {[str(r.url) for r in sent]}"
    message = str(error)
    wanted = case.expect
    assert (wanted in message) if wanted is not None else _named(bad, message), message
    rel.typed_error(error)
    rel.nothing_lost()
