"""The built artifacts: what the wheel and the sdist hold, and what a user gets from them.

Both artifacts are built once per run (``python -m build --no-isolation``: offline, with
the hatchling of this environment; the wheel is built from the sdist, as pip would). Their
file lists are checked against allow-lists. The wheel is then installed into fresh virtual
environments of Python 3.10 and 3.13, from ``.venv/wheelhouse`` (filled by ``make
install``, so nothing is downloaded here), where a downstream package type-checks under
``mypy --strict`` and ``pyright --strict`` and pyright's verifytypes scores the public API.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(os.environ.get("GWCLOUD_WHEELHOUSE", ROOT / ".venv" / "wheelhouse"))
BIN = Path(sys.executable).parent
#: The generated subpackages, inside the one top-level package (its py.typed covers them).
GENERATED = ("auth", "bilby", "bilby2026")
#: The modules of each generated subpackage that hold its client classes.
GENERATED_CLIENTS = {
    "auth": ("client.py",),
    "bilby": ("client.py", "async_client.py"),
    "bilby2026": ("client.py", "async_client.py"),
}
MIN_COMPLETENESS = 0.98

#: Every file in the wheel matches one of these (``*`` crosses ``/``).
WHEEL_ALLOWED = (
    "gwcloud_python/*.py",  # the generated gwcloud_python/_generated/<schema>/*.py too
    "gwcloud_python/py.typed",
    "gwcloud_python/_schema/*.graphql",
    "gwcloud_python/_queries/*.graphql",
    "gwcloud_python-*.dist-info/METADATA",
    "gwcloud_python-*.dist-info/WHEEL",
    "gwcloud_python-*.dist-info/RECORD",
    "gwcloud_python-*.dist-info/entry_points.txt",
    "gwcloud_python-*.dist-info/licenses/LICENSE",
)
#: ... and these must be there.
WHEEL_REQUIRED = (
    "gwcloud_python/__init__.py",
    "gwcloud_python/py.typed",
    "gwcloud_python/schema_check.py",
    "gwcloud_python/_schema/bilby.graphql",
    "gwcloud_python/_schema/auth.graphql",
    "gwcloud_python/_schema/2026/bilby.graphql",
    "gwcloud_python/_schema/2026/session_user.graphql",
    "gwcloud_python/_schema/2026-next/bilby.graphql",
    "gwcloud_python/_queries/bilby/fragments.graphql",
    "gwcloud_python/_queries/auth/jwt_token.graphql",
    "gwcloud_python/_queries/bilby2026/session_user.graphql",
    "gwcloud_python/_generated/__init__.py",
    *(f"gwcloud_python/_generated/{name}/__init__.py" for name in GENERATED),
    *(
        f"gwcloud_python/_generated/{name}/{module}"
        for name, modules in GENERATED_CLIENTS.items()
        for module in modules
    ),
)
#: Top-level entries of the sdist (under ``gwcloud_python-VERSION/``).
SDIST_TOP = {
    "src",
    "schema",
    "queries",
    "codegen",
    "tools",
    "tests",
    "docs",
    "examples",
    ".ci",
    ".github",
    "Makefile",
    "README.md",
    "LICENSE",
    "pyproject.toml",
    "PKG-INFO",
    ".gitignore",
}
#: What the sdist's own tests and build need.
SDIST_REQUIRED = (
    ".github/workflows/schema-drift.yml",
    "docs/conf.py",
    "docs/index.rst",
    "examples/script_1x.py",
    "examples/demo.py",
    "examples/gwflow_walkthrough.py",
    "examples/downstream/gw_downstream/__init__.py",
    "examples/downstream/pyrightconfig.json",
    "examples/downstream/mypy.ini",
    "tools/schema_refresh.py",
    "tools/hatch_build.py",
    "schema/STAMP.json",
    "codegen/bilby.toml",
    "tests/conftest.py",
)
#: Never in either artifact.
#: Tests of tools that stay in the repository (bench/), left out of the sdist with them.
REPOSITORY_ONLY_TESTS = {"tests/test_bench_proxy.py"}
FORBIDDEN = ("*__pycache__*", "*.pyc", "bench/*", "*/_build/*", ".venv/*", "dist/*")


def _matches(name: str, patterns: tuple[str, ...] | set[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built offline from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return {
        "sdist": next(out.glob("gwcloud_python-*.tar.gz")),
        "wheel": next(out.glob("gwcloud_python-*-py3-none-any.whl")),
    }


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return [n for n in archive.namelist() if not n.endswith("/")]


def _sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        members = [m.name for m in archive.getmembers() if m.isfile()]
    return [name.split("/", 1)[1] for name in members]


# --------------------------------------------------------------------------- file lists


@pytest.mark.slow
def test_wheel_holds_only_allowed_files(dist: dict[str, Path]) -> None:
    names = _wheel_names(dist["wheel"])
    unexpected = [n for n in names if not _matches(n, WHEEL_ALLOWED)]
    assert unexpected == [], f"files outside the wheel allow-list: {unexpected}"
    missing = [n for n in WHEEL_REQUIRED if n not in names]
    assert missing == [], f"files missing from the wheel: {missing}"
    assert not [n for n in names if _matches(n, FORBIDDEN)]
    developer_files = [
        n for n in names if n.endswith((".txt", ".json", ".md", ".toml")) and ".dist-info" not in n
    ]
    assert developer_files == []
    tops = {n.split("/")[0] for n in names if ".dist-info" not in n}
    assert tops == {"gwcloud_python"}, f"more than one top-level package: {sorted(tops)}"
    # the generated clients are subpackages of gwcloud_python, with no marker of their own
    # (PEP 561: gwcloud_python/py.typed covers every module below it), and nothing else
    # lives in gwcloud_python/_generated/
    generated = sorted(n for n in names if n.startswith("gwcloud_python/_generated/"))
    subpackages = {n.split("/")[2] for n in generated if n.count("/") == 3}
    assert subpackages == set(GENERATED), subpackages
    assert all(n.endswith(".py") for n in generated), generated


@pytest.mark.slow
def test_sdist_holds_the_source_tree_and_nothing_else(dist: dict[str, Path]) -> None:
    names = _sdist_names(dist["sdist"])
    tops = {n.split("/")[0] for n in names}
    assert tops <= SDIST_TOP, f"unexpected top-level entries: {tops - SDIST_TOP}"
    assert {"src", "tests", "docs", "examples", "LICENSE"} <= tops
    assert "src/gwcloud_python/_generated/bilby/__init__.py" in names
    missing = [n for n in SDIST_REQUIRED if n not in names]
    assert missing == [], f"files missing from the sdist: {missing}"
    bad = [n for n in names if _matches(n, FORBIDDEN)]
    assert bad == [], f"developer or build files in the sdist: {bad}"
    assert not any(n.startswith("bench/") or n.endswith("/bench/README.md") for n in names)
    # every test module of the checkout is shipped (the sdist runs its own tests), except
    # the tests of repository-only tools (bench/ is not in the sdist)
    checkout_tests = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "tests").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert checkout_tests - REPOSITORY_ONLY_TESTS <= set(names)
    assert not REPOSITORY_ONLY_TESTS & set(names)


@pytest.mark.slow
def test_metadata_is_complete(dist: dict[str, Path]) -> None:
    with zipfile.ZipFile(dist["wheel"]) as archive:
        meta_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(meta_name).decode())
    classifiers = metadata.get_all("Classifier") or []
    for version in ("3.10", "3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    for prefix in (
        "Development Status ::",
        "Intended Audience :: Science/Research",
        "Operating System :: OS Independent",
        "Typing :: Typed",
    ):
        assert any(c.startswith(prefix) for c in classifiers), prefix
    assert metadata["License-Expression"] == "MIT"
    assert "LICENSE" in (metadata.get_all("License-File") or [])
    urls = {u.split(",")[0].strip() for u in metadata.get_all("Project-URL") or []}
    assert {"Homepage", "Documentation", "Source", "Issues"} <= urls
    requires = metadata.get_all("Requires-Dist") or []
    graphql = [r for r in requires if r.startswith("graphql-core")]
    assert graphql == ["graphql-core<3.3,>=3.2"], graphql  # one bound, for every user
    assert not any(r.startswith("gwcloud-python") and "dev" in r for r in requires)
    readme = metadata.get_payload()
    assert isinstance(readme, str)
    assert 'pip install "gwcloud-python[server]"' in readme
    assert "pip install gwcloud-python" in readme


def test_network_marker_is_deselected_by_default(tmp_path: Path) -> None:
    """``pyproject.toml`` says tests marked ``network`` are deselected; they are."""
    (tmp_path / "test_marked.py").write_text(
        "import pytest\n\n@pytest.mark.network\ndef test_online():\n    pass\n\n"
        "def test_offline():\n    pass\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "1 passed, 1 deselected" in proc.stdout, proc.stdout


# --------------------------------------------------------------------------- sdist tests


@pytest.mark.slow
def test_sdist_passes_its_own_tests(dist: dict[str, Path], tmp_path: Path) -> None:
    """Unpacked, the sdist runs the tests that need its docs/, examples/ and queries/."""
    with tarfile.open(dist["sdist"]) as archive:
        archive.extractall(tmp_path, filter="data")
    tree = next(tmp_path.glob("gwcloud_python-*"))
    env = {
        **os.environ,
        # the sdist's own code, not this checkout's editable install
        "PYTHONPATH": str(tree / "src"),
    }
    code = "import gwcloud_python, sys; print(gwcloud_python.__file__)"
    where = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()
    assert where.startswith(str(tree)), where
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_docs.py",
            "tests/e2e/test_script_1x.py",
            "tests/test_schema_check.py::test_every_shipped_operation_names_its_methods",
            "tests/test_schema_check.py::test_dropped_field_names_the_broken_methods",
        ],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "skipped" not in proc.stdout


# --------------------------------------------------------------------------- fresh venvs


def _find_python(version: str) -> str | None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from wheelhouse import find_python
    finally:
        sys.path.remove(str(ROOT / "tools"))
    found: str | None = find_python(version)
    return found


@pytest.fixture(scope="module", params=["3.10", "3.13"])
def fresh_env(
    request: pytest.FixtureRequest,
    dist: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """A new venv of the given Python with only the built wheel and its dependencies."""
    version: str = request.param
    python = _find_python(version)
    if python is None:
        pytest.skip(f"no Python {version} interpreter on this machine")
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"{WHEELHOUSE} is missing: run `make install` (tools/wheelhouse.py)")
    env_dir = tmp_path_factory.mktemp(f"venv-{version}")
    subprocess.run([python, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    target = env_dir / "bin" / "python"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(target),
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
            str(WHEELHOUSE),
            str(dist["wheel"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"installing the wheel on Python {version} from {WHEELHOUSE} failed"
        f" (re-run `make install` to refresh the wheelhouse):\n{proc.stderr[-3000:]}"
    )
    yield version, target


def _clean_env(python: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    return env


@pytest.mark.slow
def test_wheel_runs_in_a_fresh_venv(fresh_env: tuple[str, Path], tmp_path: Path) -> None:
    version, python = fresh_env
    code = (
        "import sys, gwcloud_python, gwcloud_python._generated.bilby;"
        "from gwcloud_python.schema_check import queries_dir, check_schema;"
        "from pathlib import Path;"
        "print(sys.version_info[:2]);"
        "print(gwcloud_python.__file__); print(queries_dir());"
        "sdl = (Path(gwcloud_python.__file__).parent / '_schema' / 'bilby.graphql').read_text();"
        "auth = (Path(gwcloud_python.__file__).parent / '_schema' / 'auth.graphql').read_text();"
        "b, a = 'https://h.example/bilby/graphql', 'https://h.example/auth/graphql';"
        "r = check_schema(b, auth_endpoint=a, schemas={b: sdl, a: auth});"
        "print(r.ok, len(r.operations))"
    )
    out = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(python),
        check=True,
    ).stdout.splitlines()
    assert out[0] == str(tuple(int(x) for x in version.split(".")))
    env_root = str(python.parent.parent)
    assert out[1].startswith(env_root) and out[2].startswith(env_root), out
    ok, count = out[3].split()
    assert ok == "True" and int(count) >= 18
    # the console script works without the [server] extra
    help_text = subprocess.run(
        [str(python.parent / "gwcloud"), "schema-check", "--help"],
        capture_output=True,
        text=True,
        env=_clean_env(python),
        check=True,
    ).stdout
    assert "usage: gwcloud schema-check" in help_text


@pytest.mark.slow
def test_downstream_type_checks_against_the_wheel(
    fresh_env: tuple[str, Path], tmp_path: Path
) -> None:
    """mypy --strict and pyright --strict, run against the fresh venv's site-packages."""
    version, python = fresh_env
    project = tmp_path / "downstream"
    shutil.copytree(ROOT / "examples" / "downstream", project)
    env = _clean_env(python)
    mypy = subprocess.run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--config-file",
            "mypy.ini",
            "--no-incremental",
            "--python-executable",
            str(python),
            "--python-version",
            version,
            "-p",
            "gw_downstream",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
    assert "Success: no issues found" in mypy.stdout
    pyright = subprocess.run(
        [str(BIN / "pyright"), "--pythonpath", str(python), "--pythonversion", version],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert pyright.returncode == 0, pyright.stdout + pyright.stderr
    assert "0 errors" in pyright.stdout


@pytest.mark.slow
def test_public_api_has_no_unknown_types(fresh_env: tuple[str, Path]) -> None:
    """pyright --verifytypes on the installed wheel: completeness >= 98 %."""
    _version, python = fresh_env
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from verify_types import run
    finally:
        sys.path.remove(str(ROOT / "tools"))
    report = run("gwcloud_python", str(python))
    completeness = report["typeCompleteness"]
    assert completeness["packageRootDirectory"].startswith(str(python.parent.parent))
    score = completeness["completenessScore"]
    unknown = [
        s["name"]
        for s in completeness["symbols"]
        if s.get("isExported") and (not s.get("isTypeKnown") or s.get("isTypeAmbiguous"))
    ]
    assert score >= MIN_COMPLETENESS, f"completeness {score:.1%}; unknown: {unknown}"
