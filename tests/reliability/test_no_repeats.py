"""Mutations are never repeated blindly: a failure after sending gives OperationOutcomeUnknown.

For every path that changes server state, a fault is injected on that
mutation (HTTP 500, HTTP 502, or the connection dropped after the server ran
it).  The client must raise :class:`OperationOutcomeUnknown` saying the change
may or may not have happened and how to check, and the server must have seen
the mutation exactly once.  The check the message suggests is then made, and
must match what the server really did (nothing for a 5xx from the fault
layer, the change for a dropped answer).
"""

from __future__ import annotations

import itertools
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gwcloud_python import (
    BilbyJob,
    GWCloud,
    GWCloudError,
    OperationOutcomeUnknown,
    TransportError,
)
from gwcloud_python.server import LocalServer

from ._helpers import assert_error_clean, client_secrets, settled

if TYPE_CHECKING:
    from .conftest import Recorder

GROUP = "No blind repeats"
INVARIANT = "mutation seen exactly once; error says it may or may not have run and how to check"
MUTATIONS = {
    "NewBilbyJobFromIniString",
    "UploadSupportingFiles",
    "UploadBilbyJob",
    "UploadExternalBilbyJob",
    "CreateEventId",
    "UpdateEventId",
    "DeleteEventId",
    "UpdateBilbyJob",
}
_serial = itertools.count(1)


def _unique() -> int:
    return next(_serial)


def _event_id(n: int) -> str:
    return f"GW3{n:05d}_{n:06d}"


def _job_dir(root: Path, label: str) -> Path:
    job = root / label
    for sub in ("data", "result", "results_page"):
        (job / sub).mkdir(parents=True)
    (job / f"{label}_config_complete.ini").write_text(f"label = {label}\n")
    (job / "result" / f"{label}_result.json").write_text('{"posterior": []}')
    (job / "results_page" / "home.html").write_text("<html></html>")
    return job


@dataclass
class Attempt:
    """One mutation path, ready to run: ``run()`` sends it, ``happened()`` checks the server."""

    operation: str
    run: Callable[[], object]
    happened: Callable[[], bool] | None


def _user_job_names(gw: GWCloud) -> set[str]:
    return {job.name for job in gw.get_user_jobs(number=100)}


def _event_exists(gw: GWCloud, event_id: str) -> bool:
    try:
        return gw.get_event_id(event_id) is not None  # None: no such event (as in 1.x)
    except GWCloudError:
        return False


