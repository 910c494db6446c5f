#!/usr/bin/env python3
"""smoke-collector.py - the boot test's syslog collector (RFC 5425: syslog
over TLS) on the host side, and the relay qemu runs for each connection.

  smoke-collector.py serve CERT KEY PORTFILE OUT
      listens on 127.0.0.1 (a free port, written to PORTFILE), TLS with
      CERT/KEY, and appends everything each client sends to OUT.
  smoke-collector.py relay PORT
      qemu's guestfwd "cmd:" runs this per guest connection with the
      connection on fd 0: it is copied both ways to 127.0.0.1:PORT.
"""
import os
import select
import socket
import ssl
import sys
import threading


def serve(cert, key, portfile, out):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    lock = threading.Lock()

    def client(c):
        try:
            with ctx.wrap_socket(c, server_side=True) as t:
                while True:
                    b = t.recv(65536)
                    if not b:
                        return
                    with lock, open(out, "ab") as f:
                        f.write(b)
        except (OSError, ssl.SSLError):
            pass

    while True:
        c, _ = ls.accept()
        threading.Thread(target=client, args=(c,), daemon=True).start()


def relay(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.settimeout(None)
    fds = {0: s.fileno(), s.fileno(): 1}
    while True:
        r, _, _ = select.select(list(fds), [], [])
        for fd in r:
            b = os.read(fd, 65536)
            if not b:
                return
            os.write(fds[fd], b)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "serve":
        serve(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "relay":
        relay(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
