"""Auth server: API tokens, JWTs, refresh tokens, expiry."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from server_helpers import error_messages, gql, login

from gwcloud_python.server import LocalServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A separate server: these tests expire every token."""
    server = LocalServer(tmp_path_factory.mktemp("auth-data"))
    server.start()
    yield server
    server.stop()


def _whoami(server: LocalServer, jwt: str | None) -> dict[str, object]:
    return gql(server.endpoint, "BilbyJobs", {"first": 5}, jwt=jwt)


def test_jwt_from_api_token_authenticates(server: LocalServer) -> None:
    pair = login(server, server.add_user("alice"))
    assert pair["jwtToken"].count(".") == 2
    assert pair["refreshToken"]
    body = _whoami(server, pair["jwtToken"])
    assert body.get("errors") is None
    assert body["data"]["bilbyJobs"]["edges"] == []


def test_unknown_api_token_is_rejected_without_echo(server: LocalServer) -> None:
    body = gql(server.auth_endpoint, "JwtToken", {"token": "not-a-real-token-123"})
    assert error_messages(body) == ["Invalid API token"]
    assert "not-a-real-token-123" not in str(body)


def test_bad_jwt_is_a_decoding_error(server: LocalServer) -> None:
    body = _whoami(server, "abc.def.ghi")
    assert error_messages(body) == ["Error decoding signature"]


def test_expired_jwt_then_refresh(server: LocalServer) -> None:
    pair = login(server, server.add_user("bob"))
    server.expire_jwts()
    body = _whoami(server, pair["jwtToken"])
    assert error_messages(body) == ["Signature has expired"]
    assert body["data"] == {"bilbyJobs": None}
    refreshed = gql(server.auth_endpoint, "RefreshToken", {"refreshToken": pair["refreshToken"]})
    assert refreshed.get("errors") is None, refreshed
    new = refreshed["data"]["refreshToken"]
    assert new["token"] != pair["jwtToken"] and new["refreshToken"]
    assert _whoami(server, new["token"]).get("errors") is None


def test_refresh_payload_fields(server: LocalServer) -> None:
    pair = login(server, server.add_user("carol"))
    response = httpx.post(
        server.auth_endpoint,
        json={
            "query": "mutation($r: String){refreshToken(refreshToken: $r)"
            "{payload refreshExpiresIn token refreshToken}}",
            "variables": {"r": pair["refreshToken"]},
        },
    )
    data = response.json()["data"]["refreshToken"]
    assert data["payload"]["username"] == "carol"
    assert isinstance(data["refreshExpiresIn"], int)


def test_expired_and_unknown_refresh_tokens(server: LocalServer) -> None:
    pair = login(server, server.add_user("dave"))
    server.expire_refresh_tokens()
    body = gql(server.auth_endpoint, "RefreshToken", {"refreshToken": pair["refreshToken"]})
    assert error_messages(body) == ["Refresh token is expired"]
    body = gql(server.auth_endpoint, "RefreshToken", {"refreshToken": "nope"})
    assert error_messages(body) == ["Invalid refresh token"]


def test_jwt_ttl_is_applied(tmp_path_factory: pytest.TempPathFactory) -> None:
    with LocalServer(tmp_path_factory.mktemp("ttl"), jwt_ttl=-1) as short:
        pair = login(short, short.add_user("erin"))
        assert error_messages(_whoami(short, pair["jwtToken"])) == ["Signature has expired"]


def test_requests_log_has_no_secrets(server: LocalServer) -> None:
    token = server.add_user("frank")
    login(server, token)
    log = (server.data_dir / "server.log").read_text()
    assert token not in log
    assert "JwtToken" in log
