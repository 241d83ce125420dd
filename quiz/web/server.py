"""The web server behind `quiz serve`: textual-serve's server, guarded and bounded.

textual-serve runs a command for every browser connection and relays the terminal
over a websocket. quiz extends it through its public parts only: the ``Server``
handlers it overrides (the page and the websocket), ``AppService``'s public
methods and hooks, and its own page template. The websocket handler is quiz's own:
it checks where the connection comes from, counts sessions, clamps the terminal
size, ends idle sessions, and tells the browser in words when a session cannot
start or has stopped (the page shows the websocket's close reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from quiz.web.guard import Limits, OriginPolicy, RateLimiter, Sessions

log = logging.getLogger("quiz.serve")

TEMPLATES = Path(__file__).with_name("templates")

# Close codes 4000-4999 are the application's own; the page shows the reason of these.
REFUSED = 4003
FULL = 4008
IDLE = 4010
CRASHED = 4500

START_SECONDS = 30.0
"""Longest wait for one app's first screen before the next app may start."""
HEARTBEAT = 30.0
"""Seconds between pings of an idle websocket; a pong must come within half of it."""

MAX_MESSAGE = 64 * 1024
"""Largest websocket message a browser may send (a key press or a paste)."""

SECURITY_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
"""No other site may frame the app (clickjacking) or learn its address."""


@dataclass(frozen=True)
class Access:
    """Who may connect, and as whom."""

    policy: OriginPolicy
    command_for: Callable[[str], str]
    """The shell command that runs the app for a learner."""
    learner: str | None
    """The one learner of this server, or None when a proxy's header names each one."""
    learner_header: str | None
    header_learner: Callable[[str | None], str | None]


