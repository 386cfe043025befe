"""Ported from gwdc-python 0.8.1.1 ``tests/test_gwdc_python.py`` and ``utils/tests/test_utils.py``.

gwdc-python's ``GWDC`` class (token exchange, JWT refresh, authorised requests) is
inside :class:`GWCloud` now.  Plumbing changed: ``requests_mock`` is pytest-httpx; the
``GWDC`` attributes 1.x read map to our private hooks (``jwt_token`` and
``refresh_token`` to the client's JWT flow, ``_refresh_access_token()`` to a refresh of
the current JWT); ``GWDC.request(query)``, which sent any query text, maps to a named
operation (``allEventIds``) whose answer plays 1.x's ``testResponse``; 1.x's
``custom_error_handler`` is how gwcloud-python 1.x turned ``GWDCAuthenticationError``
into ``GWCloudAuthenticationError``, which our client raises itself.  Expected values
are 1.x's.
"""

import json
from pathlib import Path

import pytest

from gwcloud_python import GWCloud, GWCloudAuthenticationError
from gwcloud_python.file_reference import _strip_anchor as remove_path_anchor

AUTH = "https://gwcloud.org.au/auth/graphql"
BILBY = "https://gwcloud.org.au/bilby/graphql"


# Set up possible data responses from auth server
def access_token_response():
    data = {"jwtToken": {"jwtToken": "mock_jwt_token", "refreshToken": "mock_refresh_token"}}
    return {"data": data}


def refresh_token_response():
    data = {
        "refreshToken": {
            "token": "mock_jwt_token_new",
            "refreshToken": "mock_refresh_token_new",
        }
    }
    return {"data": data}


# Set up possible error responses from auth server
def api_token_incorrect():
    errors = [{"message": "APIToken matching query does not exist."}]
    return {"errors": errors}


# Set up possible data responses from Bilby server ("testResponse": "mock_response")
def request_test_response():
    return {
        "data": {
            "allEventIds": [
                {
                    "eventId": "mock_response",
                    "triggerId": None,
                    "nickname": None,
                    "isLigoEvent": False,
                    "gpsTime": 1126259462.391,
                }
            ]
        }
    }


# Set up possible error responses from Bilby server
def access_token_expired():
    errors = [{"message": "Signature has expired"}]
    return {"errors": errors}


class Gwdc:
    """The 1.x ``GWDC`` attributes the tests read, over a :class:`GWCloud`."""

    def __init__(self, gw):
        self.gw = gw

    @property
    def jwt_token(self):
        return self.gw._jwt._jwt

    @property
    def refresh_token(self):
        return self.gw._jwt._refresh_token

    def _refresh_access_token(self):
        self.gw._jwt.current_jwt(stale=self.gw._jwt._jwt)

    def request(self, query, variables=None):
        events = self.gw.get_all_event_ids()
        return {"test_response": events[0].event_id}


@pytest.fixture
def setup_gwdc(httpx_mock):
    """Answer the auth and Bilby endpoints in turn, as 1.x's response lists did."""

    def _setup_gwdc(auth_responses=None, responses=None, error_handler=None, token="mock_token"):  # noqa: S107
        queues = {
            AUTH: [response() for response in (auth_responses or [])],
            BILBY: [response() for response in (responses or [])],
        }

        def answer(request):
            import httpx

            queue = queues[str(request.url)]
            return httpx.Response(200, json=queue.pop(0))

        httpx_mock.add_callback(answer, is_reusable=True, is_optional=True)
        return Gwdc(GWCloud(token=token, auth_endpoint=AUTH, endpoint=BILBY))

    return _setup_gwdc


# Test that GWDC will raise an GWDCAuthenticationError if the API Token cannot be found
def test_gwdc_api_token(setup_gwdc):
    with pytest.raises(GWCloudAuthenticationError):
        setup_gwdc(auth_responses=[api_token_incorrect])


# Test GWDC setup, obtaining initial access token
def test_gwdc_init(setup_gwdc):
    gwdc = setup_gwdc(auth_responses=[access_token_response])
    assert gwdc.jwt_token == "mock_jwt_token"
    assert gwdc.refresh_token == "mock_refresh_token"


# Test that refreshing token works
def test_gwdc_refresh(setup_gwdc):
    gwdc = setup_gwdc(auth_responses=[access_token_response, refresh_token_response])
    gwdc._refresh_access_token()
    assert gwdc.jwt_token == "mock_jwt_token_new"
    assert gwdc.refresh_token == "mock_refresh_token_new"


# Test that a token will be automatically refreshed if it has expired
def test_gwdc_request(setup_gwdc, httpx_mock):
    gwdc = setup_gwdc(
        auth_responses=[access_token_response, refresh_token_response],
        responses=[access_token_expired, request_test_response],
    )
    assert gwdc.jwt_token == "mock_jwt_token"
    assert gwdc.refresh_token == "mock_refresh_token"
    response = gwdc.request(query="query { testResponse }")
    assert gwdc.jwt_token == "mock_jwt_token_new"
    assert gwdc.refresh_token == "mock_refresh_token_new"
    assert response["test_response"] == "mock_response"

    # Authorization should have been provided in the headers
    assert "Authorization" in httpx_mock.get_requests()[-1].headers
    assert "X-Correlation-ID" not in httpx_mock.get_requests()[-1].headers


# Test that the client turns a refused token into its own error (1.x's custom handler)
def test_gwdc_custom_error_handling_token(setup_gwdc):
    with pytest.raises(GWCloudAuthenticationError):
        setup_gwdc(auth_responses=[api_token_incorrect])


# Test that creating an instance without a token works
def test_gwdc_no_token(setup_gwdc, httpx_mock):
    try:
        setup_gwdc(auth_responses=[], responses=[], token="")
    except json.decoder.JSONDecodeError:
        pytest.fail("Unexpected error when creating GWDC without a token")

    assert len(httpx_mock.get_requests()) == 0


# Test that requests still work correctly without providing a token
def test_gwdc_request_no_token(setup_gwdc, httpx_mock):
    gwdc = setup_gwdc(auth_responses=[], responses=[request_test_response], token="")

    response = gwdc.request(query="query { testResponse }")

    assert response["test_response"] == "mock_response"

    # Authorization should not have been provided in the headers
    assert "Authorization" not in httpx_mock.get_requests()[0].headers
    assert "X-Correlation-ID" in httpx_mock.get_requests()[0].headers


# Test that requests can accept arbitrary variables
def test_gwdc_request_variables(setup_gwdc, httpx_mock):
    gwdc = setup_gwdc(auth_responses=[], responses=[request_test_response] * 4, token="")

    response = gwdc.request(query="query { testResponse }")
    assert response["test_response"] == "mock_response"

    response = gwdc.request(query="query { testResponse }", variables=None)
    assert response["test_response"] == "mock_response"

    response = gwdc.request(query="query { testResponse }", variables={})
    assert response["test_response"] == "mock_response"

    response = gwdc.request(query="query { testResponse }", variables={"the hat": "the cat"})
    assert response["test_response"] == "mock_response"


# From utils/tests/test_utils.py: paths lose their anchor (FileReference uses this)
def test_remove_path_anchor():
    assert remove_path_anchor(Path("/a/test/absolute/path")) == Path("a/test/absolute/path")
    assert remove_path_anchor(Path("//another/test/absolute/path")) == Path(
        "another/test/absolute/path"
    )
    assert remove_path_anchor(Path("a/test/relative/path")) == Path("a/test/relative/path")
    assert remove_path_anchor(Path("./another/test/relative/path")) == Path(
        "another/test/relative/path"
    )
