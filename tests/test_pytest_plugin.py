"""The ``gwcloud`` pytest plugin, run on small test files through ``pytester``.

Each inner run starts its own session server (a fraction of a second), so these tests
say what a downstream suite sees: the fixtures, a clean server for every test, fault
windows, the schema option, the one-line failure without the ``server`` extra, and the
documented example package (``examples/downstream_tests``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gwcloud_python import pytest_plugin

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "downstream_tests"


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in a new process, as a downstream suite runs (an in-process run would
    import the library a second time)."""
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=300)


def _run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=textwrap.dedent(source))
    return _pytest(pytester, *args)


@pytest.mark.parametrize("schema", ["2023", "2026"])
def test_fixtures_reach_one_server(pytester: pytest.Pytester, schema: str) -> None:
    result = _run(
        pytester,
        f"""
        from gwcloud_python import AsyncGWCloud, GWCloud
        import asyncio

        def test_server(gwcloud_server):
            assert gwcloud_server.schema == "{schema}"
            assert gwcloud_server.endpoint.startswith("http://127.0.0.1:")
            if "{schema}" == "2023":
                assert gwcloud_server.auth_endpoint.endswith("/auth/graphql")

        def test_factories_and_clients(gwcloud_server, gwcloud_client, gwcloud_client_for):
            assert isinstance(gwcloud_client, GWCloud)
            event = gwcloud_server.create_event_id("GW150914_095045", nickname="GW150914")
            public = gwcloud_server.create_bilby_job(
                "GW150914", {{"result/GW150914_corner.png": b"png"}},
                labels=["Official"], event_id=event,
            )
            token = gwcloud_server.add_user("alice", ligo=True)
            private = gwcloud_server.create_bilby_job(
                "mine", {{"notes.txt": b"secret"}}, private=True, owner="alice",
                job_type="uploaded",
            )
            job = gwcloud_client.get_job_by_id(public, strict=True)
            assert [j.name for j in gwcloud_client.get_official_job_list()] == ["GW150914"]
            assert [p.as_posix() for p, _ in job.get_corner_plot_files()] == [
                "result/GW150914_corner.png"
            ]
            assert gwcloud_client.get_event_id(event).nickname == "GW150914"
            assert gwcloud_client.get_job_by_id(private) is None
            alice = gwcloud_client_for(token)
            files = alice.get_job_by_id(private, strict=True).get_full_file_list()
            assert [d for _, d in alice.get_files_by_reference(files)] == [b"secret"]
            log = gwcloud_server.requests()
            assert {{"method", "path", "operation", "status"}} <= set(log[0])
            assert "PublicBilbyJobs" in [entry["operation"] for entry in log]

        def test_async_client(gwcloud_server, gwcloud_async_client):
            assert isinstance(gwcloud_async_client, AsyncGWCloud)
            gwcloud_server.create_bilby_job("a", {{"a.txt": b"abc"}})

            async def main():
                [job] = await gwcloud_async_client.get_public_job_list()
                files = await job.get_full_file_list()
                return await gwcloud_async_client.get_files_by_reference(files)

            assert [d for _, d in asyncio.run(main())] == [b"abc"]

        def test_async_client_closed_by_the_test(gwcloud_async_client):
            async def main():
                async with gwcloud_async_client as gw:
                    return await gw.get_public_job_list()

            assert asyncio.run(main()) == []
        """,
        "--gwcloud-schema",
        schema,
    )
    result.assert_outcomes(passed=4)


def test_every_test_starts_from_an_empty_server(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest

        SEEN = []

        @pytest.mark.parametrize("round", [1, 2, 3])
        def test_fill_then_find_empty(gwcloud_server, gwcloud_client, round):
            SEEN.append(gwcloud_server.base_url)
            assert gwcloud_server.requests() == []
            assert gwcloud_client.get_public_job_list() == []
            assert gwcloud_client.get_all_event_ids() == []
            gwcloud_server.seed_demo()
            gwcloud_server.create_event_id("GW200129_065458")
            gwcloud_server.add_user("bob")
            gwcloud_server.set_fault("status", times=0)  # left behind on purpose

        def test_one_server_for_the_session():
            assert len(set(SEEN)) == 1 and len(SEEN) == 3
        """,
    )
    result.assert_outcomes(passed=4)


def test_marked_tests_keep_the_data(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest

        @pytest.fixture(scope="module")
        def shared_job(gwcloud_server):
            return gwcloud_server.create_bilby_job("shared", {"a.txt": b"a"})

        pytestmark = pytest.mark.gwcloud_keep_data

        def test_first(gwcloud_client, shared_job):
            assert gwcloud_client.get_job_by_id(shared_job) is not None

        def test_second(gwcloud_client, shared_job):
            assert [j.name for j in gwcloud_client.get_public_job_list()] == ["shared"]
        """,
        "--strict-markers",
    )
    result.assert_outcomes(passed=2)


