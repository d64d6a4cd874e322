"""The one way to fetch a URL that a user gave us: public addresses only, bounded in time and size.

A URL from a user makes *our* machine send a request, so it must not reach what only our
machine can reach (loopback, the private network, the cloud metadata service). The host is
resolved once, every resolved address is checked, and the connection goes to an address that
was checked (urllib3 is handed the IP; Host and TLS SNI/certificate checks keep the name), so a
DNS answer that changes between check and connect cannot redirect us. Redirects are followed
here, each one checked like the first URL. One deadline covers the whole exchange (a server
that drips a byte a second is cut when it expires), and the size cap is counted while streaming.

Errors carry a code and say what was refused; they never quote the remote status text or an
exception, which would tell a scanner which internal ports answer.

Which addresses may be reached, and by whom, is core/addresses.py.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit

import urllib3

from core.addresses import AllowList, IPAddress
from core.errors import ApplicationError
from engines.errors import FramewiseError

CHUNK = 64 * 1024
MAX_REDIRECTS = 5
CONNECT_TIMEOUT = 10.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Framewise (+https://github.com/framewise)"


class OutboundError(FramewiseError):
    """A fetch that was refused (not transient) or did not complete (transient: a timeout, a 5xx)."""

    code = "url_unreachable"


_REFUSED = frozenset({"url_not_allowed", "url_invalid", "url_redirect_limit"})


def refusal(
    exc: OutboundError,
    *,
    field: str,
    unreachable_code: str = "url_unreachable",
    too_large_code: str = "url_too_large",
) -> ApplicationError:
    """The one translation of a fetcher error for the caller who gave the URL (`field` names it):
    refused URLs keep the fetcher's code, an answer over the size cap and an unreachable server get the
    surface's codes. Transient stays transient, so a worker retries a timeout and fails a refusal."""
    if exc.code in _REFUSED:
        return ApplicationError(f"The {field} is not allowed: {exc.message}", code=exc.code)
    if exc.code == "url_too_large":
        return ApplicationError(f"The {field} answered too much: {exc.message}", code=too_large_code, status=413)
    return ApplicationError(
        f"The {field} could not be fetched: {exc.message}", code=unreachable_code, transient=exc.transient
    )


@dataclass(frozen=True)
class FetchResult:
    status: int
    url: str  # after redirects
    headers: Mapping[str, str]  # lower-case names
    size: int
    content: bytes | None = None  # the body, when no sink was given


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the checked addresses its host resolved to."""

    url: str
    scheme: str
    host: str  # as in the URL, lower case, no brackets
    port: int
    request_target: str  # path and query
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundError("The URL cannot be parsed.", code="url_invalid", transient=False) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundError("Only http:// and https:// URLs can be fetched.", code="url_not_allowed", transient=False)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundError("The URL has no host name.", code="url_invalid", transient=False)
    if parts.username is not None or parts.password is not None:
        raise OutboundError(
            "URLs with a user name or password are not fetched.", code="url_not_allowed", transient=False
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), target


def _resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host stands for; numeric spellings (2130706433, 0177.0.0.1) included."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise OutboundError(
            f"The host name {host!r} could not be resolved.", code="url_unresolvable", transient=True
        ) from None
    addresses: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if address not in addresses:
                addresses.append(address)
    if not addresses:
        raise OutboundError(f"The host name {host!r} has no address.", code="url_unresolvable", transient=True)
    return addresses


def check_url(url: str, *, allow: AllowList | None = None) -> Target:
    """Parse and resolve `url`; raise `url_not_allowed` unless every address may be reached.

    `allow` is the caller's list (`allowed_for(purpose)`); without one only public addresses pass.
    """
    allow = allow if allow is not None else AllowList()
    scheme, host, port, request_target = _split(url)
    addresses = _resolve(host, port)
    for address in addresses:
        reason = allow.refusal(host, address)
        if reason is None:
            continue
        raise OutboundError(
            f"The host {host!r} is a {reason} address, which this server does not fetch from.",
            code="url_not_allowed",
            transient=False,
        )
    return Target(url, scheme, host.lower(), port, request_target, tuple(addresses))


class _Deadline:
    """One clock for a whole fetch; at expiry it shuts the open response's socket."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.expired = False
        self._response: urllib3.BaseHTTPResponse | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            self.expired = True
            raise _Expired
        return left

    def watch(self, response: urllib3.BaseHTTPResponse) -> None:
        self._response = response

    def _expire(self) -> None:
        self.expired = True
        if self._response is not None:
            with contextlib.suppress(Exception):  # the socket may already be gone
                self._response.shutdown()  # wakes a read blocked in another thread

    def cancel(self) -> None:
        self._timer.cancel()


class _Expired(Exception):
    pass


