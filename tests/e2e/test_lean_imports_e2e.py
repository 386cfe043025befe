"""A script that only lists and downloads loads none of the 2026-only operations, nor tqdm.

Fewer modules mean fewer objects for the garbage collector to walk (the listing
benchmark's gap to gwcloud-python 1.15.0 was a full collection of them inside the
call); the promise is in ``AsyncJobs._bilby2026`` and ``_progress_io``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests_e2e_support import endpoints

from gwcloud_python.server import LocalServer

SCRIPT = """
import json, sys
from gwcloud_python import GWCloud
options = json.loads(sys.argv[1])
with GWCloud(progress=False, **options) as gw:
    jobs = gw.get_public_job_list(number=5)
    files = jobs[0].get_full_file_list()
    loaded = sorted(m for m in sys.modules if m.startswith(("tqdm", "gwcloud_python._generated")))
print(json.dumps({"jobs": len(jobs), "files": len(files), "loaded": loaded}))
"""


def _run(options: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(options)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_listing_script_loads_only_what_it_uses(server: LocalServer, demo: dict[str, Any]) -> None:
    anonymous = _run(endpoints(server))
    user = _run({"token": next(iter(demo["users"].values())), **endpoints(server)})
    for result in (anonymous, user):
        assert result["jobs"] >= 1 and result["files"] >= 1
        assert not any(m.startswith("tqdm") for m in result["loaded"]), result["loaded"]
        assert "gwcloud_python._generated.bilby" in result["loaded"]
    bilby2026 = "gwcloud_python._generated.bilby2026"
    assert bilby2026 not in anonymous["loaded"]
    # a 2026 token is checked through the 2026-only sessionUser query
    assert (bilby2026 in user["loaded"]) is (server.service != "2023")
