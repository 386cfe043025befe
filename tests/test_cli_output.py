"""The ``gwcloud`` command line against a hostile server: no terminal control sequences.

A server (or a proxy) can put escape sequences into job names, descriptions, file names,
event nicknames and error messages.  Printed raw they would retitle the window, clear the
screen, move the cursor or reorder text (bidirectional overrides).  Every line the CLI
prints must show them as visible escapes instead.  Unit tests: pytest-httpx answers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_JWT,
    FakeGraphQL,
    connection,
    job_node,
    jwt_answer,
    private_job_node,
)

from gwcloud_python.cli import cli_terms, main
from gwcloud_python.cli._output import escape, print_json

#: OSC window title, BEL, clear screen, CR, a C1 CSI, a bidi override and an isolate.
EVIL = "x\x1b]0;owned\x07\x1b[2J\r\x9b31m\u202egnp.exe\u2066\u2028y"
ALLOWED = {"\n"}


def assert_clean(text: str) -> None:
    """No control or format character other than the newline ends up on the terminal."""
    bad = sorted({ch for ch in text if not ch.isprintable() and ch not in ALLOWED})
    assert bad == [], [hex(ord(ch)) for ch in bad]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--endpoint", ENDPOINT, "--auth-endpoint", AUTH_ENDPOINT, *argv])
    out, err = capsys.readouterr()
    assert_clean(out)
    assert_clean(err)
    assert "Traceback" not in err
    return code, out, err


def evil_job(pk: int = 1, *, full: bool = False) -> dict[str, Any]:
    node = private_job_node(pk, "name") if full else job_node(pk, "name")
    node.update(name=f"name{EVIL}", description=f"about{EVIL}", user=f"user{EVIL}")
    node["eventId"] = {
        "eventId": "GW150914_095045",
        "triggerId": f"S{EVIL}",
        "nickname": f"nick{EVIL}",
        "isLigoEvent": False,
        "gpsTime": 1.0,
    }
    if full:
        node["labels"] = [{"name": f"label{EVIL}"}]
        node["cluster"] = f"cluster{EVIL}"
    return node


def evil_files(fake_gql: FakeGraphQL) -> None:
    fake_gql.on("BilbyJob", {"data": {"bilbyJob": evil_job(full=True)}})
    fake_gql.on(
        "BilbyResultFiles",
        {
            "data": {
                "bilbyResultFiles": {
                    "jobType": 0,
                    "files": [
                        {
                            "path": f"/result/a{EVIL}.png",
                            "isDir": False,
                            "fileSize": "3",
                            "downloadToken": "tok-a",
                        }
                    ],
                }
            }
        },
    )


def test_escape_shows_every_control_character() -> None:
    escaped = escape(EVIL)
    assert_clean(escaped)
    for shown in ("\\x1b]0;owned", "\\x07", "\\r", "\\x9b", "\\u202e", "\\u2066", "\\u2028"):
        assert shown in escaped
    assert escape("plain text, ünïcode ✓") == "plain text, ünïcode ✓"


def test_json_output_escapes_c1_and_bidi(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"name": EVIL, "ok": "ünïcode ✓"})
    out = capsys.readouterr().out
    assert_clean(out)
    assert json.loads(out) == {"name": EVIL, "ok": "ünïcode ✓"}  # the data is intact


def test_search_table_and_json(fake_gql: FakeGraphQL, capsys: pytest.CaptureFixture[str]) -> None:
    fake_gql.on(
        "PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([evil_job(1), evil_job(2)])}}
    )
    code, out, _ = run(capsys, "jobs", "search")
    assert code == 0 and "name" in out and "\\x1b]0;owned" in out

    details = evil_job(1, full=True)
    fake_gql.on("BilbyJobsById", lambda v, _r: {"data": {k: details for k in v}})
    code, out, _ = run(capsys, "jobs", "search", "--json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["name"] == f"name{EVIL}" and rows[0]["labels"] == [f"label{EVIL}"]


def test_show_event_list_and_files_list(
    fake_gql: FakeGraphQL, capsys: pytest.CaptureFixture[str]
) -> None:
    evil_files(fake_gql)
    code, out, _ = run(capsys, "jobs", "show", "1")
    assert code == 0 and "aboutx\\x1b" in out and "labelx\\x1b" in out

    fake_gql.on("AllEventIds", {"data": {"allEventIds": [evil_job()["eventId"]]}})
    code, out, _ = run(capsys, "event-id", "list")
    assert code == 0 and "nickx\\x1b" in out

    code, out, _ = run(capsys, "files", "list", "1")
    assert code == 0 and "result/ax\\x1b" in out


def test_files_download_prints_escaped_paths(
    fake_gql: FakeGraphQL, httpx_mock: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil_files(fake_gql)
    fake_gql.on(
        "GenerateFileDownloadIds",
        {"data": {"generateFileDownloadIds": {"result": ["id-a"]}}},
    )
    httpx_mock.add_response(
        url="https://gwcloud.test/job/apiv1/file/?fileId=id-a", content=b"png", is_optional=True
    )
    code, out, err = run(capsys, "--no-progress", "files", "download", "1", str(tmp_path))
    # saved (name printed escaped) or refused by the library (message printed escaped)
    assert code in (0, 1)
    assert "ax\\x1b]0;owned" in out + err


def test_server_error_messages_are_escaped(
    fake_gql: FakeGraphQL, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_gql.on("AllEventIds", {"errors": [{"message": f"boom{EVIL}"}]})
    code, out, err = run(capsys, "event-id", "list")
    assert code == 1 and out == ""
    assert err.startswith("gwcloud: error: ") and err.count("\n") == 1
    assert "boom" in err and "\\x1b]0;owned" in err


@pytest.mark.parametrize("how", ["--debug", "GWCLOUD_LOG"])
def test_debug_log_is_escaped_and_masks_tokens(
    fake_gql: FakeGraphQL,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    token = "sentinel-token-for-debug-logs-0042"
    fake_gql.on("JwtToken", jwt_answer())

    def answer(_variables: dict[str, Any], _request: httpx.Request) -> dict[str, Any]:
        # a log record quoting hostile server text and both secrets
        logging.getLogger("gwcloud_python").debug(
            "server said %s to %s with %s", EVIL, token, SENTINEL_JWT
        )
        return {"data": {"allEventIds": []}}

    fake_gql.on("AllEventIds", answer)
    flags = ["--debug"] if how == "--debug" else []
    if how == "GWCLOUD_LOG":
        monkeypatch.setenv("GWCLOUD_LOG", "debug")
    code, _, err = run(capsys, "--token", token, *flags, "event-id", "list")
    assert code == 0
    assert token not in err and SENTINEL_JWT not in err
    assert "server said x\\x1b]0;owned" in err  # escaped, one line
    assert "gwcloud: INFO httpx: HTTP Request: POST" in err  # requests are logged
    logging.getLogger("gwcloud_python").warning("after main: %s", "not shown")
    assert "not shown" not in capsys.readouterr().err  # main removed its handler


def test_bad_log_level_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GWCLOUD_LOG", "chatty")
    code, _, err = run(capsys, "event-id", "list")
    assert code == 2 and "GWCLOUD_LOG" in err and "'chatty'" in err


def test_cli_terms_rewrites_parameter_names() -> None:
    assert cli_terms("root_path '/x' exists and is not a directory").startswith("DEST '/x'")
    assert cli_terms("ini_file 'a.ini' does not exist") == "INI_FILE 'a.ini' does not exist"
    assert cli_terms("job_name must be text").startswith("--name ")
    assert cli_terms("description must be text, got 3") == "--description must be text, got 3"
    message = cli_terms(
        "get_user_jobs needs an API token: this GWCloud client is anonymous and read-only"
    )
    assert "--token" in message and "get_user_jobs" not in message
    assert cli_terms("the server said: job_id_x is odd") == "the server said: job_id_x is odd"


def test_hostile_answer_over_http(httpx_mock: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A raw HTTP answer (not through FakeGraphQL) with escapes in an error body."""
    httpx_mock.add_response(
        method="POST",
        url=ENDPOINT,
        status_code=200,
        content=json.dumps({"errors": [{"message": EVIL}]}, ensure_ascii=False).encode(),
        is_reusable=True,
    )
    code, _, err = run(capsys, "jobs", "search")
    assert code == 1 and "\\u202e" in err


