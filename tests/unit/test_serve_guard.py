"""`quiz serve`'s policy: which origins and hosts are let in, and the session limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.web.guard import BadOrigin, Limits, OriginPolicy, RateLimiter, Sessions, origin_of


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Quiz.Example.edu/", "https://quiz.example.edu"),
        ("https://quiz.example.edu:443/path", "https://quiz.example.edu"),
        ("http://quiz.example.edu:80", "http://quiz.example.edu"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8000/", "http://[::1]:8000"),
    ],
)
def test_origins_are_written_as_browsers_send_them(url: str, origin: str) -> None:
    assert origin_of(url) == origin


@pytest.mark.parametrize("url", ["quiz.example.edu", "ftp://x.edu", "http://", "http://x:99999"])
def test_an_address_that_is_no_web_origin_is_refused(url: str) -> None:
    with pytest.raises(BadOrigin):
        origin_of(url)


def test_only_the_public_origin_and_the_allowed_ones_may_open_the_app() -> None:
    policy = OriginPolicy.build("https://quiz.example.edu", ["https://lms.example.edu"])
    assert policy.origin_ok("https://quiz.example.edu")
    assert policy.origin_ok("https://lms.example.edu")
    assert policy.origin_ok(None)  # no web page: the Host check decides
    for foreign in (
        "http://evil.example",
        "http://quiz.example.edu",  # the same name without TLS is another origin
        "https://quiz.example.edu.evil.example",
        "https://quiz.example.edu:8443",
        "null",
        "",
    ):
        assert not policy.origin_ok(foreign), foreign


def test_the_host_header_must_name_the_server() -> None:
    policy = OriginPolicy.build("https://quiz.example.edu")
    assert policy.host_ok("quiz.example.edu")
    assert policy.host_ok("QUIZ.example.edu:443")
    assert not policy.host_ok("evil.example")  # DNS rebinding: a hostile name, our address
    assert not policy.host_ok("quiz.example.edu:8000")
    assert not policy.host_ok(None)
    assert not policy.host_ok("")


def test_a_loopback_server_answers_to_each_loopback_name_on_its_port() -> None:
    policy = OriginPolicy.build("http://127.0.0.1:8000")
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert policy.host_ok(f"{name}:8000")
        assert policy.origin_ok(f"http://{name}:8000")
    assert not policy.host_ok("localhost:8001")
    assert not policy.origin_ok("http://localhost:8001")  # another local server's page


def test_rate_limit_is_a_sliding_minute_per_client() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")  # another client has its own budget
    now[0] = 59.9
    assert not limiter.allow("a")
    now[0] = 60.1
    assert limiter.allow("a")


def test_rate_limiter_forgets_clients_whose_minute_has_passed() -> None:
    now = [0.0]
    limiter = RateLimiter(1, clock=lambda: now[0])
    for i in range(1000):
        limiter.allow(f"client{i}")
    now[0] = 61.0
    limiter.allow("late")
    assert limiter.clients == 1


def test_sessions_are_limited_per_learner_and_in_all() -> None:
    sessions = Sessions(Limits(max_sessions=3, max_per_learner=2))
    assert sessions.open("ann") is None
    assert sessions.open("ann") is None
    assert "2 quiz tabs open" in (sessions.open("ann") or "")
    assert sessions.open("bob") is None
    assert sessions.refusal("cy") == "The server is full. Try again in a minute."
    sessions.close("ann")
    assert sessions.open("cy") is None
    assert sessions.total == 3


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9))
def test_a_terminal_size_is_always_clamped_within_bounds(width: int, height: int) -> None:
    limits = Limits(max_width=240, max_height=80)
    w, h = limits.clamp(width, height)
    assert 20 <= w <= 240
    assert 8 <= h <= 80
    if 20 <= width <= 240 and 8 <= height <= 80:
        assert (w, h) == (width, height)


def test_a_missing_size_is_the_classic_terminal() -> None:
    assert Limits().clamp(None, None) == (80, 24)
