"""The public API: 1.x names stay importable, __all__ is complete, one package in the wheel."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

import gwcloud_python
from gwcloud_python.gwcloud import GWCloud

ROOT = Path(__file__).resolve().parents[1]

#: Every name gwcloud-python 1.x exported from the package.
NAMES_1X = {
    "GWCloud",
    "BilbyJob",
    "EventID",
    "FileReference",
    "FileReferenceList",
    "TimeRange",
    "Cluster",
    "JobStatus",
    "__version__",
}
#: Every public method of the 1.x GWCloud class, with its positional parameters and defaults.
METHODS_1X = {
    "__init__": ["token", "auth_endpoint", "endpoint"],
    "create_event_id": ["event_id", "gps_time", "trigger_id", "nickname", "is_ligo_event"],
    "delete_event_id": ["event_id"],
    "get_all_event_ids": [],
    "get_event_id": ["event_id"],
    "get_files_by_reference": ["file_references"],
    "get_job_by_id": ["job_id"],
    "get_official_job_list": ["search"],
    "get_public_job_list": ["search", "time_range", "number"],
    "get_user_jobs": ["number"],
    "save_files_by_reference": ["file_references", "root_path"],
    "start_bilby_job_from_file": ["job_name", "job_description", "private", "ini_file", "cluster"],
    "start_bilby_job_from_string": [
        "job_name",
        "job_description",
        "private",
        "ini_string",
        "cluster",
    ],
    "update_event_id": ["event_id", "gps_time", "trigger_id", "nickname", "is_ligo_event"],
    "upload_external_job": ["job_name", "job_description", "private", "ini_string", "url"],
    "upload_job_archive": ["description", "job_archive", "public"],
    "upload_job_directory": ["description", "job_directory", "public"],
}
DEFAULTS_1X = {
    ("__init__", "token"): "",
    ("__init__", "auth_endpoint"): "https://gwcloud.org.au/auth/graphql",
    ("__init__", "endpoint"): "https://gwcloud.org.au/bilby/graphql",
    ("get_public_job_list", "search"): "",
    ("get_public_job_list", "number"): 100,
    ("get_user_jobs", "number"): 100,
    ("get_official_job_list", "search"): "",
    ("upload_job_archive", "public"): False,
    ("upload_job_directory", "public"): False,
    ("create_event_id", "is_ligo_event"): False,
    ("update_event_id", "is_ligo_event"): None,
}


#: gwcloud-python 3.0.0's GWFlow methods: positional parameters and defaults (keyword-only
#: ones by name).  Ours may add keyword-only parameters after them, nothing else.
METHODS_3X_GWFLOW: dict[str, list[tuple[str, object]]] = {
    "upsert_gwflow_job": [
        ("sname", inspect.Parameter.empty),
        ("*schema_version", None),
        ("*metadata", None),
        ("*libraries", None),
        ("*is_pruned", None),
        ("*event_id", None),
        ("*current_history_id", None),
        ("*current_history_timestamp", None),
        ("*files", None),
    ],
    "upload_gwflow_file": [
        ("gwflow_file_id", inspect.Parameter.empty),
        ("file_path", inspect.Parameter.empty),
    ],
    "get_gwflow_pending_files": [],
    "link_bilby_job_to_gwflow": [
        ("job_id", inspect.Parameter.empty),
        ("sname", inspect.Parameter.empty),
        ("analysis_uid", inspect.Parameter.empty),
    ],
    "get_gwflow_job_list": [("search", ""), ("time_range", "all"), ("include_pruned", False)],
    # 3.0.0's sname is required; ours defaults to None so that job_id= can replace it.
    "get_gwflow_job": [("sname", None)],
    "download_gwflow_file": [
        ("download_token", inspect.Parameter.empty),
        ("output_path", inspect.Parameter.empty),
    ],
}
#: Keyword-only parameters we added to 3.0.0's GWFlow methods (deliberately).
GWFLOW_ADDED_KEYWORDS = {
    "get_gwflow_job": ["job_id"],
    "download_gwflow_file": ["skip_existing"],
}
#: 3.0.0's GWFlow classes, at its import paths.
MODULES_3X_GWFLOW = {
    "gwcloud_python.gwflow_job": "GWFlowJob",
    "gwcloud_python.gwflow_file": "GWFlowFile",
    "gwcloud_python.gwflow_pending_file": "GWFlowPendingFile",
    "gwcloud_python.gwflow_job_upsert_result": "GWFlowJobUpsertResult",
    "gwcloud_python.gwflow_linked_bilby_job": "GWFlowLinkedBilbyJob",
    "gwcloud_python.gwflow_event_id": "GWFlowEventID",
}


@pytest.mark.parametrize("method", sorted(METHODS_3X_GWFLOW))
def test_3x_gwflow_methods_kept(method: str) -> None:
    from gwcloud_python import AsyncGWCloud

    for cls in (GWCloud, AsyncGWCloud):
        params = [p for p in inspect.signature(getattr(cls, method)).parameters.values()]
        spelled = [
            ("*" if p.kind is inspect.Parameter.KEYWORD_ONLY else "") + p.name for p in params[1:]
        ]
        expected = METHODS_3X_GWFLOW[method]
        assert spelled[: len(expected)] == [name for name, _ in expected]
        assert [p.default for p in params[1 : len(expected) + 1]] == [d for _, d in expected]
        added = spelled[len(expected) :]
        assert added == ["*" + name for name in GWFLOW_ADDED_KEYWORDS.get(method, [])]


def test_3x_gwflow_names_importable() -> None:
    import importlib

    from gwcloud_python import GWCloudException
    from gwcloud_python.exceptions import GWCloudError
    from gwcloud_python.exceptions import GWCloudException as FromExceptions

    assert GWCloudException is FromExceptions is GWCloudError
    for module, name in MODULES_3X_GWFLOW.items():
        cls = getattr(importlib.import_module(module), name)
        assert cls.__module__ == module and hasattr(cls, "from_dict")


def test_all_lists_every_1x_name() -> None:
    missing = NAMES_1X - set(gwcloud_python.__all__)
    assert not missing, f"1.x names missing from __all__: {missing}"


def test_every_name_in_all_resolves() -> None:
    for name in gwcloud_python.__all__:
        assert getattr(gwcloud_python, name) is not None
    assert gwcloud_python.GWCloud is GWCloud


@pytest.mark.parametrize("method", sorted(METHODS_1X))
def test_1x_positional_parameters_kept(method: str) -> None:
    signature = inspect.signature(getattr(GWCloud, method))
    positional = [
        p.name
        for p in signature.parameters.values()
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "self"
    ]
    assert positional == METHODS_1X[method]
    for (name, param), default in DEFAULTS_1X.items():
        if name == method:
            assert signature.parameters[param].default == default


def test_new_options_are_keyword_only() -> None:
    params = inspect.signature(GWCloud.__init__).parameters
    for name in ("timeout", "max_retries", "progress", "http_client"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_errors_are_one_tree() -> None:
    from gwcloud_python import exceptions as exc

    for name in exc.__all__:
        assert issubclass(getattr(exc, name), exc.GWCloudError)
    assert issubclass(exc.ValidationError, ValueError)
    assert issubclass(exc.GWCloudAuthenticationError, exc.AuthenticationError)


def test_py_typed_ships() -> None:
    assert (Path(gwcloud_python.__file__).parent / "py.typed").is_file()


def test_wheel_installs_into_fresh_venv(tmp_path: Path) -> None:
    """Build the wheel, install it alone into a new venv and import everything from there."""
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next(dist.glob("gwcloud_python-*.whl"))
    # one top-level package: the generated clients live inside it, in gwcloud_python._generated
    with zipfile.ZipFile(wheel) as archive:
        tops = {n.split("/")[0] for n in archive.namelist() if ".dist-info/" not in n}
    assert tops == {"gwcloud_python"}, tops
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    # Dependencies (httpx, pydantic...) come from the test venv; the package itself must not.
    deps = sysconfig.get_paths()["purelib"]
    code = (
        "import gwcloud_python, sys;"
        "from gwcloud_python._generated import auth, bilby, bilby2026;"
        "from gwcloud_python import GWCloud;"
        "from gwcloud_python.gwcloud import GWCloud as G2;"
        "import importlib.resources as r;"
        "print(gwcloud_python.__file__);print(bilby.__file__);"
        "print(auth.AuthClient.__module__, bilby.BilbyClient.__module__,"
        " bilby.AsyncBilbyClient.__module__, bilby2026.Bilby2026Client.__module__,"
        " bilby2026.AsyncBilby2026Client.__module__);"
        "print((r.files('gwcloud_python') / '_schema' / 'bilby.graphql').is_file())"
    )
    out = subprocess.run(
        [str(python), "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": deps},
        cwd=tmp_path,
    ).stdout.split()
    assert all(line.startswith(str(env_dir)) for line in out[:2]), out
    package_dir = str(Path(out[0]).parent)
    assert out[1].startswith(os.path.join(package_dir, "_generated", "")), out
    assert out[2:7] == [
        "gwcloud_python._generated.auth.client",
        "gwcloud_python._generated.bilby.client",
        "gwcloud_python._generated.bilby.async_client",
        "gwcloud_python._generated.bilby2026.client",
        "gwcloud_python._generated.bilby2026.async_client",
    ], out
    assert out[7] == "True"