class QuizAppService(AppService):
    """textual-serve's app service, telling apart an app that quit from one that died."""

    def __init__(self, command: str, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.ended = asyncio.Event()
        """Set when the app process has finished (its output is closed)."""
        self.quit = False
        """The app said it was exiting (textual's "exit" message): it ended normally."""
        self.drawn = asyncio.Event()
        """Set when the app has drawn its first screen."""

    async def on_data(self, payload: bytes) -> None:
        self.drawn.set()
        await super().on_data(payload)

    async def on_meta(self, data: bytes) -> None:
        with contextlib.suppress(ValueError, AttributeError):
            if json.loads(data).get("type") == "exit":
                self.quit = True
        await super().on_meta(data)

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            self.ended.set()


class QuizServer(Server):
    """textual-serve's server with quiz's page, access checks and limits."""

    def __init__(
        self,
        access: Access,
        limits: Limits,
        *,
        host: str,
        port: int,
        public_url: str,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(
            access.command_for(access.learner or "-"),
            host=host,
            port=port,
            title="quiz",
            public_url=public_url,
            templates_path=TEMPLATES,
        )
        self.access = access
        self.limits = limits
        self.sessions = Sessions(limits)
        self.starting = asyncio.Semaphore(2 * (os.cpu_count() or 1))
        self.rates = RateLimiter(limits.per_minute, clock or time.monotonic)

    async def on_startup(self, app: web.Application) -> None:
        log.info(
            "quiz: serving on %s (at most %d sessions, %d per learner)",
            self.public_url,
            self.limits.max_sessions,
            self.limits.max_per_learner,
        )

    def _page_config(self) -> dict[str, dict[str, str]]:
        return {"static": {"url": f"{self.public_url}/static/"}}

    def _learner(self, request: web.Request) -> str:
        """The learner of a request, after the Host and Origin checks; raises 403 if none."""
        if not self.access.policy.host_ok(request.host):
            log.warning("refused a request for host %r from %s", request.host, request.remote)
            raise web.HTTPForbidden(text="quiz: this server is not reached by that name\n")
        origin = request.headers.get("Origin")
        if not self.access.policy.origin_ok(origin):
            log.warning("refused a request from origin %r (%s)", origin, request.remote)
            raise web.HTTPForbidden(text="quiz: pages of other sites may not open this app\n")
        if self.access.learner_header is None:
            assert self.access.learner is not None
            return self.access.learner
        name = self.access.header_learner(request.headers.get(self.access.learner_header))
        if name is None:
            raise web.HTTPForbidden(text=f"quiz: no valid {self.access.learner_header} header\n")
        return name

    def _client(self, request: web.Request, learner: str) -> str:
        """Whom the rate limit counts: the learner behind a proxy, else the address."""
        if self.access.learner_header is not None:
            return f"learner:{learner}"
        return f"address:{request.remote}"

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        learner = self._learner(request)
        reason = self.sessions.refusal(learner)
        response: web.StreamResponse
        if reason is not None:
            response = aiohttp_jinja2.render_template(
                "message.html",
                request,
                {"title": "quiz", "message": reason, "config": self._page_config()},
                status=503,
            )
            response.headers["Retry-After"] = "60"
        else:
            response = await super().handle_index(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        learner = self._learner(request)
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE)
        await websocket.prepare(request)
        if not self.rates.allow(self._client(request, learner)):
            log.warning("refused a session of %s: too many new sessions a minute", learner)
            await _close(websocket, FULL, "Too many new sessions. Wait a minute, then reload.")
            return websocket
        reason = self.sessions.open(learner)
        if reason is not None:
            log.warning("refused a session of %s: %s", learner, reason)
            await _close(websocket, FULL, reason)
            return websocket
        try:
            await self._run_session(request, websocket, learner)
        finally:
            self.sessions.close(learner)
            log.info("session of %s closed (%d open)", learner, self.sessions.total)
        return websocket

    async def _run_session(
        self, request: web.Request, websocket: web.WebSocketResponse, learner: str
    ) -> None:
        width, height = self.limits.clamp(
            _int(request.query.get("width")), _int(request.query.get("height"))
        )

        async def close() -> None:
            await websocket.close()

        service = QuizAppService(
            self.access.command_for(learner),
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=close,
            download_manager=self.download_manager,
            debug=self.debug,
        )
        log.info("session of %s opened (%d open)", learner, self.sessions.total)
        async with self.starting:
            # A class opening quiz at once would start every app process together and
            # starve the relay of CPU (measured: at 60 sessions on 2 cores, websockets
            # missed their heartbeat). Apps start a few at a time; the rest see the
            # loading screen a little longer.
            try:
                await service.start(width, height)
            except OSError as exc:  # no process could be started (memory, process limit)
                await self._crashed(websocket, learner, f"could not start: {exc}")
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(service.drawn, service.ended), START_SECONDS)
        relay = asyncio.create_task(self._relay(websocket, service))
        ended = asyncio.create_task(service.ended.wait())
        try:
            done, _ = await asyncio.wait({relay, ended}, return_when=asyncio.FIRST_COMPLETED)
            if relay in done and relay.result() == "idle":
                log.info(
                    "session of %s ended after %g idle minutes", learner, self.limits.idle_minutes
                )
                await _close(
                    websocket,
                    IDLE,
                    f"Ended after {self.limits.idle_minutes:g} minutes without a key press. "
                    "Your answers are saved.",
                )
            elif relay not in done and not service.quit:
                await self._crashed(websocket, learner, "its error output is above")
        finally:
            relay.cancel()
            ended.cancel()
            await service.stop()
            if not websocket.closed:
                await websocket.close()

    async def _crashed(self, websocket: web.WebSocketResponse, learner: str, why: str) -> None:
        """Log a session that stopped unexpectedly, and tell its page with the same code."""
        incident = secrets.token_hex(3)
        log.error("session of %s stopped unexpectedly [%s]; %s", learner, incident, why)
        await _close(
            websocket,
            CRASHED,
            "quiz stopped unexpectedly. Reload to try again; if it happens again, "
            f"tell your instructor: error {incident}.",
        )

    async def _relay(self, websocket: web.WebSocketResponse, service: AppService) -> str:
        """Pass the browser's keys, size and focus to the app until the browser leaves.

        Returns "idle" when no key has been pressed for the idle limit, else "left".
        The messages are textual-serve's browser protocol: ``["stdin", text]``,
        ``["resize", {"width": w, "height": h}]``, ``["ping", data]``, ``["blur"]``,
        ``["focus"]``.
        """
        loop = asyncio.get_running_loop()
        idle = self.limits.idle_minutes * 60.0
        deadline = loop.time() + idle
        while True:
            try:
                message = await asyncio.wait_for(websocket.receive(), deadline - loop.time())
            except TimeoutError:
                return "idle"
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return "left"
            if message.type == WSMsgType.ERROR:
                return "left"
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
                kind, data = envelope[0], (envelope[1] if len(envelope) > 1 else None)
            except (ValueError, TypeError, IndexError, KeyError):
                continue  # not the page's protocol: ignored
            if kind == "stdin" and isinstance(data, str):
                deadline = loop.time() + idle
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                width, height = self.limits.clamp(_int(data.get("width")), _int(data.get("height")))
                await service.set_terminal_size(width, height)
            elif kind == "ping" and isinstance(data, str) and len(data) <= 64:
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()


async def _first(*events: asyncio.Event) -> None:
    """Wait until any of the events is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def _close(websocket: web.WebSocketResponse, code: int, reason: str) -> None:
    """Close with a reason the page shows (a close reason holds at most 123 bytes)."""
    data = reason.encode("utf-8")
    if len(data) > 123:
        data = data[:120].decode("utf-8", "ignore").encode("utf-8") + b"..."
    await websocket.close(code=code, message=data)


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    return None
