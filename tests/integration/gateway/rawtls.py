#!/usr/bin/env python3
"""rawtls.py - send raw request bytes over TLS and show what comes back.

usage: rawtls.py PORT CAFILE [--slow SECONDS] [--timeout SECONDS] [--host H]
                 [--cert PEM --key PEM] < request-bytes

Prints the response (decoded leniently), then a last line
"ELAPSED <seconds> <CLOSED|OPEN>" telling whether the server closed.
--slow sends one byte at a time with that pause between bytes, and stops
sending when the server closes (slowloris).
"""
import socket
import ssl
import sys
import time


def main():
    args = sys.argv[1:]
    port, cafile = int(args[0]), args[1]
    slow, timeout, host, cert, key = 0.0, 10.0, "127.0.0.1", None, None
    i = 2
    while i < len(args):
        if args[i] == "--slow":
            slow = float(args[i + 1]); i += 2
        elif args[i] == "--timeout":
            timeout = float(args[i + 1]); i += 2
        elif args[i] == "--host":
            host = args[i + 1]; i += 2
        elif args[i] == "--cert":
            cert = args[i + 1]; i += 2
        elif args[i] == "--key":
            key = args[i + 1]; i += 2
        else:
            sys.exit("unknown argument " + args[i])
    data = sys.stdin.buffer.read()
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(cert, key)
    t0 = time.monotonic()
    s = socket.create_connection((host, port), timeout=timeout)
    t = ctx.wrap_socket(s, server_hostname=host)
    closed = False
    try:
        if slow:
            for b in data:
                t.sendall(bytes([b]))
                time.sleep(slow)
        else:
            t.sendall(data)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        closed = True
    out = b""
    t.settimeout(timeout)
    try:
        while True:
            b = t.recv(65536)
            if not b:
                closed = True
                break
            out += b
    except socket.timeout:
        pass
    except (ConnectionResetError, ssl.SSLError):
        closed = True
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.stdout.write("\nELAPSED %.2f %s\n" % (time.monotonic() - t0, "CLOSED" if closed else "OPEN"))


main()
