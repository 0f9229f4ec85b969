"""A threaded stdlib HTTP server for the sandbox (python -m sandbox serve)."""

from __future__ import annotations

import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """One thread per connection; daemon threads so shutdown never hangs."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class _QuietHandler(ServerHandler):
    """Treat a deliberate connection drop (fault injection) as silence, not a crash."""

    def handle_error(self):
        if isinstance(sys.exc_info()[1], ConnectionError):
            self.close()
            return
        super().handle_error()


class RequestHandler(WSGIRequestHandler):
    """Exposes the socket to the app (for drop-after-commit) and logs only if asked."""

    verbose = False

    def get_environ(self):
        environ = super().get_environ()
        environ["sandbox.socket"] = self.connection
        return environ

    def handle(self):
        # Same as wsgiref's, but with _QuietHandler.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _QuietHandler(
            self.rfile,
            self.wfile,
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self
        handler.run(self.server.get_app())

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if self.verbose:
            super().log_message(format, *args)


def make_server(app, host: str = "127.0.0.1", port: int = 8765, verbose: bool = False):
    """A ready (not yet serving) threaded server; port 0 picks a free port."""
    handler = type("Handler", (RequestHandler,), {"verbose": verbose})
    server = ThreadingWSGIServer((host, port), handler)
    server.set_app(app)
    return server


def serve_in_thread(app, host: str = "127.0.0.1", port: int = 0):
    """Serve in a daemon thread; returns (server, base_url); stop with shutdown()."""
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_address[1]}"
