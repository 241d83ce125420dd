"""What `quiz serve` lets in: allowed origins, session limits, connection rates, sizes.

Pure policy with an injected clock, no web framework: the server asks these objects
and turns their answers into HTTP responses and websocket close messages.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
"""Names a browser on the server's own machine may use for a loopback address."""


class BadOrigin(ValueError):
    """An --allow-origin or --public-url value that is not an http(s) origin."""


def origin_of(url: str) -> str:
    """The origin of a URL as browsers send it: ``scheme://host[:port]``, lower case.

    The default port of the scheme is left out, as browsers leave it out of ``Origin``.

    Raises:
        BadOrigin: the URL is not http or https, or has no host.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise BadOrigin(f"{url!r} is not an http(s) address such as https://quiz.example.edu")
    try:
        port = parts.port
    except ValueError as exc:
        raise BadOrigin(f"{url!r} has a bad port") from exc
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


@dataclass(frozen=True)
class OriginPolicy:
    """The origins whose pages may open the app, and the Host names the server answers to.

    A browser sends ``Origin`` with every websocket handshake, so checking it stops a
    page on another site from opening (and reading) a learner's session; checking
    ``Host`` stops a hostile DNS name that points at the server (DNS rebinding).
    """

    origins: frozenset[str]

    @classmethod
    def build(cls, public_url: str, allowed: Iterable[str] = ()) -> OriginPolicy:
        """The public URL's origin, the extra allowed ones, and loopback aliases.

        A server whose public address is a loopback one is also reached as
        ``localhost``, ``127.0.0.1`` and ``[::1]`` on the same port.
        """
        origins = {origin_of(public_url), *(origin_of(o) for o in allowed)}
        for origin in list(origins):
            parts = urlsplit(origin)
            host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
            if host in LOOPBACK_NAMES:
                rest = origin.split(host, 1)[1]  # ":port" or ""
                origins.update(f"{parts.scheme}://{name}{rest}" for name in LOOPBACK_NAMES)
        return cls(frozenset(origins))

    def host_ok(self, host: str | None) -> bool:
        """Whether a ``Host`` header names this server (by any of its allowed origins)."""
        if not host:
            return False
        for scheme in ("http", "https"):  # a proxy may end TLS: either scheme may match
            try:
                if origin_of(f"{scheme}://{host}") in self.origins:
                    return True
            except BadOrigin:
                return False
        return False

    def origin_ok(self, origin: str | None) -> bool:
        """Whether a request's ``Origin`` may use the app.

        A request without ``Origin`` comes from no web page (browsers send it on every
        websocket handshake), so it is no cross-site request and the Host check decides.
        """
        if origin is None:
            return True
        try:
            return origin_of(origin) in self.origins
        except BadOrigin:
            return False


@dataclass(frozen=True)
class Limits:
    """Bounds on what one server gives its browsers. Each is a `quiz serve` option."""

    max_sessions: int = 100
    """Open sessions (browser tabs, one app process each) on the whole server."""
    max_per_learner: int = 3
    """Open sessions of one learner."""
    per_minute: int = 20
    """New sessions one client may open per minute (by learner behind a proxy, else by address)."""
    idle_minutes: float = 30.0
    """Minutes without a key press after which a session is ended (answers are already saved)."""
    max_width: int = 240
    """Terminal columns a browser may ask for; more are clamped."""
    max_height: int = 80
    """Terminal rows a browser may ask for; more are clamped."""

    def clamp(self, width: int | None, height: int | None) -> tuple[int, int]:
        """A terminal size within bounds; missing values take 80x24."""
        w = 80 if width is None else width
        h = 24 if height is None else height
        return max(20, min(w, self.max_width)), max(8, min(h, self.max_height))


@dataclass
class RateLimiter:
    """At most ``per_minute`` events per key in any 60 seconds (a sliding window).

    Memory is bounded: keys whose events have all left the window are forgotten.
    """

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict, init=False)

    @property
    def clients(self) -> int:
        """Clients with events in the window (what the limiter holds in memory)."""
        return len(self._events)

    def allow(self, key: str) -> bool:
        now = self.clock()
        self._forget_before(now - 60.0)
        events = self._events.setdefault(key, deque())
        if len(events) >= self.per_minute:
            return False
        events.append(now)
        return True

    def _forget_before(self, cutoff: float) -> None:
        for key in list(self._events):
            events = self._events[key]
            while events and events[0] <= cutoff:
                events.popleft()
            if not events:
                del self._events[key]


@dataclass
class Sessions:
    """Open sessions by learner, within the server's limits."""

    limits: Limits
    _open: dict[str, int] = field(default_factory=dict, init=False)

    @property
    def total(self) -> int:
        return sum(self._open.values())

    def refusal(self, learner: str) -> str | None:
        """Why a new session of this learner cannot open now, or None if it can."""
        if self.total >= self.limits.max_sessions:
            return "The server is full. Try again in a minute."
        if self._open.get(learner, 0) >= self.limits.max_per_learner:
            tabs = self.limits.max_per_learner
            return (
                f"You already have {tabs} quiz {'tab' if tabs == 1 else 'tabs'} open. "
                "Close one, then reload this page."
            )
        return None

    def open(self, learner: str) -> str | None:
        """Count a new session, or say why it cannot open."""
        reason = self.refusal(learner)
        if reason is None:
            self._open[learner] = self._open.get(learner, 0) + 1
        return reason

    def close(self, learner: str) -> None:
        left = self._open.get(learner, 0) - 1
        if left > 0:
            self._open[learner] = left
        else:
            self._open.pop(learner, None)
