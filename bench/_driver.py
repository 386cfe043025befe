"""Run one benchmark case in a fresh interpreter and write its measurements as JSON.

This script is started by ``bench/run.py`` once per case, either with the
project's interpreter (``.venv/bin/python``, the current library) or with the
interpreter of the cached ``bench/.venv-1.15.0`` (gwcloud-python 1.15.0 from
PyPI).  It therefore uses only the standard library and whichever
``gwcloud_python`` the interpreter imports, and it must not import anything
else from ``bench/``.

Usage::

    python bench/_driver.py CASE PARAMS_JSON OUT_JSON

The output file receives ``{"ok": true, "seconds": ..., "peak_rss_kb": ...,
"extra": {...}}`` or ``{"ok": false, "error": "..."}``.  ``seconds`` covers
the measured operation only (not interpreter start-up, imports or login);
``peak_rss_kb`` is the ``VmHWM`` (high-water resident set) of this process,
read from ``/proc/self/status`` after the operation.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


def peak_rss_kb() -> int:
    """Return the peak resident set size of this process.

    Returns
    -------
    int
        ``VmHWM`` in KiB (0 when ``/proc`` is unavailable).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def is_legacy() -> bool:
    """Tell whether the imported ``gwcloud_python`` is the 1.x release from PyPI.

    Returns
    -------
    bool
        True for gwcloud-python 1.x.
    """
    import gwcloud_python

    return str(getattr(gwcloud_python, "__version__", "0")).startswith("1.")


def is_gwflow_reference() -> bool:
    """Tell whether the imported ``gwcloud_python`` is 2.x from PyPI, the GWFlow reference.

    gwcloud-python 2.1.0 is the newest release on PyPI with the GWFlow methods of
    the real client (3.0.0, unreleased, only removed ``ligo_only``).  Our own
    version is 2.x too; it is told apart by its bulk GWFlow methods.

    Returns
    -------
    bool
        True for gwcloud-python 2.x.
    """
    import gwcloud_python

    version = str(getattr(gwcloud_python, "__version__", "0"))
    return version.startswith("2.") and not hasattr(gwcloud_python.GWCloud, "mirror_gwflow_files")


def patch_gwflow_reference_download(base_url: str) -> None:
    """Send 2.1.0's GWFlow downloads to the local server instead of gwcloud.org.au.

    Its ``download_gwflow_file`` builds the URL from a module constant of
    ``gwcloud_python.gwcloud``; only that constant changes.

    Parameters
    ----------
    base_url : str
        ``http://127.0.0.1:PORT`` of the server (or of the RTT proxy).
    """
    import gwcloud_python.gwcloud as module

    module.GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT = f"{base_url}/file_download/?fileId="


def patch_legacy_download_endpoints(base_url: str) -> list[str]:
    """Point the download hosts of gwcloud-python 1.15.0 at the local server.

    1.15.0 keeps them as module constants that ``utils.file_download`` imports
    by name, so every module attribute holding one of the original URLs is
    replaced (and nothing else).

    Parameters
    ----------
    base_url : str
        ``http://127.0.0.1:PORT`` of the local server.

    Returns
    -------
    list of str
        ``module.attribute`` names that were patched.
    """
    import gwdc_python.settings as gwdc_settings

    import gwcloud_python.settings as gw_settings
    import gwcloud_python.utils.file_download  # noqa: F401  (imports the constants by name)

    normal = f"{base_url}/job/apiv1/file/?fileId="
    uploaded = f"{base_url}/bilby/file_download/?fileId="
    mapping = {
        gwdc_settings.GWDC_FILE_DOWNLOAD_ENDPOINT: normal,
        gw_settings.GWCLOUD_FILE_DOWNLOAD_ENDPOINT: normal,
        gw_settings.GWCLOUD_UPLOADED_JOB_FILE_DOWNLOAD_ENDPOINT: uploaded,
    }
    patched = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in ("gwcloud_python", "gwdc_python"):
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, str) and value in mapping:
                setattr(module, attr, mapping[value])
                patched.append(f"{name}.{attr}")
    return sorted(patched)


