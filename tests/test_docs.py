"""The documentation site builds without a single warning, and autodoc really imported the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    out = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, str(ROOT / "docs"), str(out)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stdout}\n{result.stderr}"
    api = (out / "api.html").read_text(encoding="utf-8")
    # Only autodoc, after importing gwcloud_python, can have put this method on the page.
    assert 'id="gwcloud_python.GWCloud.get_public_job_list"' in api
    assert "get_public_job_list" in api
