"""The pure protocol decisions behind the hostile-server promises, tested without HTTP."""

from __future__ import annotations

import base64
import json
import math

import pytest
from yarl import URL

from krill_async import RetryPolicy
from krill_async._auth import token_expiry, token_lifetime
from krill_async._drift import DriftTracker
from krill_async._redirects import follow_redirect
from krill_async._secrets import scrub_error
from krill_async._urls import check_server_url, is_secret_param, rebase_link, redact_url, resolve_dot_segments
from krill_async.errors import (
    APIStatusError,
    LoginFailed,
    RedirectError,
    ResponseTooLarge,
    ServerError,
    Throttled,
    UnsafeURLError,
    status_error,
)

ROOT = URL("https://krill.example.net/")


def jwt(payload: object) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{body}.sig"


# -- redirects -----------------------------------------------------------------------------------------


def hop(method: str, status: int, url: str, location: str, history: tuple[URL, ...] | None = None):  # type: ignore[no-untyped-def]
    first = URL(url)
    return follow_redirect(
        method=method, status=status, url=first, location=location, root=ROOT, history=history or (first,)
    )


def test_django_append_slash_keeps_a_post_a_post_with_its_body() -> None:
    result = hop("POST", 301, "https://krill.example.net/api/v2/isp/cpes", "/api/v2/isp/cpes/")
    assert (result.method, result.keep_body, result.url.path) == ("POST", True, "/api/v2/isp/cpes/")


@pytest.mark.parametrize("status", [307, 308])
def test_307_and_308_keep_method_and_body(status: int) -> None:
    result = hop("PATCH", status, "https://krill.example.net/api/v2/isp/cpes/1/", "/api/v2/isp/cpes/2/")
    assert (result.method, result.keep_body) == ("PATCH", True)


@pytest.mark.parametrize("status", [301, 302, 303])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_write_redirected_elsewhere_is_refused_naming_the_location(method: str, status: int) -> None:
    with pytest.raises(RedirectError, match="/api/v2/other/") as info:
        hop(method, status, "https://krill.example.net/api/v2/isp/cpes/", "/api/v2/other/")
    assert info.value.location.endswith("/api/v2/other/")
    assert not info.value.transient


def test_the_slash_redirect_of_a_write_is_followed_once_only() -> None:
    first = URL("https://krill.example.net/api/v2/isp/cpes")
    second = URL("https://krill.example.net/api/v2/isp/cpes/")
    with pytest.raises(RedirectError):
        follow_redirect(
            method="POST", status=301, url=second, location="/api/v2/isp/cpes", root=ROOT, history=(first, second)
        )


def test_reads_follow_and_303_becomes_get() -> None:
    assert hop("GET", 302, "https://krill.example.net/api/v2/a/", "/api/v2/b/").method == "GET"
    assert hop("GET", 303, "https://krill.example.net/api/v2/a/", "/api/v2/b/").method == "GET"


def test_redirect_loops_and_chains_end_in_one_error() -> None:
    a = URL("https://krill.example.net/api/v2/a/")
    b = URL("https://krill.example.net/api/v2/b/")
    with pytest.raises(RedirectError, match="loop"):
        follow_redirect(method="GET", status=302, url=b, location="/api/v2/a/", root=ROOT, history=(a, b))
    chain = tuple(URL(f"https://krill.example.net/api/v2/p{i}/") for i in range(7))
    with pytest.raises(RedirectError, match="too many"):
        follow_redirect(method="GET", status=302, url=chain[-1], location="/api/v2/next/", root=ROOT, history=chain)


@pytest.mark.parametrize(
    "location",
    [
        "/admin/login/",
        "/api/v2/../../admin/",
        "/api/%2e%2e/admin/",
        "https://evil.example.org/api/v2/isp/cpes/",
        "https://user:pw@krill.example.net/api/v2/isp/cpes/",
    ],
)
def test_redirects_outside_the_api_or_with_credentials_are_refused(location: str) -> None:
    with pytest.raises(UnsafeURLError):
        hop("GET", 302, "https://krill.example.net/api/v2/isp/cpes/", location)


def test_a_redirect_without_usable_location_is_not_retried() -> None:
    with pytest.raises(RedirectError) as info:
        hop("GET", 302, "https://krill.example.net/api/v2/a/", "")
    assert RetryPolicy().decide("GET", 1, info.value) is None


# -- links ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "resolved"),
    [
        ("/api/v2/isp/cpes/", "/api/v2/isp/cpes/"),
        ("/api/v2/isp/cpes/../../../../admin/flush/", "/admin/flush/"),
        ("/api/v2/./isp/cpes/", "/api/v2/isp/cpes/"),
        ("/api/v2/%2E%2e/admin", "/api/admin"),
        ("/api/v2/isp/..", "/api/v2/"),
    ],
)
def test_dot_segments(path: str, resolved: str) -> None:
    assert resolve_dot_segments(path) == resolved


@pytest.mark.parametrize(
    "link",
    ["/api/v2/isp/cpes/../../../../admin/flush/", "/api/v2/%2e%2e/%2e%2e/admin/", "file:///etc/passwd", "", "ftp://x/"],
)
def test_links_that_leave_the_api_are_refused(link: str) -> None:
    with pytest.raises(UnsafeURLError):
        rebase_link(link, root=ROOT, request_url=URL("https://krill.example.net/api/v2/isp/cpes/"))


def test_links_are_rebased_and_stay_under_a_proxy_prefix() -> None:
    root = URL("https://gw.example.net/krill/")
    url = rebase_link("http://pre1:4280/api/v2/isp/cpes/?limit=5&offset=5", root=root, request_url=root)
    assert str(url) == "https://gw.example.net/krill/api/v2/isp/cpes/?limit=5&offset=5"
    with pytest.raises(UnsafeURLError):
        check_server_url(URL("https://gw.example.net/other/api/v2/"), root=root, what="link")