def _pool(target: Target, address: IPAddress, deadline: _Deadline) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=min(CONNECT_TIMEOUT, deadline.remaining()), read=deadline.remaining())
    if target.scheme == "https":
        # Connect to the checked IP, but send SNI and verify the certificate for the name.
        return urllib3.HTTPSConnectionPool(
            str(address),
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(str(address), target.port, timeout=timeout, retries=False, maxsize=1)


def _open(
    target: Target, method: str, body: bytes | None, headers: Mapping[str, str], deadline: _Deadline
) -> urllib3.BaseHTTPResponse:
    """Send the request to the first checked address that accepts a connection."""
    sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers, "Host": target.host_header}
    for address in target.addresses:
        pool = _pool(target, address, deadline)
        try:
            return pool.urlopen(
                method,
                target.request_target,
                body=body,
                headers=sent,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.HTTPError, OSError):
            pool.close()
            if deadline.expired:
                raise _Expired from None
    raise OutboundError(
        f"The server at {target.host_header} could not be reached.", code="url_unreachable", transient=True
    )


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    deadline: float,
    max_bytes: int,
    sink: BinaryIO | None = None,
    max_redirects: int = MAX_REDIRECTS,
    allow: AllowList | None = None,
    snippet: tuple[int, float] | None = None,
) -> FetchResult:
    """Send one request to a user-supplied URL and stream the answer into `sink` (or memory).

    The body of a 2xx answer is read; other answers are returned with their status and no body.
    Raises OutboundError: url_invalid, url_not_allowed, url_unresolvable, url_unreachable,
    url_timeout (the `deadline` in seconds covers everything), url_too_large (`max_bytes`),
    url_redirect_limit.

    `snippet=(bytes, seconds)`: the status is the answer and the body only a sample of it (a
    webhook receiver's reply): at most that many bytes are read, within that many seconds of
    their own, and whatever the body does then (too long, too slow, cut off) is no error.
    """
    clock = _Deadline(deadline)
    try:
        return _fetch(url, method, body, dict(headers or {}), clock, max_bytes, sink, max_redirects, allow, snippet)
    except _Expired:
        raise OutboundError(
            f"Fetching the URL took longer than {deadline:g} seconds.", code="url_timeout", transient=True
        ) from None
    finally:
        clock.cancel()


def _fetch(
    url: str,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    clock: _Deadline,
    max_bytes: int,
    sink: BinaryIO | None,
    max_redirects: int,
    allow: AllowList | None,
    snippet: tuple[int, float] | None = None,
) -> FetchResult:
    for _hop in range(max_redirects + 1):
        target = check_url(url, allow=allow)
        clock.remaining()
        response = _open(target, method, body, headers, clock)
        clock.watch(response)
        try:
            location = response.headers.get("Location")
            if response.status in REDIRECT_STATUSES and location:
                next_url = urljoin(url, location)
                if response.status == 303 or (response.status in (301, 302) and method == "POST"):
                    method, body = "GET", None
                if urlsplit(next_url).hostname != target.host:
                    headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
                url = next_url
                continue
            found = {name.lower(): value for name, value in response.headers.items()}
            if not 200 <= response.status < 300:
                return FetchResult(status=response.status, url=url, headers=found, size=0)
            if snippet is not None:
                sample = _sample(response, *snippet)
                return FetchResult(status=response.status, url=url, headers=found, size=len(sample), content=sample)
            size, content = _read(response, clock, max_bytes, sink, target)
            return FetchResult(status=response.status, url=url, headers=found, size=size, content=content)
        finally:
            response.close()
            response.release_conn()
    raise OutboundError(
        f"The URL redirected more than {max_redirects} times.", code="url_redirect_limit", transient=False
    )


def _sample(response: urllib3.BaseHTTPResponse, limit: int, seconds: float) -> bytes:
    """Up to `limit` bytes of the body, read within `seconds`; never an error (the status decided)."""
    stop = threading.Timer(seconds, lambda: _shut(response))  # wakes a read blocked on a slow body
    stop.daemon = True
    stop.start()
    buffer = bytearray()
    try:
        while len(buffer) < limit:
            chunk = response.read1(limit - len(buffer))  # what has arrived, without waiting for more
            if not chunk:
                break
            buffer.extend(chunk)
    except (urllib3.exceptions.HTTPError, OSError, ValueError):
        pass  # cut off, or shut by the timer: the sample is what arrived
    finally:
        stop.cancel()
    return bytes(buffer[:limit])


def _shut(response: urllib3.BaseHTTPResponse) -> None:
    with contextlib.suppress(Exception):  # the socket may already be gone
        response.shutdown()


def _read(
    response: urllib3.BaseHTTPResponse, clock: _Deadline, max_bytes: int, sink: BinaryIO | None, target: Target
) -> tuple[int, bytes | None]:
    too_large = OutboundError(f"The answer is larger than {max_bytes} bytes.", code="url_too_large", transient=False)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    buffer = bytearray() if sink is None else None
    size = 0
    try:
        for chunk in response.stream(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            if buffer is not None:
                buffer.extend(chunk)
            else:
                sink.write(chunk)  # type: ignore[union-attr]
            clock.remaining()
    except (urllib3.exceptions.HTTPError, OSError):
        if clock.expired:
            raise _Expired from None
        raise OutboundError(
            f"The download from {target.host_header} broke off.", code="url_unreachable", transient=True
        ) from None
    if clock.expired:
        raise _Expired
    return size, bytes(buffer) if buffer is not None else None