def test_tokens_do_not_survive_a_reset(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest
        from gwcloud_python import GWCloudAuthenticationError

        TOKENS = []

        def test_make_user(gwcloud_server):
            TOKENS.append(gwcloud_server.add_user("alice"))

        def test_old_token_refused(gwcloud_server, gwcloud_client_for):
            with pytest.raises(GWCloudAuthenticationError):
                gwcloud_client_for(TOKENS[0]).get_user_jobs()
        """,
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize("schema", ["2023", "2026"])
def test_fault_windows(pytester: pytest.Pytester, schema: str) -> None:
    result = _run(
        pytester,
        """
        import pytest

        def test_5xx_then_recovered(gwcloud_server, gwcloud_client):
            with gwcloud_server.faults("5xx", times=2, match="PublicBilbyJobs", retry_after=0):
                assert gwcloud_client.get_public_job_list() == []
            ops = [(e["operation"], e["status"]) for e in gwcloud_server.requests()]
            assert ops[-3:] == [("PublicBilbyJobs", 503)] * 2 + [("PublicBilbyJobs", 200)]

        def test_slow(gwcloud_server, gwcloud_client):
            with gwcloud_server.faults("slow", seconds=0.05):
                assert gwcloud_client.get_public_job_list() == []

        def test_drop_mid_body_and_window_ends(gwcloud_server, gwcloud_client):
            data = bytes(range(256)) * 64
            job = gwcloud_server.create_bilby_job("big", {"big.bin": data})
            files = gwcloud_client.get_job_by_id(job, strict=True).get_full_file_list()
            with gwcloud_server.faults("drop", match="/job/apiv1/file/", after_bytes=1000):
                [(_, got)] = gwcloud_client.get_files_by_reference(files)
            assert got == data
            gets = [e for e in gwcloud_server.requests() if e["method"] == "GET"]
            assert len(gets) >= 2  # cut, then resumed
            gwcloud_server.reset_requests()
            [(_, again)] = gwcloud_client.get_files_by_reference(files)
            assert again == data
            assert len([e for e in gwcloud_server.requests() if e["method"] == "GET"]) == 1

        def test_nested_windows_keep_the_outer_rule(gwcloud_server, gwcloud_client):
            with gwcloud_server.faults("5xx", times=0, match="/nothing/"):
                with gwcloud_server.faults("slow", seconds=0.01, times=0):
                    gwcloud_client.get_public_job_list()
                import httpx

                rules = httpx.get(
                    gwcloud_server.base_url + "/_admin/faults",
                    headers=gwcloud_server.admin_headers,
                ).json()["faults"]
                assert [r["kind"] for r in rules] == ["status"]

        def test_expire_jwts(gwcloud_server, gwcloud_client_for):
            gw = gwcloud_client_for(gwcloud_server.add_user("alice"))
            assert gw.get_user_jobs() == []
            with gwcloud_server.faults("expire_jwts"):
                assert gw.get_user_jobs() == []  # the client gets a new JWT (2023)

        def test_unknown_kind(gwcloud_server):
            with pytest.raises(ValueError, match="unknown fault kind"):
                with gwcloud_server.faults("meltdown"):
                    pass
        """,
        "--gwcloud-schema",
        schema,
    )
    result.assert_outcomes(passed=6)


def test_factories_refuse_bad_input(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest

        @pytest.mark.parametrize("files, reason", [
            ({"../escape.txt": b""}, "must be relative"),
            ({"/etc/passwd": b""}, "must be relative"),
            ({"a": b"1", "a/b": b"2"}, "can not be stored"),
        ])
        def test_bad_paths(gwcloud_server, files, reason):
            with pytest.raises(ValueError, match=reason):
                gwcloud_server.create_bilby_job("job", files)

        def test_bad_names_labels_and_events(gwcloud_server, gwcloud_client):
            with pytest.raises(ValueError, match="special characters"):
                gwcloud_server.create_bilby_job("bad name")
            with pytest.raises(ValueError, match="unknown labels"):
                gwcloud_server.create_bilby_job("job", labels=["Offical"])
            with pytest.raises(ValueError, match="create it first"):
                gwcloud_server.create_bilby_job("job", event_id="GW150914_095045")
            with pytest.raises(ValueError, match="not of the form"):
                gwcloud_server.create_event_id("GW150914")
            assert gwcloud_client.get_public_job_list() == []  # nothing half-made
        """,
    )
    result.assert_outcomes(passed=4)


