"""Who may use the review server, and the limits every response and request obey.

- **Token and session.** The server has a secret token (``--token``, or a random one printed at
  start-up). Opening any page with ``?token=TOKEN`` sets a session cookie (HttpOnly,
  SameSite=Strict) and redirects to the same URL without the token. Every page, export and write
  needs that cookie; ``/healthz``, ``/static`` and ``/tiles`` do not. The cookie is
  ``SID.SIGNATURE`` with an HMAC made from the token, so the server keeps no session table and a
  restart with the same ``--token`` keeps sessions valid.
- **CSRF.** Each session has a token, ``HMAC(key, "csrf:" + SID)``, embedded in every form (a
  hidden ``csrf`` input) and in ``<meta name="csrf-token">``; a POST must send it (form field
  ``csrf`` or header ``X-CSRF-Token``), compared with :func:`hmac.compare_digest`.
- **Body size.** Requests whose body is over ``max_body`` bytes get 413 before the body is read:
  by ``Content-Length``, or by counting the bytes of a chunked body as they arrive.
- **Headers.** Every response carries a Content-Security-Policy without inline scripts,
  ``nosniff``, ``no-referrer`` and ``DENY`` framing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

COOKIE = "eventcoder_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"

SECURITY_HEADERS = (
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Sessions:
    """Session cookies and CSRF tokens derived from the server's token."""

    def __init__(self, token: str):
        if not token:
            raise ValueError("the review server needs a non-empty token")
        self.token = token
        self._key = hmac.new(token.encode("utf-8"), b"eventcoder.web session key", hashlib.sha256).digest()

    def check_token(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def _sign(self, purpose: str, sid: str) -> str:
        return hmac.new(self._key, f"{purpose}:{sid}".encode(), hashlib.sha256).hexdigest()

    def new_cookie(self) -> str:
        sid = secrets.token_urlsafe(24)
        return f"{sid}.{self._sign('session', sid)}"

    def session_id(self, cookie: str | None) -> str | None:
        """The session id of a valid cookie value, else None."""
        if not cookie or "." not in cookie:
            return None
        sid, _, signature = cookie.rpartition(".")
        if not sid or not hmac.compare_digest(signature.encode(), self._sign("session", sid).encode()):
            return None
        return sid

    def csrf_token(self, sid: str) -> str:
        return self._sign("csrf", sid)

    def check_csrf(self, sid: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given).encode("utf-8"), self.csrf_token(sid).encode())


class _TooLarge(Exception):
    pass


def _too_large_page(max_body: int) -> bytes:
    return (
        "<!doctype html><meta charset=utf-8><title>Request too large</title>"
        f"<h1>Request too large</h1><p id=error>The request body is over {max_body:,} bytes, the limit of "
        "this server. Send less: one field at a time./p>"
    ).encode("utf-8")


class BodyLimit:
    """Refuse request bodies over ``max_body`` bytes with 413, before the application reads them."""

    def __init__(self, app: ASGIApp, max_body: int):
        self.app, self.max_body = app, max_body

    async def _refuse(self, send: Send) -> None:
        body = _too_large_page(self.max_body)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = self.max_body + 1  # unreadable: refuse rather than guess
                if declared > self.max_body:
                    await self._refuse(send)
                    return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send)


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` to every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", ())}
                headers = list(message.get("headers", ()))
                headers.extend((n, v) for n, v in SECURITY_HEADERS if n not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
