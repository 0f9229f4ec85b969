"""Command line: `python -m sandbox serve|credentials`."""

from __future__ import annotations

import argparse
import json
import sys

from sandbox import Sandbox, demo_credentials, make_app
from sandbox.server import make_server


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the threaded HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--db", default=":memory:", help="SQLite file (default: in memory)"
    )
    serve.add_argument("--latency-ms", type=float, default=0.0)
    serve.add_argument("--no-limits", action="store_true", help="disable 429 limits")
    serve.add_argument("--verbose", action="store_true", help="log every request")

    creds = commands.add_parser("credentials", help="print the DEMO credentials")
    creds.add_argument("--json", action="store_true", help="one JSON object")
    creds.add_argument("--db", default=None, help="SQLite file (seeds DEMO if absent)")

    args = parser.parse_args(argv)
    if args.command == "credentials":
        return _credentials(args)
    return _serve(args)


def _credentials(args) -> int:
    if args.db:
        Sandbox(args.db).close()  # make sure the DEMO company exists in that file
    values = demo_credentials()
    if args.json:
        print(json.dumps(values))
    else:
        for key, value in values.items():
            print(f"{key}={value}")
    return 0


def _serve(args) -> int:
    sandbox = Sandbox(args.db)
    sandbox.set_latency(args.latency_ms)
    if args.no_limits:
        sandbox.set_rate_limit(per_minute=None, concurrency=None)
    server = make_server(make_app(sandbox), args.host, args.port, args.verbose)
    host, port = server.server_address[:2]
    print(f"Intacct sandbox on http://{host}:{port}", file=sys.stderr)
    print(f"  XML  http://{host}:{port}/ia/xml/xmlgw.phtml", file=sys.stderr)
    print(f"  REST http://{host}:{port}/ia/api/v1/", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
