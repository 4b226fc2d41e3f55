"""Protection against other sites: Host allow-list, same-origin check and CSRF token, headers.

* **Host allow-list** (DNS rebinding): a request whose ``Host`` is not one of the names the server
  answers to (loopback names, the address it listens on, and ``--allow-host`` names) gets 400.
* **Same origin**: a state-changing request (POST) whose ``Origin`` (or, without one, ``Referer``)
  names another site, or that the browser marks ``Sec-Fetch-Site: cross-site``, gets 403.
* **CSRF token**: every state-changing request also carries a token bound to the client's cookie:
  the cookie ``sourcing_csrf`` holds a random value, the token is its HMAC under this server's
  secret; pages put it in a hidden form field, API clients read it from ``GET /api/csrf`` and send
  it as ``X-CSRF-Token`` (with the cookie).  Another site can neither read the cookie nor the token.
* **Headers**: a Content-Security-Policy without inline script, ``frame-ancestors 'none'``,
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` (a job's link, which is its key, is
  never sent to another site).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

COOKIE = "sourcing_csrf"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin"}


def host_name(host: str) -> str:
    """'example.org:8000' -> 'example.org'; '[::1]:8000' -> '::1' (lower case)."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(listen: str | None = None, extra=()) -> frozenset[str]:
    names = set(LOOPBACK)
    if listen and listen not in ("0.0.0.0", "::", ""):
        names.add(host_name(listen) if not listen.count(":") > 1 else listen.lower())
    names.update(h.strip().lower() for h in extra if h and h.strip())
    return frozenset(names)


class Csrf:
    """Token = HMAC-SHA256(secret, cookie value), hex."""

    def __init__(self, secret: bytes | None = None):
        self.secret = secret or secrets.token_bytes(32)

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(24)

    def token(self, cookie: str) -> str:
        return hmac.new(self.secret, cookie.encode(), hashlib.sha256).hexdigest()

    def valid(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token or len(cookie) > 100 or len(token) > 100:
            return False
        return hmac.compare_digest(self.token(cookie), token)


def same_origin(origin: str | None, referer: str | None, fetch_site: str | None, host: str, scheme: str) -> bool:
    """False when the browser says the request comes from another origin: ``Sec-Fetch-Site`` other than
    same-origin / none, an ``Origin`` (or, without one, a ``Referer``) naming another scheme, host or
    port, or ``Origin: null`` (an opaque origin) not vouched for by ``Sec-Fetch-Site: same-origin``."""
    site = (fetch_site or "").strip().lower()
    if site and site not in ("same-origin", "none"):
        return False
    if origin == "null":
        return site == "same-origin"
    source = origin or referer
    if not source:
        return True           # not a browser's cross-site request (browsers send Origin on cross-site POSTs)
    parts = urlsplit(source)
    return f"{parts.scheme}://{parts.netloc}".lower() == f"{scheme}://{host}".lower()


def token_client_class():
    """A Flask test client that sends the CSRF token with every state-changing request (fetched once
    from ``GET /api/csrf``, with its cookie), as a browser page or an API client does; for the
    robustness corpus and the tests.  ``csrf=False`` on a request sends none."""
    from flask.testing import FlaskClient

    class TokenClient(FlaskClient):
        _token = None

        def open(self, *args, **kwargs):
            send = kwargs.pop("csrf", True)
            method = (kwargs.get("method") or "GET").upper()
            if send and method in ("POST", "PUT", "PATCH", "DELETE"):
                if self._token is None:
                    self._token = super().open("/api/csrf").get_json()["token"]
                headers = dict(kwargs.get("headers") or {})
                headers.setdefault(HEADER, self._token)
                kwargs["headers"] = headers
            return super().open(*args, **kwargs)
    return TokenClient
