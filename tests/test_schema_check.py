"""Schema drift: ``gwcloud schema-check`` and the refresh script, against live schemas.

The end-to-end tests start the local server (over a real socket) in both schema modes,
first with the recorded schemas (nothing breaks), then with a schema directory whose
``BilbyPublicJobNode`` lost its ``description`` field (``GWCLOUD_SERVER_SCHEMA_DIR``):
both ``gwcloud schema-check`` and ``tools/schema_refresh.py`` (what the weekly
``schema-drift`` workflow runs through ``make schema``) must report the change.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import build_schema, parse
from graphql.language import OperationDefinitionNode

from gwcloud_python.cli import main as gwcloud_main
from gwcloud_python.schema_check import (
    OPERATION_METHODS,
    SchemaCheckError,
    check_schema,
    fetch_schema,
    queries_dir,
)
from gwcloud_python.server import LocalServer
from gwcloud_python.server.schema_files import SCHEMA_DIR_ENV

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema"
SERVICES = ("2023", "2026")

BILBY = "https://gwcloud.example/bilby/graphql"
AUTH = "https://gwcloud.example/auth/graphql"
ONE = "https://gwcloud.example/graphql"


def _sdl(*parts: str) -> str:
    return "\n".join((SCHEMA / part).read_text(encoding="utf-8") for part in parts)


SDL_2023 = {BILBY: _sdl("bilby.graphql"), AUTH: _sdl("auth.graphql")}
SDL_2026 = {ONE: _sdl("2026/bilby.graphql", "2026/session_user.graphql")}


def _drop_public_description(sdl: str) -> str:
    """The SDL with ``BilbyPublicJobNode.description`` removed (exactly one line)."""
    block = re.search(r"type BilbyPublicJobNode \{.*?\n\}", sdl, flags=re.S)
    assert block is not None
    edited = block.group(0).replace("\n  description: String", "", 1)
    assert edited != block.group(0)
    return sdl.replace(block.group(0), edited)


def _shipped_operations() -> set[str]:
    names: set[str] = set()
    for path in queries_dir().rglob("*.graphql"):
        for definition in parse(path.read_text(encoding="utf-8")).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                names.add(definition.name.value)
    return names


# --------------------------------------------------------------------------- offline


def test_every_shipped_operation_names_its_methods() -> None:
    shipped = _shipped_operations()
    assert len(shipped) >= 18
    assert set(OPERATION_METHODS) == shipped
    assert all(OPERATION_METHODS[name] for name in shipped)


@pytest.mark.parametrize(("endpoint", "schemas"), [(BILBY, SDL_2023), (ONE, SDL_2026)])
def test_recorded_schemas_validate_every_operation(endpoint: str, schemas: dict[str, str]) -> None:
    kwargs = {"auth_endpoint": AUTH} if endpoint == BILBY else {}
    report = check_schema(endpoint, schemas=schemas, **kwargs)
    assert report.ok, report.format()
    assert report.endpoints == tuple(schemas)
    groups = {op.file.split("/")[0] for op in report.operations}
    assert groups == ({"bilby", "auth"} if endpoint == BILBY else {"bilby", "bilby2026"})
    assert "0 broken" in report.format()


def test_dropped_field_names_the_broken_methods() -> None:
    schemas = {**SDL_2023, BILBY: _drop_public_description(SDL_2023[BILBY])}
    report = check_schema(BILBY, auth_endpoint=AUTH, schemas=schemas)
    assert not report.ok
    # the twin without the LIGO flag selects the same description
    assert [op.name for op in report.broken] == ["PublicBilbyJobs", "PublicBilbyJobsNoLigoFlag"]
    assert (
        "Cannot query field 'description' on type 'BilbyPublicJobNode'"
        in (report.broken[0].errors[0])
    )
    assert set(report.broken_methods()) == {
        "GWCloud.get_public_job_list",
        "GWCloud.iter_public_jobs",
        "GWCloud.get_official_job_list",
    }
    text = report.format()
    assert "GWCloud.get_official_job_list: PublicBilbyJobs, PublicBilbyJobsNoLigoFlag" in text
    assert "2 broken" in text
    data = report.as_dict()
    assert data["ok"] is False
    assert data["broken_methods"]["GWCloud.iter_public_jobs"] == [
        "PublicBilbyJobs",
        "PublicBilbyJobsNoLigoFlag",
    ]
    json.dumps(data)  # JSON-ready


def test_2023_schema_lacks_the_2026_operations() -> None:
    """Pointing a 2026 client at a 2023-shaped schema breaks the 2026-only operations."""
    report = check_schema(ONE, schemas={ONE: SDL_2023[BILBY]})
    gwflow = {
        "UpsertGwflowJob",
        "UploadGwflowFile",
        "GwflowPendingFiles",
        "LinkBilbyJobToGwflow",
        "GwflowJobs",
        "GwflowJob",
        "GwflowJobBySname",
    }
    assert {op.name for op in report.broken} == {"SessionUser", "UploadHdf5BilbyJob", *gwflow}
    broken = report.broken_methods()
    assert "GWCloud.upload_hdf5_job" in broken
    assert {"GWCloud.mirror_gwflow_files", "GWCloud.get_gwflow_job_list"} <= set(broken)
    assert broken["GWCloud.mirror_gwflow_files"] == ["GwflowPendingFiles", "UploadGwflowFile"]


def test_refused_introspection_is_a_clear_error(httpx_mock: object) -> None:
    add = httpx_mock.add_response  # type: ignore[attr-defined]
    add(url=ONE, json={"errors": [{"message": "introspection is disabled"}]})
    with pytest.raises(SchemaCheckError, match="refused the introspection query"):
        fetch_schema(ONE)


# --------------------------------------------------------------------------- local server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LocalServer]]:
    """One local server per schema mode, serving the recorded schemas."""
    started: dict[str, LocalServer] = {}
    try:
        for service in SERVICES:
            srv = LocalServer(tmp_path_factory.mktemp(f"schema-check-{service}"), schema=service)
            started[service] = srv.start()
        yield started
    finally:
        for srv in started.values():
            srv.stop()


@pytest.fixture(scope="module")
def drifted(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, LocalServer]]:
    """Local servers (both modes) whose schema dropped ``BilbyPublicJobNode.description``."""
    schema_dir = tmp_path_factory.mktemp("drifted-schema") / "schema"
    shutil.copytree(SCHEMA, schema_dir)
    for name in ("bilby.graphql", "2026/bilby.graphql"):
        path = schema_dir / name
        path.write_text(_drop_public_description(path.read_text(encoding="utf-8")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SCHEMA_DIR_ENV, str(schema_dir))
        started: dict[str, LocalServer] = {}
        try:
            for service in SERVICES:
                srv = LocalServer(tmp_path_factory.mktemp(f"drift-{service}"), schema=service)
                started[service] = srv.start()
            yield started
        finally:
            for srv in started.values():
                srv.stop()


def _cli_args(server: LocalServer) -> list[str]:
    args = ["schema-check", "--endpoint", server.endpoint]
    if server.schema == "2023":
        args += ["--auth-endpoint", server.auth_endpoint]
    return args


@pytest.mark.e2e
@pytest.mark.parametrize("service", SERVICES)
def test_cli_passes_against_the_local_server(
    servers: dict[str, LocalServer], service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = servers[service]
    assert gwcloud_main(_cli_args(server)) == 0
    out = capsys.readouterr().out
    assert f"({service} service)" in out
    assert "0 broken" in out
    assert server.endpoint in out


@pytest.mark.e2e
@pytest.mark.parametrize("service", SERVICES)
def test_cli_detects_a_changed_schema(
    drifted: dict[str, LocalServer], service: str, capsys: pytest.CaptureFixture[str]
) -> None:
    server = drifted[service]
    assert gwcloud_main(_cli_args(server)) == 1
    captured = capsys.readouterr()
    assert "2 broken" in captured.out  # PublicBilbyJobs and its twin without the LIGO flag
    assert "GWCloud.get_public_job_list: PublicBilbyJobs" in captured.out
    assert "Cannot query field 'description' on type 'BilbyPublicJobNode'" in captured.out
    assert "no longer validate" in captured.err


@pytest.mark.e2e
def test_cli_json_report(
    drifted: dict[str, LocalServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert gwcloud_main([*_cli_args(drifted["2026"]), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["service"] == "2026"
    assert data["ok"] is False
    assert [op["name"] for op in data["operations"] if not op["ok"]] == [
        "PublicBilbyJobs",
        "PublicBilbyJobsNoLigoFlag",
    ]


@pytest.mark.e2e
def test_cli_unreachable_endpoint_is_one_error_line(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 9 on loopback (discard) is closed here; nothing leaves the machine.
    status = gwcloud_main(["schema-check", "--endpoint", "http://127.0.0.1:9/graphql"])
    assert status == 1
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err
    assert "Traceback" not in err


# --------------------------------------------------------------------------- the refresh script


def _refresh(
    server: LocalServer, name: str, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run ``make schema`` (what the drift workflow runs) on a copy of schema/.

    ``-o .venv/.installed`` keeps make from (re)installing anything, and ``PY`` is this
    interpreter, so the recipe runs tools/schema_refresh.py exactly as the workflow does.
    """
    schema_dir = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema_dir)
    target = schema_dir if server.schema == "2023" else schema_dir / "2026"
    source = server.endpoint if name == "bilby" else server.auth_endpoint
    command = [
        "make",
        "--no-print-directory",
        "-C",
        str(ROOT),
        "-o",
        ".venv/.installed",
        "schema",
        f"PY={sys.executable}",
        f"NAME={name}",
        f"SOURCE={source}",
        f"SCHEMA_DIR={target}",
        f"QUERIES={ROOT / 'queries' / name}",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return proc, target / f"{name}.graphql"


def _recorded(server: LocalServer, name: str) -> str:
    path = SCHEMA / (f"{name}.graphql" if server.schema == "2023" else f"2026/{name}.graphql")
    return path.read_text(encoding="utf-8")


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("service", "name"), [("2023", "bilby"), ("2023", "auth"), ("2026", "bilby")]
)
def test_refresh_script_against_the_local_server(
    servers: dict[str, LocalServer], service: str, name: str, tmp_path: Path
) -> None:
    """The local server serves the recorded schema: the refresh finds no breaking change."""
    server = servers[service]
    proc, written = _refresh(server, name, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Breaking changes (0):" in proc.stdout
    assert ", 0 broken" in proc.stdout
    recorded = build_schema(_recorded(server, name))
    served = build_schema(written.read_text(encoding="utf-8"))
    for type_name, recorded_type in recorded.type_map.items():
        if type_name.startswith("__"):
            continue
        assert type_name in served.type_map, type_name
        fields = getattr(recorded_type, "fields", None)
        if fields is not None:
            assert set(fields) <= set(served.type_map[type_name].fields), type_name  # type: ignore[attr-defined]


@pytest.mark.e2e
@pytest.mark.parametrize("service", SERVICES)
def test_refresh_script_detects_a_changed_schema(
    drifted: dict[str, LocalServer], service: str, tmp_path: Path
) -> None:
    proc, written = _refresh(drifted[service], "bilby", tmp_path)
    assert proc.returncode != 0, proc.stdout + proc.stderr  # the workflow fails
    assert "FIELD_REMOVED: BilbyPublicJobNode.description was removed." in proc.stdout
    assert "Broken operations (2):" in proc.stdout  # with the twin without the LIGO flag
    assert "public_bilby_jobs.graphql: query PublicBilbyJobs" in proc.stdout
    assert written.read_text(encoding="utf-8") != _recorded(drifted[service], "bilby")


def test_drift_workflow_refreshes_every_public_schema_weekly() -> None:
    """The workflow runs the ``make schema`` target tested above, weekly, per endpoint."""
    workflow = (ROOT / ".github" / "workflows" / "schema-drift.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- cron: \"\d+ \d+ \* \* \d\"", workflow, flags=re.M)
    assert "make --no-print-directory schema" in workflow
    for source in (
        "https://gwcloud.org.au/graphql",
        "https://gwcloud.org.au/bilby/graphql",
        "https://gwcloud.org.au/auth/graphql",
    ):
        assert f"source: {source}\n" in workflow
    assert "peter-evans/create-pull-request" in workflow
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for variable in ("NAME", "SOURCE", "SCHEMA_DIR", "QUERIES"):
        assert f"$({variable})" in makefile
