#!/usr/bin/env python3
"""hook_receiver.py - a tiny HTTPS webhook receiver for the alert tests.

usage: hook_receiver.py PORT CERT KEY OUT READY

Serves HTTPS on 127.0.0.1:PORT (0: any free port) with CERT/KEY. Every POST
is appended to OUT as one JSON line {"path", "idempotency_key", "body"}
(flushed and fsync'd before the 200 answer), so the test sees exactly what
arrived. Writes the bound port to READY once it listens. Stops on SIGTERM.
"""
import http.server
import json
import os
import signal
import ssl
import sys


def main():
    port, cert, key, out, ready = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            rec = {"path": self.path, "idempotency_key": self.headers.get("Idempotency-Key"),
                   "content_type": self.headers.get("Content-Type"),
                   "body": json.loads(body.decode())}
            with open(out, "a") as f:
                f.write(json.dumps(rec, sort_keys=True) + "\n")
                f.flush()
                os.fsync(f.fileno())
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        def log_message(self, fmt, *args):
            sys.stderr.write("receiver: " + (fmt % args) + "\n")

    class Server(http.server.HTTPServer):
        allow_reuse_address = True

    srv = Server(("127.0.0.1", port), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(ready + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ready + ".tmp", ready)
    srv.serve_forever()


if __name__ == "__main__":
    main()
