"""The httpx/httpcore internals the transport relies on are where it expects them."""

from __future__ import annotations

import httpcore
import httpx
import pytest

from gwcloud_python import _httpx_internals as internals


def test_every_internal_in_use_is_there() -> None:
    internals.self_test()


def test_a_moved_client_attribute_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(httpx.Client, "_transport_for_url")
    with pytest.raises(RuntimeError) as info:
        internals.self_test()
    message = str(info.value)
    assert "httpx.Client._transport_for_url" in message
    assert httpx.__version__ in message and httpcore.__version__ in message


def test_a_moved_pool_attribute_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    real_init = httpcore.ConnectionPool.__init__

    def without_backend(self: httpcore.ConnectionPool, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        del self._network_backend

    monkeypatch.setattr(httpcore.ConnectionPool, "__init__", without_backend)
    with pytest.raises(RuntimeError, match=r"httpcore\.ConnectionPool\._network_backend"):
        internals.self_test()


def test_a_moved_module_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(internals, "_SYNC_STREAM", ("httpcore._backends.sync", "Gone"))
    with pytest.raises(RuntimeError, match=r"httpcore\._backends\.sync\.Gone"):
        internals.self_test()


def test_callers_degrade_when_the_pool_is_not_httpx_own() -> None:
    # A mock transport has no httpcore pool: nothing is installed, nothing breaks.
    with httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        assert internals.direct_pool(client) is None
        assert internals.install_network_backend(client, lambda inner: inner) is None
        request = client.build_request("GET", "http://gwcloud.invalid/")
        internals.interrupt_request(client, request)  # finds nothing, raises nothing
