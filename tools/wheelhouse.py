"""Fill a wheelhouse with the runtime dependencies of gwcloud-python for other Pythons.

Usage::

    python tools/wheelhouse.py DIR [PYTHON_VERSION ...]

``make install`` runs it after installing the project, so that ``tests/test_packaging.py``
can install the freshly built wheel into new virtual environments of other Python versions
(``--no-index --find-links DIR``) without reaching a package index while the tests run.
The requirements are the installed project's own (``importlib.metadata``), without extras,
plus the ``server`` extra's and pytest for ``tools/downstream_tests.py`` (the example
downstream package's tests in a fresh venv); binary wheels only, one download per Python
version (pip skips wheels already in ``DIR``).
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

DISTRIBUTION = "gwcloud-python"


def runtime_requirements() -> list[str]:
    """Return the core (non-extra) requirements of the installed distribution."""
    requires = importlib.metadata.requires(DISTRIBUTION) or []
    return [req for req in requires if "extra ==" not in req.replace('"', "").replace("'", "")]


def downstream_test_requirements() -> list[str]:
    """Return what ``tools/downstream_tests.py`` installs besides the runtime requirements.

    The ``server`` extra's requirements and this environment's pytest, so that a fresh
    venv can run the example downstream package's tests from the wheelhouse alone.
    """
    requires = importlib.metadata.requires(DISTRIBUTION) or []
    extra = [
        req.split(";", 1)[0].strip()
        for req in requires
        if 'extra == "server"' in req.replace("'", '"')
    ]
    return [*extra, f"pytest=={importlib.metadata.version('pytest')}"]


def find_python(version: str) -> str | None:
    """Return an interpreter for ``version`` (e.g. ``"3.10"``) that runs, or None.

    Looks for ``python3.10`` on ``PATH`` (a pyenv shim that refuses to run is skipped),
    then in ``$PYENV_ROOT/versions`` (default ``~/.pyenv``).
    """
    candidates: list[str] = []
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(found)
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p) for p in sorted(root.glob(f"{version}.*/bin/python{version}"))]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == str(
            tuple(int(x) for x in version.split("."))
        ):
            return candidate
    return None


def main(argv: list[str]) -> int:
    """Download the wheels; return pip's exit status (0 when every download succeeded)."""
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    target = Path(argv[0])
    target.mkdir(parents=True, exist_ok=True)
    versions = argv[1:] or [f"{sys.version_info.major}.{sys.version_info.minor}"]
    requirements = runtime_requirements() + downstream_test_requirements()
    for version in versions:
        # pip run for the target interpreter evaluates environment markers (such as
        # anyio's `exceptiongroup; python_version < "3.11"`) for that Python.
        python = find_python(version)
        where = ["--python", python] if python else []
        platform = [] if python else ["--python-version", version]
        command = [
            sys.executable,
            "-m",
            "pip",
            *where,
            "download",
            "--quiet",
            "--only-binary=:all:",
            *platform,
            "--dest",
            str(target),
            *requirements,
        ]
        status = subprocess.run(command, check=False).returncode
        if status != 0:
            print(f"wheelhouse: pip download for Python {version} failed", file=sys.stderr)
            return status
    print(f"wheelhouse: {target} holds wheels for Python {', '.join(versions)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
