"""Serve a fresh sandbox over loopback (for memory and throughput measurements).

    python tests/client/sandbox_server.py [--port 0] [--latency-ms 0]
        [--seed-customers N]

Prints "listening <base url>" once ready, then serves until killed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # the request log lives in the sandbox
        pass


def main() -> None:
    from sandbox import DEMO_COMPANY, Sandbox, make_app

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--seed-customers", type=int, default=0)
    args = parser.parse_args()
    sb = Sandbox()
    if args.seed_customers:
        with sb.store.transaction():
            for i in range(args.seed_customers):
                sb.store.insert(
                    DEMO_COMPANY,
                    "CUSTOMER",
                    {
                        "CUSTOMERID": f"P{i:06d}",
                        "NAME": f"Paged customer {i}",
                        "STATUS": "active",
                    },
                    id_field="CUSTOMERID",
                )
    sb.set_latency(args.latency_ms)
    server = make_server(
        "127.0.0.1",
        args.port,
        make_app(sb),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    print(f"listening http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
