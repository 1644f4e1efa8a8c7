"""A small threaded TCP proxy in front of the live server, to cut the connection for real.

Modes (switch at any time; open connections follow the new mode):

- ``pass_through()``: bytes flow both ways.
- ``refuse()``: every new connection is reset as soon as it is accepted and every open
  connection is reset, so no keep-alive connection survives. The port stays bound: closing
  the listener and binding the same port again later let another process on a shared
  machine (another test run's proxy) take the port meanwhile, and the browser's taps then
  went to a server that knew nobody.
- ``drop_answers()``: requests are forwarded to the server, but the first byte of an answer
  resets the browser's connection: the request landed, its answer was lost.
- ``refuse_posts()``: GETs pass; a connection whose request starts with ``POST`` is reset
  before anything reaches the server (pages load, taps cannot be sent).

``forwarded_posts`` counts POST requests that reached the server; ``dropped`` counts answers
thrown away.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading


def _reset(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # SO_LINGER 0: close with RST, like a dead link
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class TcpProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self.host = host
        self.upstream = (host, upstream_port)
        self.mode = "pass"
        self.dropped = 0
        self.forwarded_posts = 0
        self._lock = threading.Lock()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self._listen()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- modes ----------------------------------------------------------------------------
    def pass_through(self) -> None:
        self.mode = "pass"
        self._listen()

    def refuse(self) -> None:
        self.mode = "refuse"
        self._reset_all()

    def drop_answers(self) -> None:
        self.mode = "drop"
        self._listen()
        self._reset_all()  # fresh connections, so no answer is already on its way

    def refuse_posts(self) -> None:
        self.mode = "refuse_posts"
        self._listen()
        self._reset_all()

    def close(self) -> None:
        self.refuse()
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()

    # -- plumbing -------------------------------------------------------------------------
    def _listen(self) -> None:
        if self._listener is not None and self._accepting.is_alive():
            return
        if self._listener is not None:  # shut down from outside: bind the port again
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(64)
        self.port = sock.getsockname()[1]
        self._listener = sock
        self._accepting = threading.Thread(target=self._accept, args=(sock,), daemon=True)
        self._accepting.start()

    def _reset_all(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, set()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return  # closed by close()
            if self.mode == "refuse":
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                _reset(client)
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._client_to_server, args=pair, daemon=True).start()
            threading.Thread(target=self._server_to_client, args=pair, daemon=True).start()

    def _drop(self, pair) -> None:
        with self._lock:
            self._pairs.discard(pair)
        _reset(pair[0])
        _reset(pair[1])

    def _client_to_server(self, client, upstream) -> None:
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if data.startswith(b"POST "):
                if self.mode == "refuse_posts":
                    break
                self.forwarded_posts += 1
            try:
                upstream.sendall(data)
            except OSError:
                break
        self._drop((client, upstream))

    def _server_to_client(self, client, upstream) -> None:
        while True:
            try:
                data = upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            if self.mode == "drop":
                self.dropped += 1
                break  # the answer is lost on the way back
            try:
                client.sendall(data)
            except OSError:
                break
        self._drop((client, upstream))
