"""Run the example downstream package's tests as a user of the released package would.

Usage::

    python tools/downstream_tests.py [--wheelhouse DIR] [--python VERSION]

``make downstream-tests`` (part of ``make test``) runs it.  It builds gwcloud-python's
wheel and the wheel of ``examples/downstream_tests`` (``python -m build --no-isolation``,
with this environment's hatchling), creates a fresh virtual environment of another
Python, installs into it the wheel with its ``server`` extra, pytest and the example
package, from those two wheels and the wheelhouse only (``--no-index``: ``make install``
filled the wheelhouse, see ``tools/wheelhouse.py``), and runs the example's tests from a
copy that holds only its tests and its ``pyproject.toml``, once per schema.  They use
nothing but the ``gwcloud`` pytest plugin's fixtures, so this shows that the plugin
loads from the installed wheel and that its fixtures work there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "downstream_tests"
sys.path.insert(0, str(ROOT / "tools"))

from wheelhouse import find_python  # noqa: E402

#: Interpreters tried for the fresh venv, first found wins (the wheelhouse's Pythons).
PYTHONS = ("3.13", "3.10")
_BUILD = (sys.executable, "-m", "build", "--no-isolation", "--wheel")
_PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")


def _run(
    command: list[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = False,
) -> None:
    """Run a command; exit naming it when it fails (with its output, when ``quiet``)."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=quiet, text=True, check=False)
    if done.returncode != 0:
        if quiet:
            print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"downstream-tests: failed ({done.returncode}): {' '.join(command)}")


def _build(source: Path, out: Path) -> Path:
    """Build one wheel offline and return it."""
    before = set(out.glob("*.whl"))
    _run(
        [*_BUILD, "--outdir", str(out), str(source)],
        quiet=True,
    )
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


def main(argv: list[str] | None = None) -> int:
    """Build, install and test; return 0 when the example's tests pass.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheelhouse", type=Path, default=ROOT / ".venv" / "wheelhouse")
    parser.add_argument("--python", help=f"Python version of the venv (first of {PYTHONS})")
    args = parser.parse_args(argv)
    versions = [args.python] if args.python else list(PYTHONS)
    found = [(v, p) for v, p in ((v, find_python(v)) for v in versions) if p]
    if not found:
        print(f"downstream-tests: no Python {' or '.join(versions)} found", file=sys.stderr)
        return 1
    version, python = found[0]
    if not args.wheelhouse.is_dir():
        print(f"downstream-tests: {args.wheelhouse} is missing: run `make install`")
        return 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="gwcloud-downstream-") as scratch:
        work = Path(scratch)
        dist = work / "dist"
        dist.mkdir()
        ours = _build(ROOT, dist)
        example = _build(EXAMPLE, dist)
        venv = work / "venv"
        _run([python, "-m", "venv", "--without-pip", str(venv)])
        target = venv / "bin" / "python"
        install = [sys.executable, "-m", "pip", "--python", str(target), "install", "--quiet"]
        sources = ["--no-index", "--find-links", str(args.wheelhouse), "--find-links", str(dist)]
        _run([*install, *sources, f"{ours}[server]", "pytest", str(example)])
        # the tests and the pytest settings only: the package comes from the venv
        project = work / "project"
        shutil.copytree(EXAMPLE / "tests", project / "tests")
        shutil.copy2(EXAMPLE / "pyproject.toml", project / "pyproject.toml")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
        for schema in ("2026", "2023"):
            _run(
                [str(target), *_PYTEST, "--gwcloud-schema", schema],
                cwd=project,
                env=env,
            )
    seconds = time.perf_counter() - started
    print(f"downstream-tests: passed on Python {version} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
