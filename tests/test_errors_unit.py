"""Errors a user can act on, and bounds on answers (pytest-httpx unit tests).

The server's messages map to NotFoundError / PermissionDeniedError; a closed
client raises ClientClosedError; connection errors keep their OS cause; a 404
from a GraphQL endpoint says which URL was probably meant; malformed,
oversized, compressed-bomb and nested answers, repeated page cursors and
low-level protocol errors all end in a GWCloudError; the secret registry stays
bounded over JWT renewals.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import inspect
import json
from typing import Any

import h11
import httpx
import pytest
from _gql_fake import (
    AUTH_ENDPOINT,
    ENDPOINT,
    SENTINEL_TOKEN,
    FakeGraphQL,
    connection,
    job_node,
    jwt_answer,
)
from pytest_httpx import IteratorStream

from gwcloud_python import (
    AsyncGWCloud,
    AuthenticationError,
    ClientClosedError,
    GraphQLError,
    GWCloud,
    GWCloudError,
    NotFoundError,
    OperationOutcomeUnknown,
    PermissionDeniedError,
    TransportError,
    ValidationError,
)
from gwcloud_python._auth import JWTAuth
from gwcloud_python._errors import redact, register_secret, registered_secret_count
from gwcloud_python._transport import AsyncTransport, Transport, graphql_error_class

QUERY = "query PublicBilbyJobs { publicBilbyJobs { edges { node { id } } } }"
MUTATION = "mutation DeleteEventId { deleteEventId(input: {}) { result } }"


def post(transport: Transport, *, mutation: bool = False, url: str = ENDPOINT) -> dict[str, Any]:
    return transport.post_graphql(
        url,
        query=MUTATION if mutation else QUERY,
        operation_name="DeleteEventId" if mutation else "PublicBilbyJobs",
        variables={},
        mutation=mutation,
    )


def transport(**options: Any) -> Transport:
    t = Transport(max_retries=0, **options)
    t.sleep = lambda _s: None
    return t


# -- the server's messages ----------------------------------------------------------------------

NOT_FOUND = [
    "BilbyJobNode matching query does not exist.",
    "BilbyJob matching query does not exist.",
    "EventID matching query does not exist.",
    "Event ID 'GW150914_095045' not found.",
    "Job 'QmlsYnlKb2JOb2RlOjk=' not found.",
    "Job does not exist.",
]
PERMISSION = [
    "You do not have permission to perform this action",
    "Permission Denied",
    "Permission Denied.",
    "User is not permitted to create EventIDs",
    "User is not permitted to delete EventIDs",
    "You must own the job to change it!",
    "Only LIGO users may run real jobs on embargoed LIGO data",
]
OTHER = [
    "Job name must not contain any spaces or special characters.",
    "Event ID GW150914_095045 already exists",
    "Invalid job_id",
    "The job 'Permission Denied' was not found somewhere else",
]


@pytest.mark.parametrize("message", NOT_FOUND)
def test_not_found_messages_map_to_not_found_error(httpx_mock: Any, message: str) -> None:
    httpx_mock.add_response(json={"data": None, "errors": [{"message": message}]})
    with pytest.raises(NotFoundError) as info:
        post(transport())
    assert isinstance(info.value, GraphQLError)
    assert info.value.messages == [message]


@pytest.mark.parametrize("message", PERMISSION)
def test_permission_messages_map_to_permission_denied(httpx_mock: Any, message: str) -> None:
    httpx_mock.add_response(json={"data": None, "errors": [{"message": message}]})
    with pytest.raises(PermissionDeniedError) as info:
        post(transport())
    assert isinstance(info.value, GraphQLError)
    assert message in str(info.value)


@pytest.mark.parametrize("message", OTHER)
def test_other_messages_stay_plain_graphql_errors(message: str) -> None:
    assert graphql_error_class([{"message": message}]) is GraphQLError


def test_unknown_api_token_message_is_an_authentication_error(httpx_mock: Any) -> None:
    httpx_mock.add_response(
        json={"errors": [{"message": "APIToken matching query does not exist."}]}
    )
    with pytest.raises(AuthenticationError):
        post(transport())


def test_first_recognised_error_decides() -> None:
    errors = [{"message": "something odd"}, {"message": "Permission Denied"}]
    assert graphql_error_class(errors) is PermissionDeniedError


# -- closed clients -----------------------------------------------------------------------------


def test_call_after_close_is_client_closed_error(fake_gql: FakeGraphQL) -> None:
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gw.close()
    with pytest.raises(ClientClosedError, match="closed") as info:
        gw.get_public_job_list("GW150914")
    assert isinstance(info.value, GWCloudError)
    assert isinstance(info.value, RuntimeError)
    assert fake_gql.calls == []


def test_call_after_close_with_own_http_client(fake_gql: FakeGraphQL) -> None:
    with httpx.Client() as http:
        gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, http_client=http)
        gw.close()
        with pytest.raises(ClientClosedError):
            gw.get_public_job_list("GW150914")
        assert not http.is_closed


def test_call_after_closing_the_passed_http_client(fake_gql: FakeGraphQL) -> None:
    http = httpx.Client()
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, http_client=http)
    http.close()
    with pytest.raises(ClientClosedError):
        gw.get_public_job_list("GW150914")


def test_download_after_close_is_client_closed_error(fake_gql: FakeGraphQL) -> None:
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gw.close()
    with pytest.raises(ClientClosedError):
        gw._downloader()


def test_async_call_after_close_is_client_closed_error(fake_gql: FakeGraphQL) -> None:
    async def scenario() -> None:
        gw = AsyncGWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
        await gw.aclose()
        with pytest.raises(ClientClosedError):
            await gw.get_public_job_list("GW150914")
        with pytest.raises(ClientClosedError):
            gw._downloader()

    asyncio.run(scenario())
    assert fake_gql.calls == []


# -- connection errors and 404 hints ------------------------------------------------------------


def test_connection_error_keeps_os_cause(httpx_mock: Any) -> None:
    httpx_mock.add_exception(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(TransportError, match=r"\[Errno 111\] Connection refused"):
        post(transport())


@pytest.mark.parametrize(
    "exc",
    [httpx.ReadError("[Errno 104] Connection reset by peer"), httpx.ReadTimeout("timed out")],
)
def test_other_transport_errors_keep_their_text(httpx_mock: Any, exc: Exception) -> None:
    httpx_mock.add_exception(exc)
    with pytest.raises(TransportError) as info:
        post(transport())
    assert str(exc) in str(info.value)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("https://gw.test", "https://gw.test/bilby/graphql"),
        ("https://gw.test/", "https://gw.test/graphql"),
        ("https://gw.test/graphql", "https://gw.test/bilby/graphql"),
        ("https://gw.test/bilby/graphql", "https://gw.test/graphql"),
        ("https://gw.test/prefix/", "https://gw.test/prefix/bilby/graphql"),
    ],
)
def test_404_from_graphql_endpoint_hints_at_the_right_url(
    httpx_mock: Any, url: str, hint: str
) -> None:
    httpx_mock.add_response(status_code=404, text="Not Found")
    with pytest.raises(TransportError) as info:
        post(transport(), url=url)
    assert info.value.status_code == 404
    assert hint in str(info.value)


# -- malformed answers and low-level errors -----------------------------------------------------

MALFORMED = {
    "nested": b'{"data": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    "nested-object": b'{"data": ' + b'{"a":' * 200_000 + b"1" + b"}" * 200_000 + b"}",
    "not-utf8": b'{"data": {"x": "\xff\xfe"}}',
    "errors-a-string": b'{"errors": "boom"}',
    "errors-of-numbers": b'{"errors": [1, 2]}',
    "not-json": b"<html>oops</html>",
    "a-list": b"[1, 2]",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_answers_are_transport_errors(httpx_mock: Any, body: bytes) -> None:
    httpx_mock.add_response(content=body)
    with pytest.raises(TransportError):
        post(transport())


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_answers_to_mutations_are_outcome_unknown(httpx_mock: Any, body: bytes) -> None:
    httpx_mock.add_response(content=body)
    with pytest.raises(OperationOutcomeUnknown):
        post(transport(), mutation=True)


@pytest.mark.parametrize(
    "exc",
    [
        h11.LocalProtocolError("Too much data for declared Content-Length"),
        h11.RemoteProtocolError("malformed"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.DecodingError("bad gzip"),
    ],
    ids=["h11-local", "h11-remote", "httpx-remote", "decoding"],
)
def test_protocol_errors_are_typed(httpx_mock: Any, exc: Exception) -> None:
    httpx_mock.add_exception(exc)
    with pytest.raises(TransportError):
        post(transport())
    httpx_mock.add_exception(exc)
    with pytest.raises(OperationOutcomeUnknown):
        post(transport(), mutation=True)


def test_deeply_nested_data_through_the_client_is_a_transport_error(
    fake_gql: FakeGraphQL,
) -> None:
    deep: Any = "x"
    for _ in range(5000):
        deep = {"a": deep}
    fake_gql.on("PublicBilbyJobs", {"data": {"publicBilbyJobs": connection([job_node(1, x=deep)])}})
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    with pytest.raises(TransportError, match="nested too deeply"):
        gw.get_public_job_list("x")


# -- answer size --------------------------------------------------------------------------------


def test_answer_over_the_cap_is_refused(httpx_mock: Any) -> None:
    body = json.dumps({"data": {"x": "a" * 5000}}).encode()
    httpx_mock.add_response(content=body)
    with pytest.raises(TransportError, match="larger than the 1000 byte limit"):
        post(transport(max_response_size=1000))


def test_answer_over_the_cap_without_content_length_is_refused(httpx_mock: Any) -> None:
    chunks = [b'{"data": {"x": "'] + [b"a" * 1000] * 50 + [b'"}}']
    httpx_mock.add_response(stream=IteratorStream(chunks))
    with pytest.raises(TransportError, match="limit"):
        post(transport(max_response_size=10_000))


def test_answer_under_the_cap_is_read(httpx_mock: Any) -> None:
    httpx_mock.add_response(json={"data": {"x": "a" * 500}})
    assert post(transport(max_response_size=1000)) == {"data": {"x": "a" * 500}}["data"]


def test_gzip_bomb_is_refused_by_decompressed_size(httpx_mock: Any) -> None:
    inner = b'{"data": {"x": "' + b"0" * (50 * 1024 * 1024) + b'"}}'
    bomb = gzip.compress(inner)
    assert len(bomb) < 100_000
    pieces = [bomb[i : i + 4096] for i in range(0, len(bomb), 4096)]
    httpx_mock.add_response(stream=IteratorStream(pieces), headers={"Content-Encoding": "gzip"})
    with pytest.raises(TransportError, match="limit"):
        post(transport(max_response_size=1024 * 1024))


def test_gzip_answer_under_the_cap_is_decoded(httpx_mock: Any) -> None:
    body = gzip.compress(json.dumps({"data": {"ok": True}}).encode())
    httpx_mock.add_response(stream=IteratorStream([body]), headers={"Content-Encoding": "gzip"})
    assert post(transport()) == {"ok": True}


def test_unknown_content_encoding_is_refused(httpx_mock: Any) -> None:
    httpx_mock.add_response(content=b"????", headers={"Content-Encoding": "compress"})
    with pytest.raises(TransportError, match="Content-Encoding"):
        post(transport())


@pytest.mark.parametrize(
    "options",
    [
        {"max_response_size": 0},
        {"max_response_size": -5},
        {"max_response_size": 1.5},
        {"call_timeout": 0},
        {"call_timeout": -1.0},
        {"call_timeout": "10"},
    ],
)
def test_bad_bounds_are_validation_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, **options)
    assert next(iter(options)) in str(info.value)


def test_bounds_are_keyword_options_of_both_clients(fake_gql: FakeGraphQL) -> None:
    for cls in (GWCloud, AsyncGWCloud):
        params = inspect.signature(cls.__init__).parameters
        for name in ("call_timeout", "max_response_size"):
            assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
    gw = GWCloud(
        endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, call_timeout=5, max_response_size=1234
    )
    assert (gw.client.call_timeout, gw.client.max_response_size) == (5, 1234)

    async def make() -> AsyncTransport:
        agw = AsyncGWCloud(
            endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT, call_timeout=None, max_response_size=9
        )
        await agw.aclose()
        return agw.client

    client = asyncio.run(make())
    assert (client.call_timeout, client.max_response_size) == (None, 9)


# -- page cursors -------------------------------------------------------------------------------


def test_repeated_cursor_stops_the_walk(fake_gql: FakeGraphQL) -> None:
    fake_gql.on(
        "PublicBilbyJobs",
        {"data": {"publicBilbyJobs": connection([job_node(1)], has_next=True, cursor="same")}},
    )
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    with pytest.raises(TransportError, match="cursor 'same' twice"):
        gw.get_official_job_list()
    assert 2 <= len(fake_gql.calls) <= 3


def test_endless_empty_pages_stop_the_walk(fake_gql: FakeGraphQL) -> None:
    pages = iter(range(1000))
    fake_gql.on(
        "PublicBilbyJobs",
        lambda _v, _r: {
            "data": {"publicBilbyJobs": connection([], has_next=True, cursor=f"c{next(pages)}")}
        },
    )
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    with pytest.raises(TransportError, match="empty pages"):
        gw.get_official_job_list()
    assert len(fake_gql.calls) <= 20


def test_distinct_cursors_still_walk_every_page(fake_gql: FakeGraphQL) -> None:
    def page(variables: dict[str, Any], _r: Any) -> dict[str, Any]:
        after = variables.get("after")
        index = 0 if after is None else int(after[1:])
        last = index == 2
        nodes = [job_node(index * 10 + i) for i in range(3)]
        return {
            "data": {
                "publicBilbyJobs": connection(nodes, has_next=not last, cursor=f"c{index + 1}")
            }
        }

    fake_gql.on("PublicBilbyJobs", page)
    gw = GWCloud(endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    assert len(gw.get_official_job_list()) == 9


# -- the secret registry ------------------------------------------------------------------------


def _renewing_auth(count: int) -> tuple[JWTAuth, list[tuple[str, str]]]:
    pairs: list[tuple[str, str]] = []

    def mint(_stale: str | None = None) -> tuple[str, str]:
        n = len(pairs)
        pair = (f"eyJhbGciOiJIUzI1NiJ9.eyJuIjo{n:08d}.sig{n:08d}sig", f"refresh-{n:08d}-tail")
        pairs.append(pair)
        return pair

    auth = JWTAuth(mint, mint)
    jwt = auth.current_jwt()
    for _ in range(count):
        jwt = auth.current_jwt(stale=jwt)
    return auth, pairs


def test_jwt_renewals_keep_the_registry_bounded() -> None:
    gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
    before = registered_secret_count()
    auth, pairs = _renewing_auth(30_000)
    assert auth.renewals == 30_001
    # The current and the previous JWT and refresh token: four entries, not 60,002.
    assert registered_secret_count() - before <= 4
    jwt, refresh = pairs[-1]
    old_jwt, old_refresh = pairs[-2]
    text = f"a {jwt} b {refresh} c {old_jwt} d {old_refresh} e {pairs[0][0]}"
    cleaned = redact(text)
    for secret in (jwt, refresh, old_jwt, old_refresh, pairs[0][0]):
        assert secret not in cleaned
    del auth
    gc.collect()
    assert registered_secret_count() == before


def test_registry_forgets_a_collected_owner() -> None:
    class Owner:
        pass

    gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
    before = registered_secret_count()
    owner = Owner()
    register_secret("upload-token-aaaa", owner=owner, slot="upload")
    register_secret("upload-token-bbbb", owner=owner, slot="upload")
    register_secret("upload-token-cccc", owner=owner, slot="upload")
    assert registered_secret_count() == before + 2
    assert redact("upload-token-bbbb upload-token-cccc") == "*** ***"
    del owner
    gc.collect()
    assert registered_secret_count() == before


def test_unowned_secrets_are_deduplicated() -> None:
    gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
    before = registered_secret_count()
    for _ in range(1000):
        register_secret(SENTINEL_TOKEN)
    assert registered_secret_count() <= before + 1
    assert SENTINEL_TOKEN not in redact(f"token={SENTINEL_TOKEN}")


def test_authenticated_client_renewals_stay_bounded(fake_gql: FakeGraphQL) -> None:
    count = iter(range(10_000))

    def pair() -> tuple[str, str]:
        n = next(count)
        return f"eyJhbGciOiJIUzI1NiJ9.eyJuIjo{n:08d}.c2ln{n:08d}", f"refresh-{n:08d}-token"

    fake_gql.on("JwtToken", lambda _v, _r: jwt_answer(*pair()))

    def refreshed(_v: Any, _r: Any) -> dict[str, Any]:
        jwt, refresh = pair()
        return {"data": {"refreshToken": {"token": jwt, "refreshToken": refresh}}}

    fake_gql.on("RefreshToken", refreshed)
    gw = GWCloud(SENTINEL_TOKEN, endpoint=ENDPOINT, auth_endpoint=AUTH_ENDPOINT)
    gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
    before = registered_secret_count()
    assert gw._jwt is not None
    jwt = gw._jwt.current_jwt()
    for _ in range(300):
        jwt = gw._jwt.current_jwt(stale=jwt)
    assert fake_gql.names().count("RefreshToken") == 300
    assert registered_secret_count() <= before + 2


def test_deadline_timers_do_not_pile_up(httpx_mock: Any) -> None:
    """Each call's deadline timer is dropped when the call ends, not 600 s later."""
    from gwcloud_python._transport import _WATCHDOG

    httpx_mock.add_response(json={"data": {"ok": True}}, is_reusable=True)
    t = transport(call_timeout=600.0)
    for _ in range(2000):
        assert post(t) == {"ok": True}
    assert len(_WATCHDOG._heap) < 200
