"""The secret registry stays bounded however often a session is renewed.

Every JWT renewal registers a new JWT and refresh token for masking.  They
are registered in slots of their auth flow, so a renewal replaces the pair
before last instead of adding to a set that only grows (which made masking
cost rise with every renewal).  The JWT a renewal replaced stays masked, as a
request sent with it may still fail afterwards; any older JWT is still masked
by its shape.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING, Any

import pytest

from gwcloud_python import GWCloud, GWCloudError
from gwcloud_python._auth import JWTAuth
from gwcloud_python._errors import redact, registered_secret_count

from ._helpers import assert_no_secrets

if TYPE_CHECKING:
    from .conftest import Recorder, ReliabilityServer

GROUP = "Secrets"
INVARIANT = "registry bounded over renewals; current and replaced JWT masked"
RENEWALS = 30_000


def test_30000_renewals_leave_a_bounded_registry(rel: Recorder) -> None:
    rel.classify(GROUP, "30,000 JWT renewals", INVARIANT)
    minted: list[tuple[str, str]] = []

    def mint(_old: str | None = None) -> tuple[str, str]:
        n = len(minted)
        minted.append((f"eyJhbGciOiJIUzI1NiJ9.eyJuIjoi{n:010d}.c2lnbmF0dXJl{n:010d}", f"r{n:040d}"))
        return minted[-1]

    gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
    before = registered_secret_count()
    auth = JWTAuth(mint, mint)
    jwt = auth.current_jwt()
    for _ in range(RENEWALS):
        jwt = auth.current_jwt(stale=jwt)
    assert len(minted) == RENEWALS + 1
    assert registered_secret_count() - before <= 4  # was 2 * 30,001
    (jwt, refresh), (old_jwt, old_refresh) = minted[-1], minted[-2]
    message = f"failed with {jwt} / {old_jwt} / {refresh} / {old_refresh} / {minted[0][0]}"
    error = GWCloudError(message)
    assert_no_secrets([str(error), repr(error), redact(message)], [jwt, old_jwt, minted[0][0]])
    assert refresh not in str(error) and old_refresh not in str(error)
    del auth
    gc.collect()
    assert registered_secret_count() == before
    rel.nothing_lost()


def test_real_renewals_against_the_local_server(
    rel: Recorder,
    server: ReliabilityServer,
    demo: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    rel.classify(GROUP, "renewals against the local server", INVARIANT)
    caplog.set_level(logging.DEBUG)
    gw = GWCloud(
        demo["users"]["demo"],
        auth_endpoint=server.auth_endpoint,
        endpoint=server.endpoint,
        progress=False,
    )
    try:
        assert gw._jwt is not None
        gc.collect()  # owners left by earlier tests are forgotten now, not mid-test
        before = registered_secret_count()
        seen: list[str] = []
        for _ in range(25):
            server.expire_jwts()
            gw.get_user_jobs(1)
            seen.append(gw._jwt._jwt or "")
        assert gw._jwt.renewals >= 25
        assert registered_secret_count() <= before + 2
        logs = [record.getMessage() for record in caplog.records]
        assert_no_secrets([*logs, redact(" ".join(seen[-2:]))], seen[-2:])
    finally:
        gw.close()
    rel.nothing_lost()
