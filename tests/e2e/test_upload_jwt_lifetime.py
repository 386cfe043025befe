"""An upload that outlasts the JWT's lifetime succeeds, and its body is sent once.

The 2023 service checks a JWT only after the whole request body has arrived, so a JWT
sent with a long upload may expire during the transfer.  Uploads therefore carry no
JWT (their upload token is in the mutation's input, as in gwcloud-python 1.x) and are
never resent.  The local server here issues JWTs that live 1.5 s and checks them after
reading the body, as the real one does; the upload is held up mid-body for longer than
that by a progress callback.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwcloud_python import GWCloud
from gwcloud_python.server import LocalServer

JWT_LIFETIME = 1.5
#: Incompressible payload, so the archive spans many 64 KiB chunks of the request body.
PAYLOAD = 1024 * 1024


@pytest.fixture(scope="module")
def short_jwt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A 2023-mode local server whose JWTs expire after 1.5 seconds."""
    server = LocalServer(
        tmp_path_factory.mktemp("jwt-lifetime"), schema="2023", jwt_lifetime=JWT_LIFETIME
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _job_directory(root: Path) -> Path:
    job = root / "slowjob"
    for name in ("data", "result", "results_page"):
        (job / name).mkdir(parents=True)
    (job / "slowjob_config_complete.ini").write_text("label = slowjob\n")
    (job / "result" / "slowjob_result.json").write_text('{"posterior": []}')
    (job / "data" / "slowjob_data.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(PAYLOAD))
    return job


def test_directory_upload_outlasting_the_jwt_succeeds_with_one_body(
    short_jwt_server: LocalServer, tmp_path: Path
) -> None:
    server = short_jwt_server
    token = server.add_user("slow-uploader")
    held: list[float] = []

    def hold_up_once(done: int, total: int) -> None:
        # Called from the request body's reader: pause once, in the middle of the body.
        if not held and 0 < done < total:
            held.append(time.monotonic())
            time.sleep(JWT_LIFETIME + 1.0)

    job_dir = _job_directory(tmp_path)
    with GWCloud(
        token,
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
        progress_callback=hold_up_once,
    ) as gw:
        server.reset_requests()
        job = gw.upload_job_directory("held up past the JWT's lifetime", job_dir)
        assert held, "the upload was never held up mid-body"
        assert job.name and job.is_uploaded()

    log = server.requests()
    operations = [entry["operation"] for entry in log]
    uploads = [entry for entry in log if entry["operation"] == "UploadBilbyJob"]
    assert len(uploads) == 1, operations
    assert uploads[0]["status"] == 200
    # The JWT did expire meanwhile: the next authenticated query had to refresh it.
    after = operations[operations.index("UploadBilbyJob") + 1 :]
    assert "RefreshToken" in after or "JwtToken" in after, operations