def make_client(params: dict[str, Any]) -> Any:
    """Log in with either library version.

    Parameters
    ----------
    params : dict
        ``token``, ``auth_endpoint``, ``endpoint``, ``base_url`` and, for the
        current library, optional ``concurrency``.

    Returns
    -------
    GWCloud
        A logged-in client.
    """
    from gwcloud_python import GWCloud

    if is_gwflow_reference():
        patch_gwflow_reference_download(params["base_url"])
        return GWCloud(params["token"], endpoint=params["endpoint"])
    if is_legacy():
        patch_legacy_download_endpoints(params["base_url"])
        return GWCloud(
            params["token"], auth_endpoint=params["auth_endpoint"], endpoint=params["endpoint"]
        )
    kwargs: dict[str, Any] = {"progress": False}
    if params.get("concurrency"):
        kwargs["download_concurrency"] = int(params["concurrency"])
    if params.get("auth_endpoint"):
        kwargs["auth_endpoint"] = params["auth_endpoint"]
    return GWCloud(params["token"], endpoint=params["endpoint"], **kwargs)


#: CPU seconds of this process during the last :func:`timed` call.
LAST_CPU: list[float] = [0.0]

#: Wall-clock (``time.time()``) start and end of the last :func:`timed` call.
LAST_WINDOW: list[float] = [0.0, 0.0]

#: ``base_url`` of the server (or proxy) the markers go to; empty: no markers.
MARK_URL: list[str] = [""]


def mark(name: str) -> None:
    """Send ``GET /_bench/<name>`` so the server's request log shows where a timed call starts.

    The runner counts the requests logged between the ``timed-start`` and
    ``timed-end`` markers.  The answer (a 404) is ignored; the standard library
    is used so that both library versions send the same request.
    """
    if not MARK_URL[0].startswith("http://127.0.0.1:"):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{MARK_URL[0]}/_bench/{name}", timeout=30):  # noqa: S310
            pass
    except (urllib.error.URLError, OSError):
        pass


