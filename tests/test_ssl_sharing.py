"""While the plugin's patches are on, httpx and httpx2 transports built with default verification share
one SSL context per setting (building one reads the CA bundle: ~20 ms for every SDK client a test
module builds). The shared context must be a working one (a real TLS handshake below), must follow
SSL_CERT_FILE, must not reach a transport given its own verification, and ini
`claude_share_ssl_context = false` turns the sharing off."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from fake_api import FakeClaudeAPI

SUITE = """
import asyncio
import os

import httpx
import httpx2
import pytest


def context(client):
    return client._transport._pool._ssl_context


def shared(make):
    first, second = make(), make()
    try:
        return context(first) is context(second)
    finally:
        first.close()
        second.close()


@pytest.mark.claude_contract
def test_default_transports():
    print("httpx2 shared:", shared(httpx2.Client))
    print("httpx shared:", shared(httpx.Client))
    first, second = httpx2.AsyncClient(), httpx2.AsyncClient()
    print("async shared:", context(first) is context(second))
    asyncio.run(first.aclose())
    asyncio.run(second.aclose())
    default, unverified = httpx2.Client(), httpx2.Client(verify=False)
    own = httpx2.Client(verify=__import__("ssl").create_default_context())
    first, second = httpx2.HTTPTransport(http2=True), httpx2.HTTPTransport(http2=True)
    print("http2 shared:", first._pool._ssl_context is second._pool._ssl_context)
    print("http2 with http1 shared:", first._pool._ssl_context is context(default))
    first.close()
    second.close()
    print("verify=False shared:", context(default) is context(unverified))
    print("verify=<context> shared:", context(default) is context(own))
    for client in (default, unverified, own):
        client.close()


@pytest.mark.claude_contract
def test_tls_through_a_shared_context(monkeypatch):
    with httpx2.Client() as before:
        monkeypatch.setenv("SSL_CERT_FILE", os.environ["TLS_CERT"])  # trusts the local server only
        first, second = httpx2.Client(), httpx2.Client()
        print("with SSL_CERT_FILE shared:", context(first) is context(second))
        print("SSL_CERT_FILE gets its own:", context(first) is not context(before))
        # Built at the first handshake, from the CAs the environment named when the client was made.
        monkeypatch.setenv("SSL_CERT_FILE", os.devnull)
    for client in (first, second):
        print("tls status:", client.get(os.environ["TLS_URL"]).status_code)
        client.close()


def test_unmarked():
    # The patches are off: transports are built as the library builds them.
    print("unmarked shared:", shared(httpx2.Client))


@pytest.fixture(scope="module")
def module_client():
    # Built before the test's recorder (module scope first), after an unmarked test took the patches
    # off: they are back on from the start of the covered test's set-up.
    with httpx2.Client() as client:
        yield client


@pytest.mark.claude_contract
def test_deferred_until_a_connection(module_client):
    shared = context(module_client)
    with httpx2.Client() as client:
        print("module client shared:", context(client) is shared)
    print("is an SSLContext:", isinstance(shared, __import__("ssl").SSLContext))
    deferred = hasattr(shared, "_built")  # a DeferredSSLContext (sharing on), else a plain SSLContext
    print("built before a connection:", shared._built is not None if deferred else "not deferred")
    shared.load_verify_locations(os.environ["TLS_CERT"])  # goes to the context, built now
    print("built once used:", shared._built is not None if deferred else "not deferred")
    shared.options |= __import__("ssl").OP_NO_TICKET  # set through it: reaches the built context
    built = getattr(shared, "_built", shared)
    print("set reaches the built context:", bool(built.options & __import__("ssl").OP_NO_TICKET))
    print("deferred tls status:", module_client.get(os.environ["TLS_URL"]).status_code)

    async def get():
        async with httpx2.AsyncClient() as client:
            context(client).load_verify_locations(os.environ["TLS_CERT"])
            return (await client.get(os.environ["TLS_URL"])).status_code

    print("deferred async tls status:", asyncio.run(get()))

"""


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; TLS_CERT names the certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder: Path = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # The handshake in the handler thread, not in accept(): a client that fails it cannot stall shutdown.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("TLS_CERT", str(cert))
    monkeypatch.setenv("TLS_URL", f"https://127.0.0.1:{server.server_address[1]}/")
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_default_transports_share_one_working_context(
    suite: pytest.Pytester, api: FakeClaudeAPI, tls_server: str
) -> None:
    suite.makepyfile(test_ssl=SUITE)
    result = suite.runpytest("-s", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*httpx2 shared: True",
            "*httpx shared: True",
            "*async shared: True",
            "*http2 shared: True",
            "*http2 with http1 shared: False",
            "*verify=False shared: False",
            "*verify=<context> shared: False",
            "*with SSL_CERT_FILE shared: True",
            "*SSL_CERT_FILE gets its own: True",
            "*tls status: 200",
            "*tls status: 200",
            "*unmarked shared: False",
            "*module client shared: True",
            "*is an SSLContext: True",
            "*built before a connection: False",
            "*built once used: True",
            "*set reaches the built context: True",
            "*deferred tls status: 200",
            "*deferred async tls status: 200",
        ]
    )


def test_sharing_turned_off_by_ini(suite: pytest.Pytester, api: FakeClaudeAPI, tls_server: str) -> None:
    suite.makepyfile(test_ssl=SUITE)
    result = suite.runpytest("-s", "-p", "no:cacheprovider", "-o", "claude_share_ssl_context=false")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*SSL contexts not shared*",
            "*httpx2 shared: False",
            "*httpx shared: False",
            "*tls status: 200",
            "*module client shared: False",
            "*built before a connection: not deferred",
            "*deferred tls status: 200",
        ]
    )
