"""The announced 2026 schema (``schema/2026-next``): recorded through the refresh tool.

gwcloud-python 3.0.0's CHANGELOG announces that the service drops ``isLigoEvent`` and
``ligoOnly``. ``make schema-2026-next`` records that schema from ``schema/2026`` with the
tool's ``--drop-field``; these tests pin the option, that the recorded file is what the
tool makes, and that every method has an operation that validates against it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import build_schema, introspection_from_schema

from gwcloud_python.schema_check import LIGO_FLAG_ONLY, LIGO_FLAG_TWINS, check_schema

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "schema_refresh.py"
SCHEMA_2026 = ROOT / "schema" / "2026" / "bilby.graphql"
SESSION_EXTENSION = ROOT / "schema" / "2026" / "session_user.graphql"
NEXT_DIR = ROOT / "schema" / "2026-next"
DROPPED = (
    "EventIDType.isLigoEvent",
    "EventIDMutationInput.isLigoEvent",
    "UpdateEventIDMutationInput.isLigoEvent",
    "GWFlowJob.ligoOnly",
    "GWFlowUpsertInput.ligoOnly",
)


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("schema_refresh_next", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _introspection() -> dict[str, object]:
    return {
        "__schema": introspection_from_schema(build_schema(SCHEMA_2026.read_text()))["__schema"]
    }


def test_drop_fields_removes_fields_and_input_fields(tool: ModuleType) -> None:
    source = _introspection()
    lean = tool.drop_fields(source, ["EventIDType.isLigoEvent", "GWFlowUpsertInput.ligoOnly"])
    sdl = tool.build_sdl(lean)
    schema = build_schema(sdl)
    assert "isLigoEvent" not in schema.type_map["EventIDType"].fields  # type: ignore[attr-defined]
    assert "ligoOnly" not in schema.type_map["GWFlowUpsertInput"].fields  # type: ignore[attr-defined]
    assert "ligoOnly" in schema.type_map["GWFlowJob"].fields  # type: ignore[attr-defined]
    assert tool.build_sdl(source) == SCHEMA_2026.read_text()  # the input is left alone


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("EventIDType", "expected TYPE.FIELD"),
        ("EventIDType.a.b", "expected TYPE.FIELD"),
        ("NoSuchType.isLigoEvent", "no type 'NoSuchType'"),
        ("EventIDType.isLigoEvnt", "type 'EventIDType' has no field 'isLigoEvnt'"),
    ],
)
def test_drop_fields_refuses_what_is_not_there(tool: ModuleType, spec: str, message: str) -> None:
    with pytest.raises(tool.SchemaRefreshError, match=message):
        tool.drop_fields(_introspection(), [spec])


def test_an_sdl_file_is_a_source(tool: ModuleType) -> None:
    assert tool.build_sdl(tool.load_introspection(str(SCHEMA_2026))) == SCHEMA_2026.read_text()


def test_recorded_next_schema_is_what_the_tool_makes(tmp_path: Path) -> None:
    args = [sys.executable, str(TOOL), str(SCHEMA_2026), "--name", "bilby"]
    args += ["--schema-dir", str(tmp_path), "--queries-dir", str(ROOT / "queries" / "bilby")]
    args += ["--baseline", str(SCHEMA_2026)]
    for spec in DROPPED:
        args += ["--drop-field", spec]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    # exit 1: the operations that name the flag no longer validate (by design, see below)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (tmp_path / "bilby.graphql").read_bytes() == (NEXT_DIR / "bilby.graphql").read_bytes()
    report = result.stdout
    assert "Dropped fields (5):" in report and "Breaking changes (5):" in report
    for spec in DROPPED:
        assert f"FIELD_REMOVED: {spec} was removed." in report
    assert "Dangerous changes (0):" in report
    stamp = json.loads((NEXT_DIR / "STAMP.json").read_text())
    assert set(stamp["schemas"]) == {"bilby"}


def test_recorded_stamp_matches(tool: ModuleType) -> None:
    assert tool.check_stamp(NEXT_DIR / "STAMP.json", NEXT_DIR) == []


def test_only_the_flag_operations_fail_and_each_has_a_way_out(tool: ModuleType) -> None:
    schema = build_schema((NEXT_DIR / "bilby.graphql").read_text() + SESSION_EXTENSION.read_text())
    results = []
    for group in ("bilby", "bilby2026"):
        results += tool.validate_operations(schema, ROOT / "queries" / group)
    broken = {r.name for r in results if not r.ok}
    valid = {r.name for r in results if r.ok}
    assert broken == set(LIGO_FLAG_TWINS) | set(LIGO_FLAG_ONLY)
    assert set(LIGO_FLAG_TWINS.values()) <= valid
    for result in results:
        if not result.ok:
            assert all("'isLigoEvent'" in error for error in result.errors), result


def test_schema_check_passes_against_the_next_schema() -> None:
    endpoint = "https://gwcloud.example/graphql"
    sdl = (NEXT_DIR / "bilby.graphql").read_text() + SESSION_EXTENSION.read_text()
    report = check_schema(endpoint, schemas={endpoint: sdl})
    assert report.ok and report.broken == ()
    tolerated = {op.name: op.tolerated for op in report.operations if op.errors}
    assert tolerated["EventId"] == "the client falls back to EventIdNoLigoFlag"
    assert set(tolerated) == set(LIGO_FLAG_TWINS) | set(LIGO_FLAG_ONLY)
    text = report.format()
    assert "0 broken" in text and "some through a fallback" in text
    assert report.as_dict()["ok"] is True


def test_schema_check_still_fails_for_another_missing_field() -> None:
    endpoint = "https://gwcloud.example/graphql"
    sdl = (NEXT_DIR / "bilby.graphql").read_text()
    sdl = sdl.replace("  id: ID!\n  nickname: String\n  triggerId: String\n}", "  id: ID!\n}", 1)
    assert "type EventIDType implements Node" in sdl
    report = check_schema(endpoint, schemas={endpoint: sdl + SESSION_EXTENSION.read_text()})
    assert not report.ok
    assert {"EventId", "EventIdNoLigoFlag"} <= {op.name for op in report.broken}


def test_a_missing_field_to_drop_is_bad_input(tmp_path: Path) -> None:
    args = [sys.executable, str(TOOL), str(SCHEMA_2026), "--name", "bilby", "--dry-run"]
    args += ["--schema-dir", str(tmp_path), "--queries-dir", str(ROOT / "queries" / "bilby")]
    result = subprocess.run(
        [*args, "--drop-field", "EventIDType.isLigoEvnt"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "type 'EventIDType' has no field 'isLigoEvnt'" in result.stderr
    assert not list(tmp_path.iterdir())
