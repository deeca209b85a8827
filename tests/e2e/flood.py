#!/usr/bin/env python3
"""flood.py - a hostile guest for nat_limits.sh (runs in the guest netns).

Frames are written on the tap device with an AF_PACKET socket, so the
guest's kernel neither routes (127.0.0.0/8 leaves the guest) nor checks
source addresses (spoofed SYNs):

  syn-flood IFACE SMAC DMAC DST PORT N [SRC_FIRST SRC_COUNT]
        N SYNs to DST:PORT from sources 192.168.127.SRC_FIRST.. (spoofed)
  syn-from IFACE SMAC DMAC SRC DST PORT N
        N SYNs from one source (e.g. one outside the subnet)
  udp-flood IFACE SMAC DMAC SRC DST PORT N
        one datagram from each of N source ports (N UDP flows)
  udp-one IFACE SMAC DMAC SRC DST PORT
        one datagram, e.g. to 127.0.0.1
  garp-syn-flood IFACE SMAC DMAC DST PORT N
        N SYNs to DST:PORT from made-up sources 192.168.127.10-250, each
        first announced by a gratuitous ARP from a made-up MAC (SMAC unused)
  syn6-flood IFACE SMAC DMAC DST6 PORT N [announce]
        N SYNs over IPv6 to [DST6]:PORT, each from a made-up address of
        DST6's /64 (sources that never answer neighbour discovery; with
        "announce" each first advertises itself, as a neighbour would)
  udp6-flood IFACE SMAC DMAC DST6 PORT N
        N UDP datagrams over IPv6 to [DST6]:PORT, each from a made-up
        address of DST6's /64
  udp-bad IFACE SMAC DMAC SRC DST PORT
        malformed UDP to DST:PORT (IPv4, or IPv6 when DST has a colon): a
        length field below 8, one past the packet, a header cut short, and
        (IPv4) a length of 0; then a datagram whose length field (9) is
        shorter than its packet, which carries 1 byte as the field says
  frag-flood IFACE SMAC DMAC SRC DST PORT N
        the first fragments (1480 bytes of UDP each) of N datagrams, never
        completed
  frag IFACE SMAC DMAC SRC DST PORT
        the first and the last fragment of 8 UDP datagrams, never completed
        (lwIP chains them through their IP headers, at offsets LeakSanitizer
        does not scan unless 8-aligned: sizes vary so some are not)
  udp-empty HOST PORT
        an empty datagram through the guest's stack; prints the length of
        the echo (expects an echo server at HOST:PORT)
  udp-echo-any PORT
        echo server on 0.0.0.0:PORT (the guest's side of a forward)
  udp-sources HOST PORT N
        one datagram to HOST:PORT from each of N source ports (sockets of
        this namespace, at most 500 open at once), paced so that the
        receiver's socket buffer keeps up
  udp-sink PORT LOG [ADDR]
        records "len=N" for every datagram to ADDR:PORT (127.0.0.1) in LOG
"""
import os
import random
import socket
import struct
import sys
import time

from rawframe import csum, csum6



def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(src, dst, proto, payload, frag=0, ident=None):
    if ident is None:
        ident = random.randrange(65536)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload),
                      ident, frag, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def pseudo(src, dst, proto, seg):
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!BBH", 0, proto, len(seg)))