def test_secret_query_names_are_matched_by_pattern() -> None:
    for name in [
        "access_token",
        "refresh_token",
        "pppoe_password",
        "wifi_password",
        "api-key",
        "apikey",
        "jwt",
        "client_secret",
        "sessionid",
        "Password",
        "token",
        "key",
    ]:
        assert is_secret_param(name), name
    for name in ["limit", "offset", "attrs", "sn", "model", "monkey"]:
        assert not is_secret_param(name), name
    shown = redact_url("https://h/x?pppoe_password=hunter2&limit=3&api-key=k123")
    assert "hunter2" not in shown and "k123" not in shown and "limit=3" in shown


# -- retry and pause -----------------------------------------------------------------------------------


def test_a_huge_retry_after_never_pauses_longer_than_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=5)
    error = Throttled(retry_after=3600, status=429, method="GET", url="u")
    assert policy.pause_for(error) == 5
    assert policy.decide("GET", 1, error) is None  # not waited: raised so the caller decides


def test_retry_after_of_a_year_9999_date_is_capped() -> None:
    error = status_error(
        status=429, method="GET", url="u", body=b"", headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}
    )
    assert isinstance(error, Throttled) and error.retry_after is not None and error.retry_after > 1e9
    assert RetryPolicy(max_retry_after=2).pause_for(error) == 2


def test_a_503_retry_after_is_honoured_like_a_429() -> None:
    error = status_error(status=503, method="GET", url="u", body=b"", headers={"Retry-After": "1.5"})
    assert isinstance(error, ServerError) and error.retry_after == 1.5
    policy = RetryPolicy()
    assert policy.decide("GET", 1, error) == 1.5 and policy.pause_for(error) == 1.5


def test_what_is_never_retried() -> None:
    policy = RetryPolicy()
    assert policy.decide("GET", 1, ResponseTooLarge("x", limit=1)) is None
    assert policy.decide("GET", 1, LoginFailed("x")) is None
    assert policy.decide("POST", 1, ServerError(status=503, method="POST", url="u")) is None


# -- tokens --------------------------------------------------------------------------------------------


def test_absurd_expiry_claims_mean_unknown() -> None:
    assert token_expiry(jwt({"exp": 10**400})) is None
    assert token_expiry(jwt({"exp": "soon"})) is None
    deep = base64.urlsafe_b64encode(b'{"exp":' + b"[" * 5000 + b"]" * 5000 + b"}").decode().rstrip("=")
    assert token_expiry(f"h.{deep}.s") is None
    assert token_lifetime(jwt({"exp": 10**400, "iat": 0}), now=1.0) is None


def test_lifetime_is_measured_on_the_server_clock_when_iat_is_known() -> None:
    token = jwt({"iat": 1_000_000, "exp": 1_000_300})
    # the client clock two minutes fast, or an hour slow: the token still lives ~5 minutes
    assert token_lifetime(token, now=1_000_120) == 299
    assert token_lifetime(token, now=996_400) == 299
    assert token_lifetime(jwt({"exp": 2_000}), now=1_900) == 100
    assert token_lifetime(jwt({"exp": 1_000}), now=1_900) is None


# -- secrets -------------------------------------------------------------------------------------------


def test_scrubbing_masks_every_echoed_form_of_a_secret() -> None:
    secret = "s3cr3t/+token"
    b64 = base64.b64encode(secret.encode()).decode()
    body = json.dumps({"detail": f"bad header Bearer {secret}", "echo": b64, "esc": secret.replace("/", "\\/")})
    error = status_error(status=400, method="GET", url="u", body=body.encode(), headers={"X-Echo": f"Bearer {secret}"})
    error.__cause__ = ValueError(f"inner {secret}")
    scrub_error(error, [f"Bearer {secret}", secret])
    everything = str(error) + repr(error) + repr(error.body) + repr(error.headers) + repr(error.field_errors)
    everything += str(error.__cause__)
    assert secret not in everything and b64 not in everything and secret.replace("/", "\\/") not in everything
    assert "***" in everything
    assert isinstance(error, APIStatusError) and error.status == 400


# -- drift ---------------------------------------------------------------------------------------------


def test_drift_tracker_counts_neighbour_duplicates_in_any_order() -> None:
    tracker = DriftTracker(key="id", step=3, start=0, dedupe_neighbours=True)
    tracker.page(6, [{"id": 7}, {"id": 8}, {"id": 9}], 10)
    tracker.page(0, [{"id": 1}, {"id": 2}, {"id": 3}], 10)
    tracker.page(3, [{"id": 3}, {"id": 4}, {"id": 5}], 11)  # row 3 shifted forward by an insert
    tracker.page(9, [{"id": 9}, {"id": 10}], 11)
    report = tracker.report(yielded=11)
    assert report.duplicates_seen == 2 and report.count_at_start == 10 and report.count_at_end == 11
    assert report.changed and "consistent=True" in report.summary()
    assert not DriftTracker(key="id", step=3, start=0, dedupe_neighbours=True).report(yielded=0).changed


def test_drift_tracker_forgets_settled_pages() -> None:
    tracker = DriftTracker(key="id", step=2, start=0, dedupe_neighbours=True)
    for offset in range(0, 2000, 2):
        tracker.page(offset, [{"id": offset}, {"id": offset + 1}], 2000)
    assert len(tracker._keys) <= 2 and tracker.duplicates_seen == 0
    assert math.isfinite(float(tracker.count_at_end or 0))
