"""A 1.x script runs unchanged on the 2023 server, and with only its constructor changed on 2026."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gwcloud_python.server import LocalServer

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "script_1x.py"
CONSTRUCTOR_1X = (
    "gw = GWCloud(token=TOKEN, auth_endpoint=AUTH_ENDPOINT, endpoint=ENDPOINT)  # CONSTRUCTOR"
)
CONSTRUCTOR_2026 = "gw = GWCloud(token=TOKEN, endpoint=ENDPOINT)  # CONSTRUCTOR"


def test_1x_script(server: LocalServer, demo: dict[str, Any], tmp_path: Path) -> None:
    source = SCRIPT.read_text()
    assert CONSTRUCTOR_1X in source
    if server.service == "2026":
        source = source.replace(CONSTRUCTOR_1X, CONSTRUCTOR_2026)
        auth = "unused"
    else:
        auth = server.auth_endpoint
    script = tmp_path / "script.py"
    script.write_text(source)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, str(script), demo["users"]["demo"], auth, server.endpoint, str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "public jobs: ['GW150914', 'GW150914-uploaded']" in result.stdout
    assert "status: Completed" in result.stdout
    assert "event: GW150914_095045 GW150914 1126259462.391" in result.stdout
    assert "result/GW150914_corner.png" in result.stdout
    assert demo["users"]["demo"] not in result.stdout + result.stderr
