"""The guarded fetcher: what it refuses, what it lets through, and how it bounds time and size.

Packets go only to this machine: a loopback HTTP server. Private, link-local and metadata
addresses are tested at the address check with every way to open a connection patched to
fail the test, so even a broken guard cannot send traffic off this machine.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

import pytest
import urllib3

from core import addresses, outbound
from core.addresses import AllowList, refusal_reason
from core.outbound import OutboundError, fetch

VIDEO = bytes(range(256)) * 400  # 100 KiB


def video_fetch(url: str, **kwargs: Any) -> outbound.FetchResult:
    """The fetcher as video sources use it: with FRAMEWISE_OUTBOUND_ALLOW, read now."""
    return fetch(url, allow=addresses.allowed_for("video"), **kwargs)


def video_check(url: str, **kwargs: Any) -> outbound.Target:
    kwargs.setdefault("allow", addresses.allowed_for("video"))
    return outbound.check_url(url, **kwargs)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:  # noqa: N802 - the base class's name
        self.server.seen.append((self.path, self.headers.get("Host", "")))
        path = self.path
        if path == "/video":
            self._send(200, VIDEO)
        elif path.startswith("/hop/"):
            left = int(path.rsplit("/", 1)[1])
            location = self.server.final if left == 0 else f"/hop/{left - 1}"
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(200):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
        elif path == "/chunked-big":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            piece = b"y" * 65536
            try:
                for _ in range(64):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                return
        elif path == "/secret-error":
            self.send_response(503, "INTERNAL-REDIS-ON-6379")
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"oops!")
        else:
            self._send(404, b"no")

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str]]
    final: str


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    httpd.final = "/video"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]


def _names(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    """Resolve the names in `table` to its addresses (everything else as usual); returns the lookups."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host in table:
            lookups.append(host)
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, int(port or 0), 0, 0) if ":" in address else (address, int(port or 0)),
                )
                for address in table[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return lookups


# --- Loopback, in every spelling, is refused before a packet is sent ---------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]", "[::1]"],
)
def test_loopback_spellings_are_refused_and_nothing_is_sent(server: _Server, host: str) -> None:
    port = server.server_address[1]
    with pytest.raises(OutboundError) as refused:
        video_fetch(f"http://{host}:{port}/video", deadline=5, max_bytes=10**6)
    assert refused.value.code == "url_not_allowed" and not refused.value.transient
    assert "loopback" in refused.value.message
    assert server.seen == []


def test_the_allow_list_lets_the_test_server_through(server: _Server, loopback_allowed: None) -> None:
    sink = BytesIO()
    result = video_fetch(f"http://127.0.0.1:{server.server_address[1]}/video", deadline=5, max_bytes=10**6, sink=sink)
    assert (result.status, result.size) == (200, len(VIDEO))
    assert sink.getvalue() == VIDEO and result.content is None


