#!/usr/bin/env python3
"""ndp_peer.py - raw IPv6 neighbour discovery and DHCPv6 frames for
ipv6_gw.sh, run in the guest namespace on the tap device (AF_PACKET), so
the checks see exactly what the gateway sends and can send what no well
behaved guest would.

  solicit                 a DHCPv6 SOLICIT; prints the status code of the
                          ADVERTISE that answers it ("status 2") and its
                          SOL_MAX_RT ("sol_max_rt 3600")
  ns TARGET               a neighbour solicitation; prints "na MAC FLAGS"
                          for the advertisement, or "none"
  rs                      a router solicitation from the link-local
                          address; prints "ra" for a unicast answer, or "none"
  count-ra SECS           counts router advertisements to all nodes for
                          SECS seconds; prints "ras N"
  hostile COUNT           COUNT rounds of bad frames: NS with hop limit 64,
                          with an option of length 0, with a bad checksum,
                          with a payload length past the frame; RS shorter
                          than 8 bytes; DHCPv6 with a bad UDP checksum and
                          with garbage options
  flood KIND COUNT        COUNT valid RS (KIND rs), NS for the gateway
                          (ns) or INFORMATION-REQUESTs (dhcp6) at once
"""
import os
import select
import socket
import struct
import sys
import time

from rawframe import csum6

IFACE = os.environ.get("LAB_TAP", "tap0")
MAC = bytes.fromhex(os.environ.get("LAB_GUEST_MAC", "5a:94:ef:e4:0c:ee").replace(":", ""))
PREFIX = os.environ.get("LAB_PREFIX6", "fd71:6377:6e65::")
GW6 = socket.inet_pton(socket.AF_INET6, PREFIX + "1")
LL = socket.inet_pton(socket.AF_INET6, "fe80::5894:efff:fee4:cee")
ALL_ROUTERS = socket.inet_pton(socket.AF_INET6, "ff02::2")
DHCP_SERVERS = socket.inet_pton(socket.AF_INET6, "ff02::1:2")


def mcast_mac(ip):
    return b"\x33\x33" + ip[12:]


def solicited(ip):
    return socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:0")[:13] + ip[13:]


def ip6_frame(dmac, src, dst, nh, l4, hlim=255, plen=None, fix=True):
    if fix:
        off = 2 if nh == 58 else 6
        l4 = l4[:off] + b"\0\0" + l4[off + 2:]
        c = csum6(src, dst, nh, l4)
        if nh == 17 and c == 0:
            c = 0xFFFF
        l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    ih = struct.pack("!IHBB", 6 << 28, len(l4) if plen is None else plen, nh, hlim)
    return dmac + MAC + b"\x86\xdd" + ih + src + dst + l4


def ns(target, src=LL, opts=None, hlim=255, plen=None, badsum=False):
    if opts is None:
        opts = b"\x01\x01" + MAC
    body = struct.pack("!BBHI", 135, 0, 0, 0) + target + opts
    dst = solicited(target)
    f = ip6_frame(mcast_mac(dst), src, dst, 58, body, hlim, plen)
    if badsum:
        f = f[:56] + bytes([f[56] ^ 0xFF]) + f[57:]
    return f


def rs(body_len=8):
    body = struct.pack("!BBHI", 133, 0, 0, 0)[:body_len]
    return ip6_frame(mcast_mac(ALL_ROUTERS), LL, ALL_ROUTERS, 58, body)


def dhcp6(msg_type, opts, xid=0x123456, badsum=False):
    payload = struct.pack("!I", msg_type << 24 | xid) + opts
    udp = struct.pack("!HHHH", 546, 547, 8 + len(payload), 0) + payload
    f = ip6_frame(mcast_mac(DHCP_SERVERS), LL, DHCP_SERVERS, 17, udp, hlim=1)
    if badsum:
        f = f[:60] + bytes([f[60] ^ 0xFF]) + f[61:]
    return f


def opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


