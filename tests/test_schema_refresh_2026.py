"""The 2026 service through the regeneration path: the report, and operations valid on both."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import build_schema, introspection_from_schema

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "schema_refresh.py"
SCHEMA_2023 = ROOT / "schema" / "bilby.graphql"
SCHEMA_2026 = ROOT / "schema" / "2026" / "bilby.graphql"
SESSION_EXTENSION = ROOT / "schema" / "2026" / "session_user.graphql"


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("schema_refresh_2026", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_refresh_report_on_2026_input(tmp_path: Path) -> None:
    """Feeding the 2026 introspection reports 6 breaking and 3 dangerous changes, none fatal."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "bilby.graphql").write_bytes(SCHEMA_2023.read_bytes())
    introspection = introspection_from_schema(build_schema(SCHEMA_2026.read_text()))
    source = tmp_path / "bilby-2026.json"
    source.write_text(json.dumps({"data": introspection}))
    result = subprocess.run(
        [
            sys.executable,
            str(TOOL),
            str(source),
            "--name",
            "bilby",
            "--schema-dir",
            str(tmp_path / "schema"),
            "--queries-dir",
            str(ROOT / "queries" / "bilby"),
            "--stamp",
            str(tmp_path / "schema" / "STAMP.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert "Breaking changes (6):" in report
    assert "Dangerous changes (3):" in report
    for change in (
        "UserDetails was removed",
        "BilbyJobNode.userId changed type from Int! to Int",
        "BilbyResultFiles.id was removed",
        "BilbyResultFiles no longer implements interface Node",
        "Query.gwclouduser was removed",
        "Query.bilbyJobs arg userId was removed",
    ):
        assert change in report
    assert "25 checked, 0 broken" in report
    assert (tmp_path / "schema" / "bilby.graphql").read_text() == SCHEMA_2026.read_text()


@pytest.mark.parametrize(
    "schema_files",
    [[SCHEMA_2023], [SCHEMA_2026, SESSION_EXTENSION]],
    ids=["2023", "2026"],
)
def test_shared_operations_validate_against_both(schema_files: list[Path]) -> None:
    tool = load_tool()
    schema = build_schema("\n".join(p.read_text() for p in schema_files))
    results = tool.validate_operations(schema, ROOT / "queries" / "bilby")
    assert len(results) == 25
    assert [r.name for r in results if not r.ok] == []


def test_2026_only_operations_validate_only_against_2026() -> None:
    tool = load_tool()
    new = build_schema(SCHEMA_2026.read_text() + "\n" + SESSION_EXTENSION.read_text())
    old = build_schema(SCHEMA_2023.read_text())
    assert all(r.ok for r in tool.validate_operations(new, ROOT / "queries" / "bilby2026"))
    assert not any(r.ok for r in tool.validate_operations(old, ROOT / "queries" / "bilby2026"))