def test_it_connects_to_the_checked_address_and_keeps_the_host_name(
    server: _Server, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test server is on loopback, which only a listed range opens (a listed name does not).
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    lookups = _names(monkeypatch, {"media.onprem.test": ["127.0.0.1"]})
    port = server.server_address[1]
    result = video_fetch(f"http://media.onprem.test:{port}/video", deadline=5, max_bytes=10**6)
    assert result.content == VIDEO
    assert server.seen == [("/video", f"media.onprem.test:{port}")]
    assert lookups == ["media.onprem.test"]  # resolved once; urllib3 was handed the IP


def test_a_redirect_chain_ending_on_loopback_is_refused(
    server: _Server, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the test server's address, and no other
    _names(monkeypatch, {"start.onprem.test": ["127.0.0.1"]})
    port = server.server_address[1]
    server.final = f"http://127.0.0.2:{port}/video"  # loopback too, not listed
    with pytest.raises(OutboundError) as refused:
        video_fetch(f"http://start.onprem.test:{port}/hop/2", deadline=5, max_bytes=10**6)
    assert refused.value.code == "url_not_allowed"
    assert [path for path, _ in server.seen] == ["/hop/2", "/hop/1", "/hop/0"]  # /video never asked for


def test_redirects_are_followed_up_to_the_limit(server: _Server, loopback_allowed: None) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    assert video_fetch(f"{base}/hop/4", deadline=5, max_bytes=10**6).content == VIDEO  # five redirects
    server.seen.clear()
    with pytest.raises(OutboundError) as refused:
        video_fetch(f"{base}/hop/5", deadline=5, max_bytes=10**6)
    assert refused.value.code == "url_redirect_limit"
    assert len(server.seen) == 6


def test_a_dripping_server_is_cut_by_the_total_deadline(server: _Server, loopback_allowed: None) -> None:
    started = time.monotonic()
    with pytest.raises(OutboundError) as cut:
        video_fetch(f"http://127.0.0.1:{server.server_address[1]}/drip", deadline=1.0, max_bytes=10**6)
    elapsed = time.monotonic() - started
    assert cut.value.code == "url_timeout"
    assert 0.9 <= elapsed < 2.0, elapsed  # one deadline, although every single read was quick


def test_the_size_cap_holds_while_streaming(server: _Server, loopback_allowed: None) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with pytest.raises(OutboundError) as declared:
        video_fetch(f"{base}/video", deadline=5, max_bytes=1000)
    assert declared.value.code == "url_too_large"
    sink = BytesIO()
    with pytest.raises(OutboundError) as streamed:
        video_fetch(f"{base}/chunked-big", deadline=5, max_bytes=200_000, sink=sink)
    assert streamed.value.code == "url_too_large"
    assert len(sink.getvalue()) <= 200_000  # never more than the cap was written


def test_errors_do_not_echo_remote_details(server: _Server, loopback_allowed: None) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    answered = video_fetch(f"{base}/secret-error", deadline=5, max_bytes=1000)
    assert (answered.status, answered.content, answered.size) == (503, None, 0)  # no body read
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    closed_port = free.getsockname()[1]
    free.close()
    with pytest.raises(OutboundError) as unreachable:
        video_fetch(f"http://127.0.0.1:{closed_port}/", deadline=5, max_bytes=1000)
    assert unreachable.value.code == "url_unreachable" and unreachable.value.transient
    assert "Errno" not in unreachable.value.message and "Refused" not in unreachable.value.message


@pytest.mark.parametrize(
    "url", ["ftp://example.com/a.mp4", "file:///etc/passwd", "gopher://x/", "http://u:p@example.com/"]
)
def test_only_plain_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(OutboundError) as refused:
        video_fetch(url, deadline=5, max_bytes=10)
    assert refused.value.code == "url_not_allowed"


# --- Off-machine addresses: checked, never connected to ------------------------------------------

INTERNAL = [
    "10.0.0.1",
    "10.255.255.254",
    "172.16.0.1",
    "172.31.255.1",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "169.254.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "fd00::1",
    "fc00::1",
    "fe80::1",
    "::",
    "ff02::1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe",  # NAT64 spelling of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 spelling of 10.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 embedding 169.254.169.254
    "2002:c0a8:101::1",  # 6to4 embedding 192.168.1.1
    "::10.0.0.1",  # deprecated IPv4-compatible
    "fec0::1",
    "2001:db8::1",
]


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail(f"a connection was attempted: {args[1:] if args else kwargs}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused_by_name_and_literal(
    address: str, no_connections: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _names(monkeypatch, {"innocent.example": ["93.184.215.14", address]})  # one bad answer is enough
    with pytest.raises(OutboundError) as by_name:
        video_fetch("http://innocent.example/latest/meta-data/", deadline=5, max_bytes=10)
    assert by_name.value.code == "url_not_allowed"
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(OutboundError) as by_literal:
        video_fetch(f"https://{literal}/", deadline=5, max_bytes=10)
    assert by_literal.value.code == "url_not_allowed"


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "::ffff:8.8.8.8", "2002:808:808::1"]
)
def test_public_addresses_pass_the_check(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_the_allow_list_takes_cidrs_and_names(no_connections: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _names(monkeypatch, {"nas.office.test": ["192.168.1.20"], "other.office.test": ["192.168.1.21"]})
    allow = AllowList.parse(["10.1.0.0/16", "nas.office.test", ""])
    assert video_check("http://10.1.2.3/a.mp4", allow=allow).addresses == (ipaddress.ip_address("10.1.2.3"),)
    assert video_check("http://NAS.office.test/a.mp4", allow=allow).host == "nas.office.test"
    for refused in ("http://10.2.0.1/", "http://other.office.test/"):
        with pytest.raises(OutboundError):
            video_check(refused, allow=allow)


# --- HTTPS: connect to the checked IP, verify the certificate for the name ----------------------


@pytest.fixture
def tls_server(tmp_path: Any) -> Iterator[tuple[int, str, list[str]]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for media.onprem.test."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=media.onprem.test", "-addext", "subjectAltName=DNS:media.onprem.test",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )  # fmt: skip
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.final = [], "/video"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name or "")  # type: ignore[assignment]
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], str(cert), sni
    httpd.shutdown()
    httpd.server_close()


def test_https_keeps_sni_and_certificate_checks_for_the_name(
    tls_server: tuple[int, str, list[str]], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, sni = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # trust the test certificate (read by load_default_certs)
    settings.FRAMEWISE_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    lookups = _names(monkeypatch, {"media.onprem.test": ["127.0.0.1"], "other.onprem.test": ["127.0.0.1"]})
    assert video_fetch(f"https://media.onprem.test:{port}/video", deadline=5, max_bytes=10**6).content == VIDEO
    assert lookups == ["media.onprem.test"] and sni == ["media.onprem.test"]
    # The same address under a name the certificate does not carry fails verification.
    with pytest.raises(OutboundError) as mismatch:
        video_fetch(f"https://other.onprem.test:{port}/video", deadline=5, max_bytes=10**6)
    assert mismatch.value.code == "url_unreachable"
