"""Tests for ``tools/schema_refresh.py``.

The tool is not part of the package, so it is imported from its file. Inputs are made
here from the checked-in ``schema/`` and ``queries/`` (copied into ``tmp_path``), so the
tests need nothing outside the repository and never touch the real schema files.
"""

from __future__ import annotations

import copy
import functools
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from graphql import build_schema, get_introspection_query, introspection_from_schema
from pytest_httpx import HTTPXMock

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "schema_refresh.py"
URL = "https://gwcloud.example/bilby/graphql"


@pytest.fixture(scope="module")
def tool() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("schema_refresh", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``schema/`` and ``queries/`` in ``tmp_path``, made the working directory."""
    for name in ("schema", "queries"):
        dest = tmp_path / name
        dest.mkdir()
        for src in sorted((ROOT / name).rglob("*.graphql")):
            target = dest / src.relative_to(ROOT / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(src.read_bytes())
    monkeypatch.chdir(tmp_path)
    return tmp_path


@functools.cache
def _introspection_json(name: str) -> str:
    sdl = (ROOT / "schema" / f"{name}.graphql").read_text(encoding="utf-8")
    return json.dumps(introspection_from_schema(build_schema(sdl)))


def introspect(name: str) -> dict[str, Any]:
    """The introspection result of a checked-in schema, as a server would return it."""
    result: dict[str, Any] = json.loads(_introspection_json(name))
    return result


def save(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def find_type(intro: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in intro["__schema"]["types"] if t["name"] == name)


def find_field(intro: dict[str, Any], type_name: str, field: str) -> dict[str, Any]:
    return next(f for f in find_type(intro, type_name)["fields"] if f["name"] == field)


def remove_field(intro: dict[str, Any], type_name: str, field: str) -> None:
    fields = find_type(intro, type_name)["fields"]
    fields[:] = [f for f in fields if f["name"] != field]


def refresh(tool: ModuleType, source: str, *extra: str, name: str = "bilby") -> int:
    result: int = tool.main([source, "--name", name, *extra])
    return result


# --------------------------------------------------------------------------- (a)


def test_same_schema_no_changes_all_valid_and_deterministic(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    assert refresh(tool, save(project / "a.json", {"data": intro})) == 0
    out = capsys.readouterr().out
    assert "Schema bilby: schema/bilby.graphql (written)" in out
    assert "Breaking changes (0):" in out
    assert "Dangerous changes (0):" in out
    assert "25 checked, 0 broken" in out
    assert "Broken operations (0):" in out
    assert "Valid operations (25):" in out
    assert "public_bilby_jobs.graphql: query PublicBilbyJobs" in out
    assert "bilby_result_files.graphql: query BilbyResultFiles" in out
    assert "fragments.graphql" not in out  # a fragment-only file has no operations

    first = (project / "schema" / "bilby.graphql").read_bytes()
    assert first.endswith(b"}\n")
    assert first != (ROOT / "schema" / "bilby.graphql").read_bytes()  # now sorted

    # Same schema, bare form, types and fields listed in reverse: same bytes, file untouched.
    shuffled = copy.deepcopy(intro)
    shuffled["__schema"]["types"].reverse()
    for type_ in shuffled["__schema"]["types"]:
        (type_["fields"] or []).reverse()
    assert refresh(tool, save(project / "b.json", shuffled)) == 0
    out = capsys.readouterr().out
    assert "(unchanged)" in out
    assert "Breaking changes (0):" in out
    assert (project / "schema" / "bilby.graphql").read_bytes() == first
    assert tool.build_sdl(shuffled).encode() == first


def test_auth_schema_and_queries_validate(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh(tool, save(project / "auth.json", introspect("auth")), name="auth") == 0
    out = capsys.readouterr().out
    assert "Valid operations (2):" in out
    assert "jwt_token.graphql: query JwtToken" in out
    assert "refresh_token.graphql: mutation RefreshToken" in out


def test_build_sdl_ends_with_one_newline(tool: ModuleType) -> None:
    sdl = tool.build_sdl(introspect("auth"))
    assert sdl.endswith("\n") and not sdl.endswith("\n\n")
    assert sdl.index("type APITokenType") < sdl.index("type Query")


# --------------------------------------------------------------------------- (b)


def test_removed_field_breaks_operation_exit_1_and_still_writes(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    remove_field(intro, "BilbyResultFile", "downloadToken")
    assert refresh(tool, save(project / "b.json", {"data": intro})) == 1
    out = capsys.readouterr().out
    assert "Breaking changes (1):" in out
    assert "FIELD_REMOVED: BilbyResultFile.downloadToken was removed." in out
    assert "Broken operations (1):" in out
    broken, valid = out.split("Valid operations (24):")
    assert "bilby_result_files.graphql: query BilbyResultFiles" in broken
    assert (
        "bilby_result_files.graphql:8:7: Cannot query field 'downloadToken'"
        " on type 'BilbyResultFile'." in broken
    )
    assert "BilbyResultFiles" not in valid
    assert "bilby_job.graphql: query BilbyJob" in valid
    # Written anyway, so the client can be regenerated; the stamp follows the file.
    sdl = (project / "schema" / "bilby.graphql").read_text(encoding="utf-8")
    assert "downloadToken: String" not in sdl
    assert tool.check_stamp(project / "schema" / "STAMP.json", project / "schema") == [
        "schema/auth.graphql: schema has no entry in schema/STAMP.json"
    ]


def test_dry_run_reports_but_writes_nothing(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    remove_field(intro, "BilbyResultFile", "downloadToken")
    before = (project / "schema" / "bilby.graphql").read_bytes()
    assert refresh(tool, save(project / "b.json", intro), "--dry-run") == 1
    out = capsys.readouterr().out
    assert "(dry run, not written)" in out
    assert "FIELD_REMOVED: BilbyResultFile.downloadToken was removed." in out
    assert (project / "schema" / "bilby.graphql").read_bytes() == before
    assert not (project / "schema" / "STAMP.json").exists()


def test_field_removed_from_shared_fragment_is_located_in_fragments_file(
    tool: ModuleType, project: Path
) -> None:
    intro = introspect("bilby")
    remove_field(intro, "JobStatusType", "date")
    schema = build_schema(tool.build_sdl(intro))
    results = tool.validate_operations(schema, project / "queries" / "bilby")
    broken = {r.name: r.errors for r in results if not r.ok}
    # Every operation selecting a job's status goes through JobStatusFields.
    full = {"BilbyJob", "BilbyJobs", "BilbyJobsById", "PublicBilbyJobs"}
    assert set(broken) == full | {f"{name}NoLigoFlag" for name in full}
    [error] = broken["BilbyJob"]
    assert error.startswith(
        "fragments.graphql:4:3: Cannot query field 'date' on type 'JobStatusType'."
    )
    assert {r.name for r in results if r.ok} >= {"BilbyResultFiles", "AllEventIds"}


def test_unparseable_query_file_is_a_broken_operation(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "queries" / "bilby" / "zz_bad.graphql").write_text("query Bad {\n", "utf-8")
    assert refresh(tool, save(project / "a.json", introspect("bilby"))) == 1
    out = capsys.readouterr().out
    assert "zz_bad.graphql: syntax <file>" in out
    assert "zz_bad.graphql:2:1: Syntax Error" in out


# --------------------------------------------------------------------------- (c)


def test_argument_made_required_is_breaking(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    arg = next(
        a for a in find_field(intro, "Query", "publicBilbyJobs")["args"] if a["name"] == "search"
    )
    arg["type"] = {"kind": "NON_NULL", "name": None, "ofType": arg["type"]}
    assert refresh(tool, save(project / "c.json", intro)) == 1
    out = capsys.readouterr().out
    assert "Breaking changes (1):" in out
    assert (
        "ARG_CHANGED_KIND: Query.publicBilbyJobs arg search has changed type"
        " from String to String!." in out
    )
    # The operation declares `$search: String`, which no longer fits `String!`.
    assert "public_bilby_jobs.graphql: query PublicBilbyJobs" in out.split("Valid operations")[0]
    assert "Variable '$search' of type 'String' used in position expecting type 'String!'." in out


# --------------------------------------------------------------------------- (d)


def test_added_type_is_neither_breaking_nor_dangerous(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    extra = copy.deepcopy(find_type(intro, "LabelType"))
    extra["name"] = "SkyMapType"
    intro["__schema"]["types"].append(extra)
    assert refresh(tool, save(project / "d.json", intro)) == 0
    out = capsys.readouterr().out
    assert "Breaking changes (0):" in out
    assert "Dangerous changes (0):" in out
    assert "Broken operations (0):" in out
    assert "type SkyMapType implements Node {" in (project / "schema" / "bilby.graphql").read_text(
        "utf-8"
    )


def test_optional_argument_added_is_dangerous(tool: ModuleType) -> None:
    report = tool.diff_schemas(
        "type Query { jobs(first: Int): [String] }",
        "type Query { jobs(first: Int, user: String): [String] }",
    )
    assert report.breaking == []
    assert [(c.type, c.description) for c in report.dangerous] == [
        ("OPTIONAL_ARG_ADDED", "An optional arg user on Query.jobs was added.")
    ]


# --------------------------------------------------------------------------- (e)


def test_unreachable_url_exit_2_without_traceback(project: Path) -> None:
    url = "http://127.0.0.1:9/graphql"  # the discard port: nothing listens there
    proc = subprocess.run(
        [sys.executable, str(TOOL), url, "--name", "bilby"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"cannot reach {url}" in proc.stderr
    assert "ConnectError" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert (project / "schema" / "bilby.graphql").read_bytes() == (
        ROOT / "schema" / "bilby.graphql"
    ).read_bytes()


# --------------------------------------------------------------------------- (f)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"foo": 1}', "not an introspection result (top-level keys: foo)"),
        ("schema { query: Query }\n", "not valid JSON"),
        ("[1, 2]", "found a JSON list"),
        ('{"data": {"__schema": {"types": 3}}}', "not an introspection result"),
        ('{"errors": [{"message": "boom"}]}', "returned GraphQL errors: boom"),
    ],
)
def test_not_introspection_file_exit_2(
    tool: ModuleType,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    content: str,
    expected: str,
) -> None:
    path = project / "input.json"
    path.write_text(content, encoding="utf-8")
    assert refresh(tool, str(path)) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {path}: ")
    assert expected in captured.err
    assert captured.out == ""


def test_missing_file_exit_2(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refresh(tool, "no/such/file.json") == 2
    assert capsys.readouterr().err == "error: no/such/file.json: no such file\n"


def test_invalid_introspection_schema_exit_2(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = introspect("bilby")
    intro["__schema"]["queryType"] = {"name": "Nope"}
    assert refresh(tool, save(project / "x.json", intro)) == 2
    assert "invalid introspection result" in capsys.readouterr().err


def test_missing_queries_dir_exit_2(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = save(project / "a.json", introspect("bilby"))
    assert refresh(tool, source, "--queries-dir", "queries/nope") == 2
    assert "queries/nope: no such queries directory" in capsys.readouterr().err


# --------------------------------------------------------------------------- (g)


def test_endpoint_is_sent_the_introspection_query(
    tool: ModuleType, project: Path, httpx_mock: HTTPXMock, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_response(url=URL, method="POST", json={"data": introspect("bilby")})
    assert refresh(tool, URL) == 0
    assert "Valid operations (25):" in capsys.readouterr().out
    request = httpx_mock.get_request()
    assert request is not None
    body = json.loads(request.content)
    assert body["query"] == get_introspection_query()
    assert request.headers["content-type"] == "application/json"
    assert request.extensions["timeout"] == {"connect": 30, "read": 30, "write": 30, "pool": 30}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (
            {"json": {"errors": [{"message": "Introspection is disabled"}]}},
            f"{URL}: the introspection query returned GraphQL errors: Introspection is disabled",
        ),
        ({"status_code": 502, "text": "Bad Gateway"}, f"{URL} answered HTTP 502 Bad Gateway"),
        ({"text": "<html>login</html>"}, f"{URL} did not answer with JSON"),
        ({"json": {"data": None}}, f"{URL}: not an introspection result"),
    ],
)
def test_endpoint_errors_exit_2(
    tool: ModuleType,
    project: Path,
    httpx_mock: HTTPXMock,
    capsys: pytest.CaptureFixture[str],
    response: dict[str, Any],
    expected: str,
) -> None:
    httpx_mock.add_response(url=URL, **response)
    assert refresh(tool, URL) == 2
    assert expected in capsys.readouterr().err


def test_endpoint_timeout_exit_2(
    tool: ModuleType, project: Path, httpx_mock: HTTPXMock, capsys: pytest.CaptureFixture[str]
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("timed out"), url=URL)
    assert refresh(tool, URL) == 2
    assert capsys.readouterr().err == f"error: cannot reach {URL}: ReadTimeout: timed out\n"


# --------------------------------------------------------------------------- (h)


def test_stamp_written_then_checked_then_sha_mismatch(tool: ModuleType, project: Path) -> None:
    schema_dir, stamp = project / "schema", project / "schema" / "STAMP.json"
    tool.write_stamp(stamp, schema_dir, ["bilby", "auth"])
    text = stamp.read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert data["generator"] == {"ariadne-codegen": importlib.metadata.version("ariadne-codegen")}
    assert data["schemas"]["bilby"]["path"] == "schema/bilby.graphql"
    assert data == tool.compute_stamp(schema_dir, ["auth", "bilby"])
    assert tool.check_stamp(stamp, schema_dir) == []

    with (schema_dir / "bilby.graphql").open("a", encoding="utf-8") as f:
        f.write("\nscalar Extra\n")
    problems = tool.check_stamp(stamp, schema_dir)
    assert len(problems) == 1
    assert problems[0].startswith("schema/bilby.graphql: sha256 mismatch")


def test_stamp_reports_generator_mismatch_and_unstamped_schema(
    tool: ModuleType, project: Path
) -> None:
    schema_dir, stamp = project / "schema", project / "schema" / "STAMP.json"
    tool.write_stamp(stamp, schema_dir, ["bilby"])
    data = json.loads(stamp.read_text(encoding="utf-8"))
    data["generator"]["ariadne-codegen"] = "0.0.1"
    stamp.write_text(json.dumps(data), encoding="utf-8")
    problems = tool.check_stamp(stamp, schema_dir)
    assert len(problems) == 2
    assert "ariadne-codegen version mismatch" in problems[0]
    assert "'0.0.1'" in problems[0]
    assert problems[1] == "schema/auth.graphql: schema has no entry in schema/STAMP.json"


def test_refresh_changes_only_its_stamp_entry(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stamp = project / "schema" / "STAMP.json"
    auth_entry = {"path": "schema/auth.graphql", "sha256": "0" * 64}
    stamp.write_text(
        json.dumps({"generator": {"ariadne-codegen": "0.0.1"}, "schemas": {"auth": auth_entry}}),
        encoding="utf-8",
    )
    assert refresh(tool, save(project / "a.json", introspect("bilby"))) == 0
    data = json.loads(stamp.read_text(encoding="utf-8"))
    assert data["schemas"]["auth"] == auth_entry
    assert (
        data["schemas"]["bilby"]
        == tool.compute_stamp(project / "schema", ["bilby"])["schemas"]["bilby"]
    )
    assert data["generator"]["ariadne-codegen"] == importlib.metadata.version("ariadne-codegen")


def test_check_stamp_cli(project: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(TOOL), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert run("--check-stamp", "schema/STAMP.json").returncode == 2  # no stamp yet
    assert run("--write-stamp", "schema/STAMP.json").returncode == 0
    ok = run("--check-stamp", "schema/STAMP.json")
    assert (ok.returncode, ok.stdout) == (
        0,
        "schema/STAMP.json: schemas and generator match the stamp\n",
    )
    (project / "schema" / "auth.graphql").write_text("scalar X\n", encoding="utf-8")
    bad = run("--check-stamp", "schema/STAMP.json")
    assert bad.returncode == 1
    assert bad.stdout.startswith("schema/auth.graphql: sha256 mismatch")


def test_unparseable_previous_schema_exit_2(
    tool: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "schema" / "bilby.graphql").write_text("type Query {\n", encoding="utf-8")
    assert refresh(tool, save(project / "a.json", introspect("bilby"))) == 2
    assert "error: schema/bilby.graphql: invalid SDL: Syntax Error" in capsys.readouterr().err
