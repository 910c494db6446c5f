#!/usr/bin/env python3
"""slowup.py - a misbehaving agent: N slow uploads through vaultgw, each on
its own TLS connection, a byte a second, forever (until killed).

  slowup.py PORT CA N URLPATH USER TOKENFILE OUT [SOURCE-ADDRESS]

Each connection sends a request head (POST URLPATH/<64 hex>, Content-Length
1 MiB, Basic auth) and one byte of body. Requests the gateway answers early
(refusals) are counted by status. One second after the last connection is
open, writes `opened N answered {STATUS: COUNT, ...} pending P` to OUT (the
pending ones hold a vaultd link each), then keeps trickling.
"""
import base64
import hashlib
import json
import select
import socket
import ssl
import sys
import time


def main():
    port, ca, n, path, user, tokfile, out = sys.argv[1:8]
    src = (sys.argv[8], 0) if len(sys.argv) > 8 else None
    n = int(n)
    with open(tokfile) as f:
        token = f.read().strip()
    auth = base64.b64encode(("%s:%s" % (user, token)).encode()).decode()
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    conns, answered = [], {}

    def poll_answers():
        if not conns:
            return
        r, _, _ = select.select([c for c in conns], [], [], 0)
        for c in r:
            try:
                data = c.recv(4096)
            except (ssl.SSLWantReadError, BlockingIOError):
                continue  # TLS 1.3 session tickets: no answer yet
            except (ssl.SSLError, OSError):
                data = b""
            st = data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed"
            answered[st] = answered.get(st, 0) + 1
            conns.remove(c)
            c.close()

    for i in range(n):
        raw = socket.create_connection(("127.0.0.1", int(port)), source_address=src)
        c = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        name = hashlib.sha256(b"slow-%d-%d" % (i, time.time_ns())).hexdigest()
        head = ("POST %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\n"
                "Content-Length: 1048576\r\n\r\n" % (path, name, auth))
        c.sendall(head.encode() + b"x")
        c.setblocking(False)
        conns.append(c)
        time.sleep(0.02)
        poll_answers()
    end = time.time() + 1.5
    while time.time() < end:
        poll_answers()
        time.sleep(0.1)
    with open(out + ".tmp", "w") as f:
        f.write("opened %d answered %s pending %d\n" % (n, json.dumps(answered, sort_keys=True),
                                                      len(conns)))
    import os
    os.rename(out + ".tmp", out)
    while True:
        for c in list(conns):
            try:
                c.send(b"x")
            except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                pass
            except (ssl.SSLError, OSError):
                conns.remove(c)
        time.sleep(1)


if __name__ == "__main__":
    main()
