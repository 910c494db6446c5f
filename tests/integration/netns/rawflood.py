#!/usr/bin/env python3
"""rawflood.py - forged packets from a namespace on the segment (the tests' attacker).

Writes whole Ethernet frames on an AF_PACKET socket: the source IP (and, if
asked, the source MAC) is whatever the attacker chooses, which is exactly
what a hostile neighbour on the agents' segment can do. Checksums are
correct, so conntrack and the firewall see well-formed packets.

  rawflood.py IFACE DSTMAC DSTIP syn   DPORT COUNT PPS SRC   # TCP SYN
  rawflood.py IFACE DSTMAC DSTIP ping  0     COUNT PPS SRC   # ICMP(v6) echo request

SRC is one address (every packet from it) or a prefix (CIDR): each packet
then comes from the next address of it, in order, wrapping around, never
the network address. PPS 0 means as fast as possible. Optional: --smac MAC.
Prints "sent N in S s" (also when ended by SIGTERM). Only ever run inside
the tests' own namespaces.
"""
import errno
import ipaddress
import signal
import socket
import struct
import sys
import time


def csum_add(s, data):
    if len(data) % 2:
        data += b"\0"
    for (w,) in struct.iter_unpack("!H", data):
        s += w
    return s


def fold(s):
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def main(argv):
    smac = None
    if "--smac" in argv:
        i = argv.index("--smac")
        smac = argv[i + 1]
        del argv[i:i + 2]
    if len(argv) != 9:
        sys.stderr.write(__doc__)
        return 2
    iface, dmac, dst, kind, dport, count, pps, src = argv[1:]
    dport, count, pps = int(dport), int(count), int(pps)
    dip = ipaddress.ip_address(dst)
    v6 = dip.version == 6
    net = ipaddress.ip_network(src, strict=False)
    nbase, nsize = int(net.network_address), net.num_addresses
    alen = 16 if v6 else 4

    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    if smac is None:
        smac = open("/sys/class/net/%s/address" % iface).read().strip()
    eth = mac(dmac) + mac(smac) + struct.pack("!H", 0x86DD if v6 else 0x0800)
    dbytes = dip.packed

    if kind == "syn":
        proto, l4len = 6, 20
        # every field but sport and seq is fixed: their sum is computed once
        fixed = csum_add(0, struct.pack("!HHHHH", dport, 0, 0, (5 << 12) | 0x02, 64240))
    else:
        proto, l4len = (58 if v6 else 1), 16
        fixed = csum_add(0, struct.pack("!BBH", 128 if v6 else 8, 0, 0x4242) + b"vgtflood")
    # the pseudo-header without the source address (ICMPv4 has none)
    if v6:
        fixed += csum_add(0, dbytes + struct.pack("!IxxxB", l4len, proto))
    elif proto != 1:
        fixed += csum_add(0, dbytes + struct.pack("!BBH", 0, proto, l4len))
    pseudo_src = proto != 1
    ipfixed = 0 if v6 else csum_add(0, struct.pack("!BBHHHBBH", 0x45, 0, 20 + l4len, 0, 0, 64, proto, 0) + dbytes)
    v6hdr = struct.pack("!IHBB", 6 << 28, l4len, proto, 255)

    interval = 1.0 / pps if pps else 0.0
    t0 = time.monotonic()
    sent = 0
    state = {"sent": 0}

    def stop(*_):
        print("sent %d in %.2f s" % (state["sent"], time.monotonic() - t0), flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    span = nsize - 2 if nsize > 2 else 1
    pack = struct.pack
    for i in range(count):
        saddr = nbase if nsize == 1 else nbase + 1 + (i % span)
        sb = saddr.to_bytes(alen, "big")
        ssum = 0
        for k in range(0, alen, 2):
            ssum += (saddr >> (8 * (alen - 2 - k))) & 0xFFFF
        if proto == 6:
            sport = 1024 + (i * 7919) % 64000
            seq = (i * 2654435761) & 0xFFFFFFFF
            c = fixed + sport + (seq >> 16) + (seq & 0xFFFF) + ssum
            c = (c & 0xFFFF) + (c >> 16)
            c = 0xFFFF & ~((c & 0xFFFF) + (c >> 16))
            seg = pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, c, 0)
        else:
            ident = i & 0xFFFF
            c = fixed + ident + (ssum if pseudo_src else 0)
            c = (c & 0xFFFF) + (c >> 16)
            c = 0xFFFF & ~((c & 0xFFFF) + (c >> 16))
            seg = pack("!BBHHH", 128 if v6 else 8, 0, c, 0x4242, ident) + b"vgtflood"
        if v6:
            ip = v6hdr + sb + dbytes
        else:
            ipid = i & 0xFFFF
            h = ipfixed + ipid + ssum
            h = (h & 0xFFFF) + (h >> 16)
            h = 0xFFFF & ~((h & 0xFFFF) + (h >> 16))
            ip = pack("!BBHHHBBH", 0x45, 0, 20 + l4len, ipid, 0, 64, proto, h) + sb + dbytes
        try:
            s.send(eth + ip + seg)
            sent += 1
            state["sent"] = sent
        except OSError as e:
            if e.errno in (errno.ENODEV, errno.ENXIO, errno.ENETDOWN):
                break             # the interface is gone: the test is over
            time.sleep(0.001)     # the device queue is full: yield
        if interval:
            due = t0 + (i + 1) * interval
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
    print("sent %d in %.2f s" % (sent, time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
