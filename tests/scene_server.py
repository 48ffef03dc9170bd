"""A local HTTP server for the download tests: 127.0.0.1 only, files from memory.

Per file, a behaviour: "ok"; "cut" (the first response sends half the body,
then drops the connection); "404"; "stall" (no response until the client
times out); "norange" (ignores Range headers). Range requests are honoured
(206 with Content-Range). Every request is logged as (file name, Range header).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SceneServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.behaviour: dict[str, str] = {}
        self.log: list[tuple[str, str | None]] = []
        self.cuts_done: set[str] = set()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # the "cut" and "stall" handlers break their connections on purpose

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def requests_for(self, name: str) -> list[str | None]:
        return [rng for n, rng in self.log if n == name]


class _Handler(BaseHTTPRequestHandler):
    server: SceneServer

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        name = self.path.lstrip("/").split("?")[0]
        srv = self.server
        rng = self.headers.get("Range")
        srv.log.append((name, rng))
        mode = srv.behaviour.get(name, "ok")
        if mode == "stall":
            time.sleep(3)
            return
        if mode == "404" or name not in srv.files:
            self.send_error(404, "Not Found")
            return
        data = srv.files[name]
        start = 0
        if rng and mode != "norange":
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if mode == "cut" and name not in srv.cuts_done:
            srv.cuts_done.add(name)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return
        self.wfile.write(body)


@contextlib.contextmanager
def serve() -> Iterator[SceneServer]:
    srv = SceneServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