def tcp_syn(src, dst, sport, dport):
    seg = struct.pack("!HHIIBBHHH", sport, dport, random.randrange(1 << 32),
                      0, 5 << 4, 0x02, 64240, 0, 0)
    c = csum(pseudo(src, dst, 6, seg) + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return ip4(src, dst, 6, seg)


def tcp6_syn(src, dst, sport, dport):
    """an IPv6 packet (header included) holding a SYN, addresses packed"""
    seg = struct.pack("!HHIIBBHHH", sport, dport, random.randrange(1 << 32),
                      0, 5 << 4, 0x02, 64240, 0, 0)
    c = csum6(src, dst, 6, seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return struct.pack("!IHBB", 0x60000000, len(seg), 6, 64) + src + dst + seg


def na6(src, smac):
    """an unsolicited neighbour advertisement of src at smac, to all nodes
    (an IPv6 packet, header included)"""
    dst = b"\xff\x02" + b"\0" * 13 + b"\x01"
    na = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + src + b"\x02\x01" + smac
    c = csum6(src, dst, 58, na)
    na = na[:2] + struct.pack("!H", c) + na[4:]
    return struct.pack("!IHBB", 0x60000000, len(na), 58, 255) + src + dst + na


def garp(src, smac):
    """a gratuitous ARP request: src (dotted) is at smac (6 bytes)"""
    ip = socket.inet_aton(src)
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + smac + ip + \
        b"\0" * 6 + ip


def udp6(src, dst, sport, dport, payload=b"x"):
    """an IPv6 packet (header included) holding a UDP datagram"""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum6(src, dst, 17, seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return struct.pack("!IHBB", 0x60000000, len(seg), 17, 64) + src + dst + seg


def udp(src, dst, sport, dport, payload=b"x"):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = csum(pseudo(src, dst, 17, seg) + seg) or 0xFFFF
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return ip4(src, dst, 17, seg)


def sender(iface, smac, dmac, ethertype=b"\x08\x00"):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    eth = mac(dmac) + mac(smac) + ethertype

    def send(pkt):
        while True:
            try:
                s.send(eth + pkt)
                return
            except OSError:  # ENOBUFS: the tap queue is full
                pass
    return send


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "syn-flood":
        send = sender(a[0], a[1], a[2])
        dst, port, n = a[3], int(a[4]), int(a[5])
        first = int(a[6]) if len(a) > 6 else 10
        count = int(a[7]) if len(a) > 7 else 200
        for i in range(n):
            src = "192.168.127.%d" % (first + i % count)
            send(tcp_syn(src, dst, 1024 + (i // count) % 60000, port))
    elif cmd == "garp-syn-flood":
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a[0], 0))
        dmac, dst, port = mac(a[2]), a[3], int(a[4])
        for i in range(int(a[5])):
            src = "192.168.127.%d" % random.randrange(10, 251)
            smac = b"\x02" + os.urandom(5)
            for frame in (b"\xff" * 6 + smac + b"\x08\x06" + garp(src, smac),
                          dmac + smac + b"\x08\x00" +
                          tcp_syn(src, dst, random.randrange(1024, 65536),
                                  port)):
                while True:
                    try:
                        s.send(frame)
                        break
                    except OSError:  # ENOBUFS: the tap queue is full
                        pass
    elif cmd == "syn-from":
        send = sender(a[0], a[1], a[2])
        for i in range(int(a[6])):
            send(tcp_syn(a[3], a[4], 20000 + i, int(a[5])))
    elif cmd == "syn6-flood":
        send = sender(a[0], a[1], a[2], b"\x86\xdd")
        dst = socket.inet_pton(socket.AF_INET6, a[3])
        announce = a[6:7] == ["announce"]
        for i in range(int(a[5])):
            src = dst[:8] + os.urandom(8)
            if announce:
                send(na6(src, mac(a[1])))
            send(tcp6_syn(src, dst, 1024 + i % 60000, int(a[4])))
    elif cmd == "udp6-flood":
        send = sender(a[0], a[1], a[2], b"\x86\xdd")
        dst = socket.inet_pton(socket.AF_INET6, a[3])
        for i in range(int(a[5])):
            src = dst[:8] + os.urandom(8)
            send(udp6(src, dst, 1024 + i % 60000, int(a[4])))
    elif cmd == "udp-flood":
        send = sender(a[0], a[1], a[2])
        for i in range(int(a[6])):
            send(udp(a[3], a[4], 10000 + i, int(a[5])))
    elif cmd == "udp-one":
        send = sender(a[0], a[1], a[2])
        send(udp(a[3], a[4], 33333, int(a[5])))
    elif cmd == "udp-bad":
        v6 = ":" in a[4]
        if v6:
            send = sender(a[0], a[1], a[2], b"\x86\xdd")
            src, dst = socket.inet_pton(socket.AF_INET6, a[3]), \
                socket.inet_pton(socket.AF_INET6, a[4])
        else:
            send = sender(a[0], a[1], a[2])
            src, dst = a[3], a[4]
        port = int(a[5])

        def ip(seg):
            if v6:
                return struct.pack("!IHBB", 0x60000000, len(seg), 17, 64) + \
                    src + dst + seg
            return ip4(src, dst, 17, seg)
        bad = [struct.pack("!HHHH", 33336, port, 4, 0) + b"a" * 10,
               struct.pack("!HHHH", 33336, port, 1000, 0) + b"b" * 10,
               struct.pack("!HH", 33336, port)]
        if not v6:
            bad.append(struct.pack("!HHHH", 33336, port, 0, 0) + b"c" * 10)
        for seg in bad:
            send(ip(seg))
        seg = struct.pack("!HHHH", 33336, port, 9, 0) + b"d"
        if v6:
            c = csum6(src, dst, 17, seg) or 0xFFFF
        else:
            c = csum(pseudo(src, dst, 17, seg) + seg) or 0xFFFF
        send(ip(seg[:6] + struct.pack("!H", c) + seg[8:] + b"e" * 11))
        print(len(bad))
    elif cmd == "frag-flood":
        send = sender(a[0], a[1], a[2])
        seg = struct.pack("!HHHH", 33335, int(a[5]), 3008, 0) + b"f" * 1472
        for i in range(int(a[6])):
            send(ip4(a[3], a[4], 17, seg, 0x2000, i & 0xFFFF))
    elif cmd == "frag":
        send = sender(a[0], a[1], a[2])
        seg = struct.pack("!HHHH", 33334, int(a[5]), 1008, 0) + b"y" * 8
        for i in range(8):
            send(ip4(a[3], a[4], 17, seg, 0x2000, 4242 + i))  # MF, at 0
            send(ip4(a[3], a[4], 17, b"z" * (8 + i), 125, 4242 + i))
    elif cmd == "udp-empty":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        for _ in range(3):
            s.sendto(b"", (a[0], int(a[1])))
            try:
                data = s.recv(65535)
            except socket.timeout:
                continue
            print("echo len=%d" % len(data))
            return 0
        print("no echo")
        return 1
    elif cmd == "udp-echo-any":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(a[0])))
        while True:
            data, addr = s.recvfrom(65535)
            s.sendto(data, addr)
    elif cmd == "udp-sources":
        socks = []
        for i in range(int(a[2])):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"x", (a[0], int(a[1])))
            socks.append(s)
            if len(socks) > 500:
                socks.pop(0).close()
            if i % 50 == 49:
                time.sleep(0.005)
    elif cmd == "udp-sink":
        addr = a[2] if len(a) > 2 else "127.0.0.1"
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET,
                          socket.SOCK_DGRAM)
        s.bind((addr, int(a[0])))
        with open(a[1], "a", buffering=1) as log:
            while True:
                data, _ = s.recvfrom(65535)
                log.write("len=%d\n" % len(data))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