def prepare(path: str, gw: GWCloud, tmp_path: Path, owned: BilbyJob) -> Attempt:
    """Set up the server state ``path`` needs and return the attempt."""
    n = _unique()
    name = f"norepeat-{path}-{n}"
    if path == "submit":
        ini = f"label = {name}\ndetectors = ['H1']\n"
        return Attempt(
            "NewBilbyJobFromIniString",
            lambda: gw.start_bilby_job_from_string(name, "no repeats", False, ini),
            lambda: name in _user_job_names(gw),
        )
    if path == "submit-supporting-files":
        (tmp_path / "my.prior").write_text("chirp_mass = Uniform(25, 35)\n")
        ini_file = tmp_path / "run.ini"
        ini_file.write_text(f"label = {name}\nprior-file = my.prior\ndetectors = ['H1']\n")
        return Attempt(
            "UploadSupportingFiles",
            lambda: gw.start_bilby_job_from_file(name, "no repeats", False, ini_file),
            None,
        )
    if path == "upload-archive":
        job_dir = _job_dir(tmp_path / "src", name)
        archive = tmp_path / f"{name}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(job_dir, arcname=".")
        return Attempt(
            "UploadBilbyJob",
            lambda: gw.upload_job_archive("no repeats", archive),
            lambda: name in _user_job_names(gw),
        )
    if path == "upload-directory":
        job_dir = _job_dir(tmp_path, name)
        return Attempt(
            "UploadBilbyJob",
            lambda: gw.upload_job_directory("no repeats", job_dir),
            lambda: name in _user_job_names(gw),
        )
    if path == "upload-external":
        return Attempt(
            "UploadExternalBilbyJob",
            lambda: gw.upload_external_job(
                name, "no repeats", False, f"label = {name}\n", "https://example.org/r/"
            ),
            lambda: name in _user_job_names(gw),
        )
    event = _event_id(n)
    if path == "create-event":
        return Attempt(
            "CreateEventId",
            lambda: gw.create_event_id(event, 1262276684.0 + n),
            lambda: _event_exists(gw, event),
        )
    if path == "update-event":
        gw.create_event_id(event, 1262276684.0 + n, nickname="before")
        return Attempt(
            "UpdateEventId",
            lambda: gw.update_event_id(event, nickname="after"),
            lambda: gw.get_event_id(event).nickname == "after",
        )
    if path == "delete-event":
        gw.create_event_id(event, 1262276684.0 + n)
        return Attempt(
            "DeleteEventId",
            lambda: gw.delete_event_id(event),
            lambda: not _event_exists(gw, event),
        )
    job = gw.get_job_by_id(owned.job_id)
    if path == "set-name":
        return Attempt(
            "UpdateBilbyJob",
            lambda: job.set_name(name),
            lambda: gw.get_job_by_id(job.job_id).name == name,
        )
    if path == "set-description":
        return Attempt(
            "UpdateBilbyJob",
            lambda: job.set_description(name),
            lambda: gw.get_job_by_id(job.job_id).description == name,
        )
    if path == "set-event-id":
        wanted = "GW150914_095045" if n % 2 else "GW170817_124104"
        return Attempt(
            "UpdateBilbyJob",
            lambda: job.set_event_id(wanted),
            lambda: getattr(gw.get_job_by_id(job.job_id).event_id, "event_id", None) == wanted,
        )
    raise AssertionError(path)


USERS = {"create-event": "admin", "update-event": "admin", "delete-event": "admin"}
PATHS = [
    "submit",
    "submit-supporting-files",
    "upload-archive",
    "upload-directory",
    "upload-external",
    "create-event",
    "update-event",
    "delete-event",
    "set-name",
    "set-description",
    "set-event-id",
]
FAULTS: dict[str, dict[str, Any]] = {
    "http-500": {"kind": "status", "status": 500},
    "http-502": {"kind": "status", "status": 502},
    "dropped-answer": {"kind": "drop", "after_bytes": 0},
}
#: Each path meets one 5xx (500 and 502 alternate down the list) and a dropped answer.
MATRIX = [
    (path, "http-500" if index % 2 == 0 else "http-502") for index, path in enumerate(PATHS)
] + [(path, "dropped-answer") for path in PATHS]


@pytest.fixture(scope="module")
def owned_job(server: LocalServer, demo: dict[str, Any], shared_http: Any) -> BilbyJob:
    """A job of the demo user that these tests may rename and re-describe."""
    gw = GWCloud(
        demo["users"]["demo"],
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        http_client=shared_http,
        progress=False,
    )
    return gw.upload_external_job(
        "norepeat-owned", "renamed by the tests", True, "label = owned\n", "https://example.org/"
    )


def _quiet_log(server: LocalServer) -> list[str]:
    """Operations seen, once the log has stopped growing (a late repeat would show)."""
    previous: list[dict[str, Any]] | None = None

    def stable(log: list[dict[str, Any]]) -> bool:
        nonlocal previous
        done = previous is not None and len(log) == len(previous) and len(log) > 0
        previous = log
        return done

    return [r["operation"] or r["path"] for r in settled(server, stable)]


def _assert_once(ops: list[str], operation: str) -> None:
    assert ops.count(operation) == 1, ops
    for name in MUTATIONS:
        assert ops.count(name) <= 1, f"{name} repeated: {ops}"


