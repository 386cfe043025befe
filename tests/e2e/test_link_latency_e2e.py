"""A slow download-ID answer on a fast link must not start a distant-link number of transfers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gwcloud_python import _constants as C
from gwcloud_python._client_base import latency_hint
from gwcloud_python._files import Downloader
from gwcloud_python.server import LocalServer


def _downloaders_of(gw: Any) -> list[Downloader]:
    """The downloaders ``gw`` makes from now on (to read their ``peak_workers``)."""
    made: list[Downloader] = []
    original = gw._downloader

    def capture() -> Downloader:
        made.append(original())
        return made[-1]

    gw._downloader = capture
    return made


def test_latency_hint_prefers_the_quickest_known_answer() -> None:
    assert latency_hint(0.5, None) == 0.5
    assert latency_hint(0.5, 0.003) == 0.003
    assert latency_hint(0.01, 0.2) == 0.01


def test_slow_id_request_on_a_fast_link_keeps_fast_link_concurrency(
    server: LocalServer, connect: Any, tmp_path: Path
) -> None:
    job_id = server.seed_scale(1, 40, 64)["first_job_id"]
    gw = connect()
    refs = gw.get_job_by_id(job_id, strict=True).get_full_file_list()
    # The server spends 0.2 s on every ID request (a large batch), but answers other calls at once.
    server.set_fault("delay", match="GenerateFileDownloadIds", times=0, seconds=0.2)
    made = _downloaders_of(gw)
    paths = gw.save_files_by_reference(refs, tmp_path)
    assert len(paths) == 40 and all(p.stat().st_size == 64 for p in paths)
    assert made and 0 < made[0].peak_workers <= C.LOW_LATENCY_CONCURRENCY


def test_first_answers_queued_at_the_server_keep_fast_link_concurrency(
    server: LocalServer, connect: Any, tmp_path: Path
) -> None:
    # The first file answers start late (as when they queue behind the next ID batches
    # on a busy one-core server) while GraphQL answers come at once: the link is fast.
    job_id = server.seed_scale(1, 60, 64)["first_job_id"]
    gw = connect()
    refs = gw.get_job_by_id(job_id, strict=True).get_full_file_list()
    server.set_fault("delay", match="/job/apiv1/file/", times=8, seconds=0.1)
    made = _downloaders_of(gw)
    try:
        paths = gw.save_files_by_reference(refs, tmp_path)
    finally:
        server.clear_faults()
    assert len(paths) == 60 and all(p.stat().st_size == 64 for p in paths)
    assert made and 0 < made[0].peak_workers <= C.LOW_LATENCY_CONCURRENCY
