#!/usr/bin/env python3
"""smoke-collector.py - the boot test's syslog collector (RFC 5425: syslog
over TLS) on the host side, and the relay qemu runs for each connection.

  smoke-collector.py serve CERT KEY PORTFILE OUT
      listens on 127.0.0.1 (a free port, written to PORTFILE), TLS with
      CERT/KEY, and appends everything each client sends to OUT.
  smoke-collector.py relay PORT
      qemu's guestfwd "cmd:" runs this per guest connection with the
      connection on fd 0: it is copied both ways to 127.0.0.1:PORT.
  smoke-collector.py sntp ADDR COUNTFILE
      a minimal SNTP server (RFC 4330) on ADDR:123, stratum 1, answering
      with this host's clock; COUNTFILE holds the number of answers.
"""
import os
import select
import socket
import ssl
import struct
import sys
import threading
import time

NTP_EPOCH = 2208988800  # 1900-01-01 to 1970-01-01, in seconds


def ntp_ts(t):
    return struct.pack("!II", int(t) + NTP_EPOCH, int((t % 1) * 2**32))


def sntp(addr, countfile):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 123))
    n = 0
    while True:
        req, peer = s.recvfrom(512)
        rx = time.time()
        if len(req) < 48 or (req[0] & 7) != 3:  # client mode only
            continue
        vn = (req[0] >> 3) & 7
        head = struct.pack("!BBbb", (0 << 6) | (vn << 3) | 4, 1, req[2], -20)
        head += struct.pack("!II", 0, 1 << 10) + b"GPS\0"  # root delay, dispersion, ref id
        reply = head + ntp_ts(rx - 1) + req[40:48] + ntp_ts(rx) + ntp_ts(time.time())
        s.sendto(reply, peer)
        n += 1
        with open(countfile + ".tmp", "w") as f:
            f.write("%d\n" % n)
        os.rename(countfile + ".tmp", countfile)


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
    elif len(sys.argv) == 4 and sys.argv[1] == "sntp":
        sntp(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "relay":
        relay(int(sys.argv[2]))
    else:
        sys.exit(__doc__)
