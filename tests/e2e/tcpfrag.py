#!/usr/bin/env python3
"""tcpfrag.py - a guest whose TCP segments arrive in IP fragments, over
IPv6 or IPv4 (for ipv6_nat.sh and nat.sh; runs in the guest netns).

  tcpfrag.py IFACE SMAC GWMAC SRC DST PORT SIZE...

A TCP client written on the tap with an AF_PACKET socket, from SRC (an
address of the subnet the guest's kernel does not hold, MAC SMAC, so the
kernel neither answers nor resets what comes back) to DST:PORT. After the
handshake it sends one segment per SIZE, each longer than the MTU and so
cut into fragments, the last with FIN; it answers the gateway's neighbour
solicitations and ARP requests for SRC, acknowledges what the server
sends, and expects the server's answer "<bytes> <sha256>\n" for all it
sent, then its FIN. Exit 0 when the answer is right; otherwise a message.
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

from rawframe import csum, csum6

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
        self.src = ipaddress.ip_address(src).packed
        self.dst = ipaddress.ip_address(dst).packed
        self.v6 = len(self.src) == 16
        self.ident = random.randrange(1 << 16)

    def send_ip(self, proto, payload, dst=None, dmac=None, hops=64,
                frag=(0, 0)):
        """an IP packet; frag: (fragment offset | MF, identification)"""
        dst = dst or self.dst
        if self.v6:
            hdr = struct.pack("!IHBB", 0x60000000, len(payload), proto,
                              hops) + self.src + dst
            et = b"\x86\xdd"
        else:
            hdr = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(payload),
                              frag[1], frag[0], hops, proto, 0)
            hdr += self.src + dst
            hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
            et = b"\x08\x00"
        self.s.send((dmac or self.gwmac) + self.smac + et + hdr + payload)

    def l4sum(self, proto, seg, dst=None):
        if self.v6:
            return csum6(self.src, dst or self.dst, proto, seg)
        return csum(self.src + (dst or self.dst) +
                    struct.pack("!xBH", proto, len(seg)) + seg)

    def announce(self, to=None, dmac=None):
        """SRC is at SMAC: a neighbour advertisement, or a gratuitous ARP
        (to=, dmac=: the answer to a solicitation or ARP request)"""
        if not self.v6:
            op, tip = (2, to) if to else (1, self.src)
            arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + self.smac + \
                self.src + (dmac or b"\0" * 6) + tip
            self.s.send((dmac or b"\xff" * 6) + self.smac + b"\x08\x06" + arp)
            return
        solicited = to is not None
        to = to or b"\xff\x02" + b"\0" * 13 + b"\x01"
        na = struct.pack("!BBHI", 136, 0, 0,
                         0x60000000 if solicited else 0x20000000)
        na += self.src + b"\x02\x01" + self.smac
        c = self.l4sum(58, na, dst=to)
        na = na[:2] + struct.pack("!H", c) + na[4:]
        self.send_ip(58, na, dst=to, dmac=dmac or b"\x33\x33\0\0\0\x01",
                     hops=255)

    def send_fragmented(self, proto, payload):
        """payload cut into fragments of at most MTU bytes"""
        if self.v6:
            ident = random.randrange(1 << 32)
            per = (MTU - 40 - 8) // 8 * 8
        else:
            self.ident = (self.ident + 1) & 0xFFFF
            per = (MTU - 20) // 8 * 8
        for off in range(0, len(payload), per):
            part = payload[off:off + per]
            more = 1 if off + per < len(payload) else 0
            if self.v6:
                fh = struct.pack("!BBHI", proto, 0, off | more, ident)
                self.send_ip(44, fh + part)
            else:
                self.send_ip(proto, part, frag=(off // 8 | more << 13,
                                                self.ident))

    def frame(self, f):
        """(protocol, source, L4 bytes) of an IP frame for SRC, or None;
        neighbour solicitations and ARP requests for SRC are answered"""
        et = f[12:14]
        if et == b"\x08\x06" and len(f) >= 42 and f[21] == 1 and \
                f[38:42] == self.src:
            self.announce(to=f[28:32], dmac=f[22:28])
            return None
        if self.v6 and et == b"\x86\xdd" and len(f) >= 54:
            plen = struct.unpack("!H", f[18:20])[0]
            proto, src, dst, l4 = f[20], f[22:38], f[38:54], f[54:54 + plen]
            if proto == 58 and l4[:1] == b"\x87" and l4[8:24] == self.src:
                self.announce(to=src, dmac=f[6:12])
                return None
        elif not self.v6 and et == b"\x08\x00" and len(f) >= 34:
            ihl = (f[14] & 15) * 4
            tot = struct.unpack("!H", f[16:18])[0]
            proto, src, dst = f[23], f[26:30], f[30:34]
            l4 = f[14 + ihl:14 + tot]
        else:
            return None
        if dst != self.src or f[:6] != self.smac:
            return None
        return proto, src, l4

    def recv(self, timeout):
        """(protocol, source, L4 bytes) of the next IP frame to SRC"""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            r = self.frame(self.s.recv(70000))
            if r:
                return r


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
        sys.exit("tcpfrag: nothing from the server")

    def connect(self):
        mss = struct.pack("!BBH", 2, 4, MTU - (60 if self.link.v6 else 40))
        for _ in range(3):
            self.link.send_ip(6, self.segment(0x02, opts=mss))
            flags, seq, ack, _ = self.take(2)
            if flags & 0x04:
                sys.exit("tcpfrag: connection refused")
            if flags & 0x12 == 0x12 and ack == (self.seq + 1) & 0xFFFFFFFF:
                self.seq = ack
                self.ack = (seq + 1) & 0xFFFFFFFF
                self.link.send_ip(6, self.segment(0x10))
                return
        sys.exit("tcpfrag: no SYN-ACK")

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
    link.announce()
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
            sys.exit("tcpfrag: reset by the server after %d bytes: %r"
                     % (len(conn.got), conn.got))
        if data or flags & 0x01:
            conn.receive(seq, flags, data)
            link.send_ip(6, conn.segment(0x10))
    if conn.got.decode(errors="replace") != want:
        sys.exit("tcpfrag: answer %r, expected %r" % (conn.got, want))
    print("tcpfrag: %s bytes in %d segments over fragments: answer right"
          % (len(sent), len(sizes)))


if __name__ == "__main__":
    main()
