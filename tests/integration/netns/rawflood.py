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
Prints "sent N in S s". Only ever run inside the tests' own namespaces.
"""
import ipaddress
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
        proto = 6
        l4len = 20

        def l4(i):
            sport = 1024 + (i * 7919) % 64000
            seq = (i * 2654435761) & 0xFFFFFFFF
            return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 64240, 0, 0)
    else:
        proto = 58 if v6 else 1
        l4len = 16

        def l4(i):
            return struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x4242, i & 0xFFFF) + b"vgtflood"

    # pseudo-header sum without the source address
    if v6:
        base = csum_add(0, dbytes + struct.pack("!IxxxB", l4len, proto))
    else:
        base = csum_add(0, dbytes + struct.pack("!BBH", 0, proto, l4len))
    use_pseudo = proto != 1

    interval = 1.0 / pps if pps else 0.0
    t0 = time.monotonic()
    sent = 0
    for i in range(count):
        if nsize == 1:
            saddr = nbase
        else:
            saddr = nbase + 1 + (i % (nsize - 2 if nsize > 2 else 1))
        sb = saddr.to_bytes(alen, "big")
        seg = bytearray(l4(i))
        c = csum_add(base, sb) if use_pseudo else 0
        c = 0xFFFF & ~fold(csum_add(c, bytes(seg)))
        off = 16 if proto == 6 else 2
        struct.pack_into("!H", seg, off, c)
        if v6:
            ip = struct.pack("!IHBB", 6 << 28, l4len, proto, 255) + sb + dbytes
        else:
            hdr = bytearray(struct.pack("!BBHHHBBH", 0x45, 0, 20 + l4len, i & 0xFFFF, 0, 64, proto, 0) + sb + dbytes)
            struct.pack_into("!H", hdr, 10, 0xFFFF & ~fold(csum_add(0, bytes(hdr))))
            ip = bytes(hdr)
        try:
            s.send(eth + ip + bytes(seg))
            sent += 1
        except OSError:
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