def timed(operation: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``operation`` and return its wall time and result (its CPU time goes to LAST_CPU).

    Parameters
    ----------
    operation : callable
        No-argument function.

    Returns
    -------
    tuple of (float, object)
        Seconds and the result.
    """
    mark("timed-start")
    cpu = time.process_time()
    LAST_WINDOW[0] = time.time()
    start = time.perf_counter()
    result = operation()
    seconds = time.perf_counter() - start
    LAST_WINDOW[1] = time.time()
    LAST_CPU[0] = time.process_time() - cpu
    mark("timed-end")
    return seconds, result


def case_idle(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Import the library and log in, nothing else (the RSS baseline of the memory case).

    The current library imports its HTTP and model stack lazily, so a bare
    ``import gwcloud_python`` would understate the baseline; logging in loads it.
    """
    import gwcloud_python

    make_client(params)
    return 0.0, {"version": str(getattr(gwcloud_python, "__version__", "?"))}


def case_save(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Save every file of one job to ``params["dest"]``."""
    gw = make_client(params)
    refs = gw.get_job_by_id(params["job_id"]).get_full_file_list()
    seconds, _ = timed(lambda: gw.save_files_by_reference(refs, params["dest"]))
    dest = Path(params["dest"])
    files = [p for p in dest.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    return seconds, {"files": len(files), "bytes": size}


def case_fetch(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Fetch every file of one job into memory."""
    gw = make_client(params)
    refs = gw.get_job_by_id(params["job_id"]).get_full_file_list()
    seconds, result = timed(lambda: gw.get_files_by_reference(refs))
    return seconds, {"files": len(result), "bytes": sum(len(data) for _, data in result)}


def case_list(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """One ``get_public_job_list`` call."""
    gw = make_client(params)
    number = int(params["number"])
    seconds, jobs = timed(lambda: gw.get_public_job_list(params.get("search", ""), "all", number))
    return seconds, {"jobs": len(jobs)}


def case_walk(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Walk every public job page by page (current library only)."""
    gw = make_client(params)
    page_size = int(params["page_size"])
    seconds, count = timed(
        lambda: sum(1 for _ in gw.iter_public_jobs(params.get("search", ""), page_size=page_size))
    )
    return seconds, {"jobs": count, "pages": -(-count // page_size)}


def case_upload(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Upload a job directory."""
    gw = make_client(params)
    seconds, job = timed(
        lambda: gw.upload_job_directory("benchmark upload", params["directory"], False)
    )
    return seconds, {"job": repr(job)[:120]}


def case_baseline_httpx(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Loopback limit: plain concurrent httpx streaming of the same URLs, saved as they come.

    The download IDs are generated with one ``generateFileDownloadIds``
    mutation through the current library's internals, inside the timed region,
    so the baseline does the same network work as ``save_files_by_reference``.
    With ``params["dest"]`` each body is written to ``dest/<listed path>`` with a
    plain ``open(..., "wb")`` (what a 30-line user loop does: no temporary name,
    no checks); without it the bodies are discarded.
    """
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    gw = make_client(params)
    refs = gw.get_job_by_id(params["job_id"]).get_full_file_list()
    concurrency = int(params["concurrency"])
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    client = httpx.Client(limits=limits, timeout=60)

    dest = Path(params["dest"]) if params.get("dest") else None

    def drain(url: str, path: str) -> int:
        total = 0
        with client.stream("GET", url) as response:
            response.raise_for_status()
            if dest is None:
                for chunk in response.iter_raw():
                    total += len(chunk)
                return total
            with open(dest / path, "wb") as handle:
                for chunk in response.iter_raw():
                    total += len(chunk)
                    handle.write(chunk)
        return total

    def run() -> tuple[float, int]:
        ids_start = time.perf_counter()
        items = _download_items(gw, refs)
        ids_seconds = time.perf_counter() - ids_start
        if dest is not None:
            for folder in {(dest / item.path).parent for item in items}:
                folder.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(concurrency) as pool:
            received = sum(pool.map(drain, [i.url for i in items], [i.path for i in items]))
        return ids_seconds, received

    seconds, (ids_seconds, received) = timed(run)
    client.close()
    return seconds, {
        "bytes": received,
        "id_mutation_seconds": ids_seconds,
        "streaming_seconds": seconds - ids_seconds,
        "concurrency": concurrency,
    }


def _download_items(gw: Any, refs: Any) -> list[Any]:
    """The download URLs the library would fetch, from the same ID requests it makes."""
    plan = gw._download_plan(refs)
    found = dict(entry for batch in plan.requests for entry in gw._request_ids(plan, batch))
    return [found[index] for index in sorted(found)]


def case_urls(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Write fresh download URLs to ``params["out"]`` (for curl).

    The files are every file of ``job_id``, or the default files of each of
    ``job_ids`` when that is given; the API calls are the ones our library makes.
    """
    from gwcloud_python import FileReferenceList

    gw = make_client(params)
    if params.get("job_ids"):
        jobs = [gw.get_job_by_id(job_id) for job_id in params["job_ids"]]
        refs = FileReferenceList(ref for job in jobs for ref in job.get_default_file_list())
    else:
        refs = gw.get_job_by_id(params["job_id"]).get_full_file_list()
    urls = [item.url for item in _download_items(gw, refs)]
    Path(params["out"]).write_text("\n".join(urls))
    return 0.0, {"urls": len(urls)}


def case_default_loop(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Default files of many jobs, as a 1.x user writes it: ``job.save_default_files`` in a loop.

    The jobs are fetched before the clock starts; the loop lists each job's
    files, asks for their download IDs and saves them.
    """
    gw = make_client(params)
    jobs = [gw.get_job_by_id(job_id) for job_id in params["job_ids"]]
    dest = params["dest"]

    def run() -> None:
        for job in jobs:
            job.save_default_files(dest)

    seconds, _ = timed(run)
    return seconds, _tree_stats(Path(dest))


def case_default_bulk(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Default files of many jobs in one call (current library only).

    ``params["bulk"]`` names a ``GWCloud`` method taking ``(jobs, dest)``; when
    it is absent or the library has no such method, the default file lists
    are joined and saved with one ``save_files_by_reference`` call.
    """
    from gwcloud_python import FileReferenceList

    gw = make_client(params)
    jobs = [gw.get_job_by_id(job_id) for job_id in params["job_ids"]]
    dest = params["dest"]
    bulk = getattr(gw, str(params.get("bulk") or ""), None)

    def run() -> str:
        if bulk is not None:
            bulk(jobs, dest)
            return str(params["bulk"])
        refs = FileReferenceList(ref for job in jobs for ref in job.get_default_file_list())
        gw.save_files_by_reference(refs, dest)
        return "save_files_by_reference"

    seconds, used = timed(run)
    return seconds, {**_tree_stats(Path(dest)), "call": used}


def case_get_jobs(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """``get_job_by_id`` for each of ``job_ids``, one after the other."""
    gw = make_client(params)
    ids = params["job_ids"]
    seconds, jobs = timed(lambda: [gw.get_job_by_id(job_id) for job_id in ids])
    return seconds, {"jobs": len(jobs)}


def _gwflow_local(root: Path, record: Any) -> Path:
    """Where the bench tree keeps a pending file: ``root/<sname>/<analysis uid>/<path>``."""
    return root / record.sname / (record.analysis_uid or "") / record.path.lstrip("/")


def _expect(params: dict[str, Any], count: int) -> None:
    """Fail the run when it moved another number of files than the case set up."""
    wanted = params.get("expect")
    if wanted is not None and count != int(wanted):
        raise RuntimeError(f"moved {count} files, expected {wanted}")


def case_gwflow_mirror(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Upload every pending GWFlow file from ``params["root"]`` (the ingest's mirror phase).

    The reference client (2.1.0) runs the loop the ingest tooling writes: one
    ``get_gwflow_pending_files`` call, then ``upload_gwflow_file`` per file, in order.
    Ours makes one ``mirror_gwflow_files`` call over the same tree.
    """
    gw = make_client(params)
    root = Path(params["root"])
    if is_gwflow_reference():

        def loop() -> int:
            records = gw.get_gwflow_pending_files()
            for record in records:
                gw.upload_gwflow_file(record.id, _gwflow_local(root, record))
            return len(records)

        seconds, count = timed(loop)
        _expect(params, count)
        return seconds, {"files": count}
    seconds, summary = timed(lambda: gw.mirror_gwflow_files(root))
    _expect(params, len(summary.uploaded))
    return seconds, {"files": len(summary.uploaded), "skipped": len(summary.skipped)}


def case_gwflow_save(params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Save every file of one GWFlow job under ``params["dest"]``.

    The reference client (2.1.0) fetches the job by sname and calls
    ``download_gwflow_file`` per file; ours makes one ``save_gwflow_files`` call.
    """
    gw = make_client(params)
    dest = Path(params["dest"])
    sname = params["sname"]
    if is_gwflow_reference():

        def loop() -> int:
            job = gw.get_gwflow_job(sname)
            for file in job.files:
                target = dest / sname / (file.analysis_uid or "") / file.path.lstrip("/")
                gw.download_gwflow_file(file.download_token, target)
            return len(job.files)

        seconds, _ = timed(loop)
    else:
        seconds, _ = timed(lambda: gw.save_gwflow_files(sname, dest))
    stats = _tree_stats(dest)
    _expect(params, stats["files"])
    return seconds, stats


def _tree_stats(dest: Path) -> dict[str, Any]:
    files = [p for p in dest.rglob("*") if p.is_file()]
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}


CASES: dict[str, Callable[[dict[str, Any]], tuple[float, dict[str, Any]]]] = {
    "idle": case_idle,
    "save": case_save,
    "fetch": case_fetch,
    "list": case_list,
    "walk": case_walk,
    "upload": case_upload,
    "baseline_httpx": case_baseline_httpx,
    "urls": case_urls,
    "default_loop": case_default_loop,
    "default_bulk": case_default_bulk,
    "get_jobs": case_get_jobs,
    "gwflow_mirror": case_gwflow_mirror,
    "gwflow_save": case_gwflow_save,
}


def main(argv: list[str]) -> int:
    """Run the case named on the command line.

    Parameters
    ----------
    argv : list of str
        ``[CASE, PARAMS_JSON, OUT_JSON]``.

    Returns
    -------
    int
        0 on success, 1 when the case raised.
    """
    case, params_json, out = argv
    params = json.loads(params_json)
    MARK_URL[0] = str(params.get("mark_url") or "")
    try:
        seconds, extra = CASES[case](params)
        result: dict[str, Any] = {
            "ok": True,
            "seconds": seconds,
            "peak_rss_kb": peak_rss_kb(),
            "extra": {**extra, "client_cpu_s": LAST_CPU[0], "window": LAST_WINDOW},
        }
        status = 0
    except Exception as err:
        traceback.print_exc()
        result = {
            "ok": False,
            "error": f"{type(err).__name__}: {err}"[:300],
            "peak_rss_kb": peak_rss_kb(),
        }
        status = 1
    Path(out).write_text(json.dumps(result))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