def test_graphql_error_text_via_httpx_response(
    fake_gql: FakeGraphQL, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_gql.on("AllEventIds", lambda _v, _r: httpx.Response(500, text=f"oops{EVIL}"))
    code, _, err = run(capsys, "event-id", "list")
    assert code == 1 and err.startswith("gwcloud: error: ")


def test_search_json_fetches_full_jobs_in_bounded_batches(
    fake_gql: FakeGraphQL, capsys: pytest.CaptureFixture[str]
) -> None:
    from gwcloud_python import _constants as C

    nodes = [job_node(pk, f"job{pk}") for pk in range(1, 26)]
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection(nodes)}})
    asked: list[list[str]] = []

    def full(variables: dict[str, Any], _request: httpx.Request) -> dict[str, Any]:
        assert sorted(variables) == [f"j{i}" for i in range(C.JOBS_PER_FULL_REQUEST)]
        asked.append(list(variables.values()))
        return {
            "data": {
                alias: {
                    **private_job_node(1),
                    "id": job_id,
                    "name": f"full-{job_id}",
                    "cluster": f"c-{job_id}",
                }
                for alias, job_id in variables.items()
            }
        }

    fake_gql.on("BilbyJobsById", full)
    code, out, _ = run(capsys, "jobs", "search", "--limit", "25", "--json")
    assert code == 0
    rows = json.loads(out)
    ids = [node["id"] for node in nodes]
    # Each row is the full job (as `jobs show --json` prints it), in the listing's order.
    assert [row["name"] for row in rows] == [f"full-{job_id}" for job_id in ids]
    assert all(row["cluster"] == f"c-{row['id']}" for row in rows)
    assert len(asked) == 3  # 10 + 10 + 5, the last five places repeating the last ID
    assert asked[2] == ids[20:] + [ids[-1]] * 5
    code, out, _ = run(capsys, "jobs", "search", "--limit", "25")
    assert code == 0 and fake_gql.names().count("BilbyJobsById") == 3  # tables need none
