#!/usr/bin/env python3
"""tcp6frag.py - a guest whose TCP segments over IPv6 arrive in fragments
(for ipv6_nat.sh; runs in the guest netns).

  tcp6frag.py IFACE SMAC GWMAC SRC DST PORT SIZE...

A TCP client written on the tap with an AF_PACKET socket, from SRC (an
address of the /64 the guest's kernel does not hold, MAC SMAC, so the
kernel neither answers nor resets what comes back) to [DST]:PORT. After
the handshake it sends one segment per SIZE, each longer than the MTU and
so cut into IPv6 fragments, the last with FIN; it answers the gateway's
neighbour solicitations, acknowledges what the server sends, and expects
the server's answer "<bytes> <sha256>\n" for all it sent, then its FIN.
Exit 0 when the answer is right; otherwise a message.
"""
import hashlib
import ipaddress
import os
import random
import select
import socket
import struct
import sys
import time

from rawframe import csum

ETH_P_ALL = 3
MTU = 1500


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


class Link:
    def __init__(self, iface, smac, gwmac, src, dst):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                               socket.htons(ETH_P_ALL))
        self.s.bind((iface, 0))
        self.smac, self.gwmac = mac(smac), mac(gwmac)
        self.src = ipaddress.IPv6Address(src).packed
        self.dst = ipaddress.IPv6Address(dst).packed

    def send_ip6(self, nh, payload, dst=None, dmac=None, hops=64):
        dst = dst or self.dst
        hdr = struct.pack("!IHBB", 0x60000000, len(payload), nh, hops)
        self.s.send((dmac or self.gwmac) + self.smac + b"\x86\xdd" + hdr +
                    self.src + dst + payload)

    def l4sum(self, nh, seg, src=None, dst=None):
        return csum((src or self.src) + (dst or self.dst) +
                    struct.pack("!I3xB", len(seg), nh) + seg)

    def advertise(self, to=b"\xff\x02" + b"\0" * 13 + b"\x01",
                  dmac=b"\x33\x33\0\0\0\x01", solicited=False):
        """a neighbour advertisement of SRC at SMAC"""
        na = struct.pack("!BBHI", 136, 0, 0,
                         (0x60000000 if solicited else 0x20000000))
        na += self.src + b"\x02\x01" + self.smac
        c = self.l4sum(58, na, dst=to)
        na = na[:2] + struct.pack("!H", c) + na[4:]
        self.send_ip6(58, na, dst=to, dmac=dmac, hops=255)

    def send_fragmented(self, nh, payload):
        """payload cut into fragments of at most MTU bytes"""
        ident = random.randrange(1 << 32)
        per = (MTU - 40 - 8) // 8 * 8
        for off in range(0, len(payload), per):
            part = payload[off:off + per]
            more = 1 if off + per < len(payload) else 0
            fh = struct.pack("!BBHI", nh, 0, off | more, ident)
            self.send_ip6(44, fh + part)

    def recv(self, timeout):
        """(next header, source, L4 bytes) of the next IPv6 frame to SMAC"""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            f = self.s.recv(70000)
            if len(f) < 54 or f[12:14] != b"\x86\xdd":
                continue
            ip = f[14:54]
            plen = struct.unpack("!H", ip[4:6])[0]
            l4 = f[54:54 + plen]
            if (ip[6] == 58 and l4[:1] == b"\x87" and
                    l4[8:24] == self.src):
                # a neighbour solicitation for SRC: answered
                self.advertise(to=ip[8:24], dmac=f[6:12], solicited=True)
                continue
            if ip[24:40] != self.src or f[:6] != self.smac:
                continue
            return ip[6], ip[8:24], l4


class Tcp:
    def __init__(self, link, sport, dport):
        self.link, self.sport, self.dport = link, sport, dport
        self.seq = random.randrange(1 << 32)
        self.ack = 0
        self.got = b""
        self.fin = False

    def segment(self, flags, data=b"", opts=b""):
        hl = (20 + len(opts)) // 4
        seg = struct.pack("!HHIIBBHHH", self.sport, self.dport, self.seq,
                          self.ack, hl << 4, flags, 65535, 0, 0) + opts + data
        c = self.link.l4sum(6, seg)
        return seg[:16] + struct.pack("!H", c) + seg[18:]

    def take(self, timeout):
        """the next segment of this connection: (flags, seq, ack, data)"""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r = self.link.recv(end - time.monotonic())
            if r is None:
                break
            nh, src, l4 = r
            if nh != 6 or src != self.link.dst or len(l4) < 20:
                continue
            sp, dp, seq, ack, off, flags = struct.unpack("!HHIIBB", l4[:14])
            if (sp, dp) != (self.dport, self.sport):
                continue
            return flags, seq, ack, l4[(off >> 4) * 4:]
        sys.exit("tcp6frag: nothing from the server")

    def connect(self):
        mss = struct.pack("!BBH", 2, 4, MTU - 60)
        for _ in range(3):
            self.link.send_ip6(6, self.segment(0x02, opts=mss))
            flags, seq, ack, _ = self.take(2)
            if flags & 0x04:
                sys.exit("tcp6frag: connection refused")
            if flags & 0x12 == 0x12 and ack == (self.seq + 1) & 0xFFFFFFFF:
                self.seq = ack
                self.ack = (seq + 1) & 0xFFFFFFFF
                self.link.send_ip6(6, self.segment(0x10))
                return
        sys.exit("tcp6frag: no SYN-ACK")

    def receive(self, seq, flags, data):
        if seq != self.ack:
            return  # out of order or a retransmission: acked again below
        self.got += data
        self.ack = (self.ack + len(data)) & 0xFFFFFFFF
        if flags & 0x01:
            self.fin = True
            self.ack = (self.ack + 1) & 0xFFFFFFFF


def main():
    iface, smac, gwmac, src, dst, port = sys.argv[1:7]
    sizes = [int(x) for x in sys.argv[7:]]
    link = Link(iface, smac, gwmac, src, dst)
    link.advertise()
    conn = Tcp(link, random.randrange(20000, 60000), int(port))
    conn.connect()
    sent = b""
    for i, size in enumerate(sizes):
        data = os.urandom(size)
        last = i == len(sizes) - 1
        link.send_fragmented(6, conn.segment(0x19 if last else 0x18, data))
        conn.seq = (conn.seq + size + (1 if last else 0)) & 0xFFFFFFFF
        sent += data
    want = ("%d %s\n" % (len(sent), hashlib.sha256(sent).hexdigest()))
    end = time.monotonic() + 10
    while not conn.fin and time.monotonic() < end:
        flags, seq, ack, data = conn.take(end - time.monotonic())
        if flags & 0x04:
            sys.exit("tcp6frag: reset by the server after %d bytes: %r"
                     % (len(conn.got), conn.got))
        if data or flags & 0x01:
            conn.receive(seq, flags, data)
            link.send_ip6(6, conn.segment(0x10))
    if conn.got.decode(errors="replace") != want:
        sys.exit("tcp6frag: answer %r, expected %r" % (conn.got, want))
    print("tcp6frag: %s bytes in %d segments over fragments: answer right"
          % (len(sent), len(sizes)))


if __name__ == "__main__":
    main()