CLIENT_ID = opt(1, b"\x00\x03\x00\x01" + MAC)


def sock():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
    s.bind((IFACE, 0))
    return s


def recv_until(s, pred, secs=3.0):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            break
        f = s.recv(4096)
        v = pred(f)
        if v is not None:
            return v
    return None


def do_solicit():
    s = sock()
    s.send(dhcp6(1, CLIENT_ID + opt(8, b"\0\0") + opt(3, b"\0\0\0\1" + b"\0" * 8), xid=0xABCDEF))

    def adv(f):
        if f[6:12] == MAC or f[12:14] != b"\x86\xdd" or f[20] != 17:
            return None
        udp = f[54:]
        if struct.unpack("!H", udp[2:4])[0] != 546 or udp[8] != 2 or udp[9:12] != b"\xab\xcd\xef":
            return None
        out, o = [], udp[12:]
        while len(o) >= 4:
            code, n = struct.unpack("!HH", o[:4])
            if code == 13:
                out.append("status %d" % struct.unpack("!H", o[4:6])[0])
            if code == 82:
                out.append("sol_max_rt %d" % struct.unpack("!I", o[4:8])[0])
            o = o[4 + n:]
        return " ".join(out)

    print(recv_until(s, adv) or "none")


def do_ns(target):
    t = socket.inet_pton(socket.AF_INET6, target)
    s = sock()
    s.send(ns(t))

    def na(f):
        if f[6:12] == MAC or f[20] != 58 or f[54] != 136 or f[62:78] != t:
            return None
        mac = f[80:86] if len(f) >= 86 and f[78] == 2 else b""
        return "na %s %02x" % (mac.hex(":"), f[58])

    print(recv_until(s, na, 2.0) or "none")


def do_rs():
    s = sock()
    s.send(rs())

    def ra(f):
        if f[6:12] == MAC or f[20] != 58 or f[54] != 134 or f[0:6] != MAC:
            return None
        return "ra"

    print(recv_until(s, ra, 2.0) or "none")


def do_count_ra(secs):
    s = sock()
    print("listening", file=sys.stderr, flush=True)
    n = 0
    start = time.time()
    at = []
    end = start + secs
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0, end - time.time()))
        if not r:
            continue
        f = s.recv(4096)
        if f[0:6] == b"\x33\x33\0\0\0\x01" and f[6:12] != MAC and len(f) > 54 and f[20] == 58 and f[54] == 134:
            n += 1
            at.append("%.1f" % (time.time() - start))
    print("ras %d" % n)
    print("at " + " ".join(at), file=sys.stderr)


def do_hostile(count):
    s = sock()
    for _ in range(count):
        s.send(ns(GW6, hlim=64))
        s.send(ns(GW6, opts=b"\x01\x00" + MAC))
        s.send(ns(GW6, badsum=True))
        s.send(ns(GW6, plen=400))
        s.send(rs(4))
        s.send(dhcp6(11, CLIENT_ID, badsum=True))
        s.send(dhcp6(11, b"\x00\x01\xff\xff" + b"x" * 8))
    print("sent %d" % (7 * count))


def do_flood(kind, count):
    s = sock()
    f = {"rs": rs(), "ns": ns(GW6), "dhcp6": dhcp6(11, CLIENT_ID)}[kind]
    for _ in range(count):
        s.send(f)
    print("sent %d" % count)


def main():
    a = sys.argv[1:]
    if a[:1] == ["solicit"]:
        do_solicit()
    elif a[:1] == ["ns"] and len(a) == 2:
        do_ns(a[1])
    elif a[:1] == ["rs"]:
        do_rs()
    elif a[:1] == ["count-ra"] and len(a) == 2:
        do_count_ra(float(a[1]))
    elif a[:1] == ["hostile"] and len(a) == 2:
        do_hostile(int(a[1]))
    elif a[:1] == ["flood"] and len(a) == 3:
        do_flood(a[1], int(a[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
