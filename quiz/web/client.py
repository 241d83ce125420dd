"""The browser page's side of `quiz serve`'s websocket, in Python (load tests, checks).

What the page sends: ``["stdin", text]`` for keys (and ``resize``, ``ping``, ``focus``,
``blur``); what it receives: the terminal's bytes, and a close code with a reason.
"""

from __future__ import annotations

import json
import time

import aiohttp


class Terminal:
    """One session as a page opens it: type keys, read what the app draws."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, timeout: float = 30.0) -> None:
        self.ws = ws
        self.timeout = timeout
        """Seconds one wait may take."""
        self.drawn = b""
        """What the app has drawn since the last key."""
        self.close_code: int | None = None
        self.close_reason = ""

    async def key(self, text: str) -> None:
        self.drawn = b""
        await self.ws.send_str(json.dumps(["stdin", text]))

    async def until(self, needle: bytes) -> None:
        """Read until the app has drawn `needle`.

        Raises:
            ConnectionError: the session closed first.
            TimeoutError: not drawn within the timeout.
        """
        deadline = time.monotonic() + self.timeout
        while needle not in self.drawn:
            if not await self._read(deadline):
                raise ConnectionError(
                    f"closed ({self.close_code}: {self.close_reason}) before {needle!r}"
                )

    async def closed(self) -> tuple[int | None, str]:
        """Read until the server closes the session; its close code and reason."""
        deadline = time.monotonic() + self.timeout
        while await self._read(deadline):
            pass
        return self.close_code, self.close_reason

    async def _read(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"nothing more within {self.timeout:g} s")
        message = await self.ws.receive(timeout=left)
        if message.type == aiohttp.WSMsgType.BINARY:
            self.drawn += message.data
            return True
        if message.type == aiohttp.WSMsgType.TEXT:
            return True
        self.close_code = self.ws.close_code
        self.close_reason = message.extra or ""
        return False