def test_gwflow_factory(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import pytest

        FILES = [
            {"analysis_uid": "a1", "path": "pe/a1/posterior.h5", "file_name": "posterior.h5",
             "data": b"hdf5"},
            {"analysis_uid": "a1", "path": "pe/a1/later.h5", "file_name": "later.h5",
             "data": None},
        ]

        def test_create(gwcloud_server):
            gwcloud_server.add_user("ingest", ligo=True, gwflow_ingest=True)
            created = gwcloud_server.create_gwflow_job("S240413p", FILES, owner="ingest")
            assert created["sname"] == "S240413p" and created["id"]
            assert [f["path"] for f in created["files"]] == [f["path"] for f in FILES]
            with pytest.raises(ValueError, match="already exists"):
                gwcloud_server.create_gwflow_job("S240413p")

        def test_gone_after_the_reset(gwcloud_server):
            assert gwcloud_server.create_gwflow_job("S240413p")["sname"] == "S240413p"
        """,
    )
    result.assert_outcomes(passed=2)


def test_schema_from_the_ini_file_and_the_option(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\ngwcloud_schema = 2023\n")
    pytester.makepyfile(
        test_inner="""
        import os

        def test_schema(gwcloud_server):
            assert gwcloud_server.schema == os.environ["EXPECTED"]
        """
    )
    monkeypatch.setenv("EXPECTED", "2023")
    _pytest(pytester).assert_outcomes(passed=1)
    monkeypatch.setenv("EXPECTED", "2026")
    _pytest(pytester, "--gwcloud-schema", "2026").assert_outcomes(passed=1)
    pytester.makeini("[pytest]\ngwcloud_schema = 2019\n")
    result = _pytest(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gwcloud_schema must be one of 2023, 2026, not '2019'*"])


def test_without_the_server_extra_fixtures_fail_with_one_line(pytester: pytest.Pytester) -> None:
    # as if starlette were not installed (imports of it fail)
    pytester.makeconftest("import sys\nsys.modules['starlette'] = None\n")
    result = _run(
        pytester,
        """
        def test_server(gwcloud_server):
            pass

        def test_client(gwcloud_client):
            pass

        def test_unrelated():
            pass
        """,
    )
    result.assert_outcomes(passed=1, errors=2)
    line = "the gwcloud pytest fixtures need the local server: " + (
        "pip install 'gwcloud-python[server]' (missing: starlette)"
    )
    # the error of each test is that one line, alone
    result.stdout.fnmatch_lines(["*ERROR at setup of test_server*", line, "*test_client*", line])
    assert "Traceback" not in result.stdout.str()


def test_plugin_imports_without_the_server_extra() -> None:
    code = (
        "import sys\n"
        "for name in ('ariadne', 'starlette', 'uvicorn', 'jwt', 'multipart',"
        " 'python_multipart'):\n"
        "    sys.modules[name] = None\n"
        "import gwcloud_python.pytest_plugin as plugin\n"
        "print(plugin.missing_server_modules())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "['ariadne', 'starlette', 'uvicorn', 'jwt', 'python_multipart']"
    assert pytest_plugin.missing_server_modules() == []


def test_xdist_workers_get_their_own_server(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    out = pytester.path / "urls"
    out.mkdir()
    result = _run(
        pytester,
        f"""
        import os, pytest

        @pytest.mark.parametrize("n", range(4))
        def test_write(gwcloud_server, gwcloud_client, n):
            assert gwcloud_client.get_public_job_list() == []
            gwcloud_server.create_bilby_job(f"job{{n}}", {{"a.txt": b"a"}})
            worker = os.environ["PYTEST_XDIST_WORKER"]
            with open(os.path.join({str(out)!r}, worker), "a") as handle:
                handle.write(gwcloud_server.base_url + " " + str(gwcloud_server.data_dir) + "\\n")
        """,
        "-n",
        "2",
    )
    result.assert_outcomes(passed=4)
    per_worker = [set(p.read_text().splitlines()) for p in sorted(out.iterdir())]
    assert len(per_worker) == 2 and all(len(lines) == 1 for lines in per_worker)
    assert per_worker[0] != per_worker[1]


def test_the_documented_example_package_passes(pytester: pytest.Pytester) -> None:
    """``examples/downstream_tests``, which docs/testing.rst quotes, passes as it is."""
    shutil.copytree(EXAMPLE, pytester.path, dirs_exist_ok=True)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-o", "pythonpath=src", timeout=300
    )
    result.assert_outcomes(passed=4)