@pytest.mark.parametrize(("path", "fault"), MATRIX, ids=[f"{p}-{f}" for p, f in MATRIX])
def test_mutation_is_never_repeated(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    server: LocalServer,
    owned_job: BilbyJob,
    tmp_path: Path,
    path: str,
    fault: str,
) -> None:
    rel.classify(GROUP, path, INVARIANT)
    gw = connect(USERS.get(path, "demo"))
    attempt = prepare(path, gw, tmp_path, owned_job)
    server.reset_requests()
    rule = dict(FAULTS[fault])
    server.set_fault(rule.pop("kind"), match=attempt.operation, **rule)
    with pytest.raises(OperationOutcomeUnknown) as info:
        attempt.run()
    err = info.value
    message = str(err)
    assert err.operation_name == attempt.operation and attempt.operation in message
    assert "may or may not" in message and "check" in message
    assert "not retried" in message or "not repeated" in message
    _assert_once(_quiet_log(server), attempt.operation)
    assert_error_clean(err, client_secrets(gw))
    if attempt.happened is not None:
        # The check the message asks for tells the truth: a 5xx from the fault layer
        # never reached the resolver; a dropped answer did.
        assert attempt.happened() is (fault == "dropped-answer")
    rel.typed_error(err)
    rel.nothing_lost()


def test_stalled_mutation_is_not_repeated(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    server: LocalServer,
    owned_job: BilbyJob,
    tmp_path: Path,
) -> None:
    rel.classify(GROUP, "create-event", INVARIANT)
    gw = connect("admin", timeout=0.4)
    attempt = prepare("create-event", gw, tmp_path, owned_job)
    server.reset_requests()
    server.set_fault("delay", match=attempt.operation, seconds=1.0)
    with pytest.raises(OperationOutcomeUnknown) as info:
        attempt.run()
    assert "timed out" in str(info.value) and "may or may not" in str(info.value)
    _assert_once(_quiet_log(server), attempt.operation)
    assert_error_clean(info.value, client_secrets(gw))
    rel.typed_error(info.value)
    rel.nothing_lost()


@pytest.mark.parametrize("path", ["set-name", "upload-external"])
def test_malformed_answer_to_mutation_is_not_repeated(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    server: LocalServer,
    owned_job: BilbyJob,
    tmp_path: Path,
    path: str,
) -> None:
    rel.classify(GROUP, path, INVARIANT)
    gw = connect("demo")
    attempt = prepare(path, gw, tmp_path, owned_job)
    server.reset_requests()
    server.set_fault("malformed_json", match=attempt.operation)
    with pytest.raises(OperationOutcomeUnknown) as info:
        attempt.run()
    assert "not valid JSON" in str(info.value) and "may or may not" in str(info.value)
    _assert_once(_quiet_log(server), attempt.operation)
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_rate_limited_mutation_is_not_repeated(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    server: LocalServer,
    owned_job: BilbyJob,
    sleeps: list[float],
    tmp_path: Path,
) -> None:
    """A 429 means the server refused to run it: a plain TransportError, still not resent."""
    rel.classify(GROUP, "create-event", INVARIANT)
    gw = connect("admin")
    attempt = prepare("create-event", gw, tmp_path, owned_job)
    server.reset_requests()
    server.set_fault("status", match=attempt.operation, status=429, retry_after=1)
    with pytest.raises(TransportError) as info:
        attempt.run()
    assert not isinstance(info.value, OperationOutcomeUnknown)
    assert info.value.status_code == 429 and sleeps == []
    _assert_once(_quiet_log(server), attempt.operation)
    assert attempt.happened is not None and attempt.happened() is False
    rel.typed_error(info.value)
    rel.nothing_lost()


def test_supporting_file_failure_names_the_created_job(
    rel: Recorder,
    connect: Callable[..., GWCloud],
    server: LocalServer,
    owned_job: BilbyJob,
    tmp_path: Path,
) -> None:
    rel.classify(GROUP, "submit-supporting-files", INVARIANT)
    gw = connect("demo")
    attempt = prepare("submit-supporting-files", gw, tmp_path, owned_job)
    server.set_fault("status", match=attempt.operation, status=502)
    with pytest.raises(OperationOutcomeUnknown) as info:
        attempt.run()
    prefix = "norepeat-submit-supporting-files-"
    newest = next(job for job in gw.get_user_jobs(number=100) if job.name.startswith(prefix))
    rel.typed_error(info.value)
    rel.nothing_lost()
    assert newest.job_id in str(info.value) or getattr(info.value, "job_id", None) == newest.job_id
