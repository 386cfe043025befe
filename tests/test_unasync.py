"""tools/unasync.py: the sync tree is the rewrite of the async one, and a stale copy fails."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_tool", ROOT / "tools" / "unasync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["unasync_tool"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The tool pointed at a scratch copy of the two trees."""
    module = _tool()
    package = tmp_path / "src" / "gwcloud_python"
    shutil.copytree(ROOT / "src" / "gwcloud_python" / "_async", package / "_async")
    shutil.copytree(ROOT / "src" / "gwcloud_python" / "_sync", package / "_sync")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # ruff's settings
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "SOURCE_DIR", package / "_async")
    monkeypatch.setattr(module, "TARGET_DIR", package / "_sync")
    return module


def test_committed_sync_tree_is_up_to_date() -> None:
    assert _tool().main(["--check"]) == 0


def test_rewrite_rules() -> None:
    rewrite = _tool().rewrite
    source = (
        "from ._async.jobs import AsyncJobs\n"
        "async def f(gw: AsyncGWCloud) -> AsyncIterator[int]:\n"
        "    async with x as y:\n"
        "        await async_offload(g)\n"
        "    async for z in w:\n"
        "        await gw.aclose()\n"
        "    import asyncio  # unasync: drop\n"
    )
    assert rewrite(source) == (
        "from ._sync.jobs import Jobs\n"
        "def f(gw: GWCloud) -> Iterator[int]:\n"
        "    with x as y:\n"
        "        offload(g)\n"
        "    for z in w:\n"
        "        gw.close()\n"
    )


def test_hand_edited_sync_file_fails_the_check(
    tool: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tool.TARGET_DIR / "jobs.py"
    target.write_text(target.read_text() + "# a hand edit\n")
    assert tool.main(["--check"]) == 1
    assert "_sync/jobs.py is stale or hand-edited" in capsys.readouterr().err
    assert tool.main([]) == 0 and tool.main(["--check"]) == 0  # regenerating repairs it


def test_sync_file_without_source_fails_the_check(
    tool: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    (tool.TARGET_DIR / "orphan.py").write_text("x = 1\n")
    assert tool.main(["--check"]) == 1
    assert "orphan.py has no async source" in capsys.readouterr().err


def test_every_generated_file_names_its_source() -> None:
    for path in (ROOT / "src" / "gwcloud_python" / "_sync").glob("*.py"):
        source = f"src/gwcloud_python/_async/{path.name}"
        first = path.read_text().splitlines()[0]
        assert first == f"# Generated from {source} by tools/unasync.py: do not edit."
