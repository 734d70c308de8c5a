"""A webhook receiver for the delivery tests: a real HTTP server on 127.0.0.1.

Prints the port it listens on, then answers 500 to its first ``--fail-first`` calls (every call
with ``--fail-first -1``) and 200 after; each call is appended to ``--log`` as one JSON line
with its headers, body and whether the signature verifies with ``--secret``.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    calls = {"n": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            expected = "sha256=" + hmac.new(args.secret.encode(), body, hashlib.sha256).hexdigest()
            calls["n"] += 1
            failing = args.fail_first < 0 or calls["n"] <= args.fail_first
            status = 500 if failing else 200
            with open(args.log, "a") as log:
                log.write(json.dumps({
                    "status": status,
                    "headers": dict(self.headers.items()),
                    "body": body.decode(),
                    "verified": hmac.compare_digest(expected, self.headers.get("X-Backorder-Signature", "")),
                }) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
