#!/usr/bin/env python3
"""hostile_peer.py - a misbehaving guest for gw_limits.sh, run in the
guest namespace. Frames go out on the tap device through an AF_PACKET
socket, from made-up hosts that answer ARP themselves, so the guest's own
kernel never sees (nor resets) these connections.

  synflood PORT COUNT            SYNs to the gateway from made-up sources
                                 (SYN_SUBNET=1: of the guest's subnet, so
                                 every SYN-ACK needs ARP; SYN_SECS: stop
                                 after that many seconds; SYN_RATE: at
                                 most that many a second; SYN_V6=1: over
                                 IPv6 to the gateway's address in the
                                 prefix, from made-up addresses of it)
  onebyte  DST PORT COUNT        one connection, COUNT 1-byte segments
  ooseq    DST PORT CONNS COUNT  CONNS connections, COUNT out-of-order
                                 1-byte segments each (every other byte)
  tinymss  DST PORT CONNS MSS    CONNS connections offering an MSS of MSS,
                                 held HOLD seconds (default 6) without
                                 acknowledging anything
  dnsflood COUNT                 DNS-over-TCP queries, answers never read
                                 (CONNS: over that many connections, in
                                 turn, each with a small receive buffer)
  hold     PORT COUNT SECONDS    COUNT connections to the gateway, held
  idle     PORT                  one idle connection: seconds until closed
"""
import os
import random
import select
import socket
import struct
import sys
import time

from rawframe import csum

IFACE = os.environ.get("LAB_TAP", "tap0")
GW = "192.168.127.1"
GW_MAC = bytes.fromhex(os.environ.get("LAB_GW_MAC", "5a:94:ef:e4:0c:dd").replace(":", ""))



def ip4(a):
    return socket.inet_aton(a)


def tcp_frame(smac, src, dst, sport, dport, seq, ack, flags, payload=b"", win=65535, opts=b""):
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, win, 0, 0) + opts
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(th) + len(payload))
    c = csum(ph + th + payload)
    th = th[:16] + struct.pack("!H", c) + th[18:]
    tot = 20 + len(th) + len(payload)
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, random.getrandbits(16), 0, 64, 6, 0, ip4(src), ip4(dst))
    ih = ih[:10] + struct.pack("!H", csum(ih)) + ih[12:]
    return GW_MAC + smac + b"\x08\x00" + ih + th + payload


PREFIX6 = os.environ.get("LAB_PREFIX6", "fd71:6377:6e65::")
GW6 = PREFIX6 + "1"


def tcp6_frame(smac, src, dst, sport, dport, seq, flags, win=65535):
    """A TCP segment over IPv6 (no options, no payload) in a frame."""
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, win, 0, 0)
    c = csum(s6 + d6 + struct.pack("!IxxxB", len(th), 6) + th)
    th = th[:16] + struct.pack("!H", c) + th[18:]
    ih = struct.pack("!IHBB", 6 << 28, len(th), 6, 64) + s6 + d6
    return GW_MAC + smac + b"\x86\xdd" + ih + th


class Host:
    """A made-up host on the guest's network: one IP, one MAC."""

    def __init__(self, sock, n):
        self.s = sock
        self.ip = "192.168.127.%d" % (100 + n)
        self.mac = bytes([2, 0, 0, 0, 0, 100 + n])
        # who-has gateway, tell us: lwIP learns our address from it
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, self.mac, ip4(self.ip), b"\0" * 6, ip4(GW))
        self.s.send(b"\xff" * 6 + self.mac + b"\x08\x06" + arp)

    def answer_arp(self, f):
        if len(f) < 42 or f[12:14] != b"\x08\x06" or f[20:22] != b"\x00\x01":
            return False
        if f[38:42] != ip4(self.ip):
            return False
        arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, self.mac, ip4(self.ip), f[22:28], f[28:32])
        self.s.send(f[6:12] + self.mac + b"\x08\x06" + arp)
        return True


def rx(sock, timeout):
    r, _, _ = select.select([sock], [], [], timeout)
    return sock.recv(65536) if r else None


def handshake(sock, hosts, dst, dport, per_host=1, opts=b""):
    """Connect every host to dst:dport (per_host times); return
    {host: (sport, seq, ack)} (one of each host's)."""
    conns = {}
    pend = {}
    for h in hosts:
        for _ in range(per_host):
            sport = random.randint(20000, 60000)
            seq = random.getrandbits(32)
            pend[(h.ip, sport)] = (h, seq)
            sock.send(tcp_frame(h.mac, h.ip, dst, sport, dport, seq, 0, 0x02, opts=opts))
    deadline = time.time() + 10
    while pend and time.time() < deadline:
        f = rx(sock, 0.5)
        if not f:
            continue
        for h in hosts:
            if h.answer_arp(f):
                break
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        d = socket.inet_ntoa(f[30:34])
        dp = struct.unpack("!H", f[36:38])[0]
        if (d, dp) not in pend or f[47] & 0x12 != 0x12:
            continue
        h, seq = pend.pop((d, dp))
        their = struct.unpack("!I", f[38:42])[0]
        sock.send(tcp_frame(h.mac, h.ip, dst, dp, dport, seq + 1, their + 1, 0x10))
        conns[h] = (dp, seq + 1, their + 1)
        handshake.done = getattr(handshake, "done", 0) + 1
    return conns


def acked(sock, h, sport, dport, secs):
    """The highest acknowledgement the gateway sent h's connection
    (sport -> dport) within secs, or None."""
    best = None
    end = time.time() + secs
    while time.time() < end:
        f = rx(sock, 0.05)
        if not f or h.answer_arp(f):
            continue
        if len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6 or f[30:34] != ip4(h.ip):
            continue
        if struct.unpack("!HH", f[34:38]) != (dport, sport) or not f[47] & 0x10:
            continue
        a = struct.unpack("!I", f[42:46])[0]
        if best is None or (a - best) & 0xFFFFFFFF < 0x80000000:
            best = a
    return best


def pump_arp(sock, hosts, secs):
    end = time.time() + secs
    while time.time() < end:
        f = rx(sock, 0.05)
        if f:
            for h in hosts:
                h.answer_arp(f)


def packet_sock():
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((IFACE, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    return s


def segments(sock, h, conn, dst, dport, count, stride):
    sport, seq, ack = conn
    sent = 0
    for i in range(count):
        f = tcp_frame(h.mac, h.ip, dst, sport, dport, (seq + i * stride) & 0xFFFFFFFF, ack, 0x18, b"x")
        while True:
            try:
                sock.send(f)
                break
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:
                time.sleep(0.001)
        sent += 1
        if i % 2000 == 0:
            r = rx(sock, 0)
            if r:
                h.answer_arp(r)
    return sent


def main():
    cmd = sys.argv[1]
    if cmd == "synflood":
        port, count = int(sys.argv[2]), int(sys.argv[3])
        s = packet_sock()
        mac = bytes([2, 0, 0, 0, 0, 99])
        t0 = time.time()
        secs = float(os.environ.get("SYN_SECS", "0"))
        rate = float(os.environ.get("SYN_RATE", "0"))
        stop = os.environ.get("SYN_STOP")
        for i in range(count):
            if i % 1000 == 0:
                if (secs and time.time() - t0 > secs) or (stop and os.path.exists(stop)):
                    count = i
                    break
                if rate and i > rate * (time.time() - t0):
                    time.sleep(i / rate - (time.time() - t0))
            if os.environ.get("SYN_V6"):
                src = PREFIX6 + "%x:%x" % (random.getrandbits(16) | 0x100, random.getrandbits(16))
                f = tcp6_frame(mac, src, GW6, random.randint(1024, 65535), port, random.getrandbits(32), 0x02)
                try:
                    s.send(f)
                except OSError:
                    time.sleep(0.001)
                continue
            if os.environ.get("SYN_SUBNET"):  # lwIP must ARP for each
                src = "192.168.127.%d" % random.randint(3, 250)
            else:
                src = "10.%d.%d.%d" % (random.randint(0, 255), random.randint(0, 255), random.randint(1, 254))
            f = tcp_frame(mac, src, GW, random.randint(1024, 65535), port, random.getrandbits(32), 0, 0x02)
            try:
                s.send(f)
            except OSError:
                time.sleep(0.001)
        print("sent %d SYNs in %.1f s" % (count, time.time() - t0))
    elif cmd in ("onebyte", "ooseq"):
        dst, port = sys.argv[2], int(sys.argv[3])
        nconn = 1 if cmd == "onebyte" else int(sys.argv[4])
        count = int(sys.argv[-1])
        s = packet_sock()
        hosts = [Host(s, i) for i in range(nconn)]
        pump_arp(s, hosts, 0.3)
        conns = handshake(s, hosts, dst, port)
        print("connected %d of %d" % (len(conns), nconn))
        total = 0
        for h, c in conns.items():
            # ooseq: skip the first byte, then every other one: all holes
            if cmd == "ooseq":
                c = (c[0], c[1] + 1, c[2])
            total += segments(s, h, c, dst, port, count, 2 if cmd == "ooseq" else 1)
            # onebyte: a frame lost on the way (a slow, sanitized qcw-net
            # behind a full tap queue) leaves every later byte out of
            # order; send again from what was acknowledged while that
            # still moves (it stops where the host queue's budget holds
            # the rest back unacknowledged)
            last = None
            while cmd == "onebyte":
                a = acked(s, h, c[0], port, 0.5)
                left = (c[1] + count - a) & 0xFFFFFFFF if a is not None else 0
                if a is None or a == last or not 0 < left <= count:
                    break
                last = a
                total += segments(s, h, (c[0], a, c[2]), dst, port, left, 1)
        print("sent %d segments" % total)
        pump_arp(s, hosts, float(os.environ.get("HOLD", "2")))
    elif cmd == "tinymss":
        dst, port, nconn, mss = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        s = packet_sock()
        hosts = [Host(s, i) for i in range(min(nconn, 50))]
        pump_arp(s, hosts, 0.3)
        handshake(s, hosts, dst, port, (nconn + len(hosts) - 1) // len(hosts), struct.pack("!BBH", 2, 4, mss))
        print("connected %d of %d" % (getattr(handshake, "done", 0), nconn))
        sys.stdout.flush()
        pump_arp(s, hosts, float(os.environ.get("HOLD", "6")))
    elif cmd == "dnsflood":
        count = int(sys.argv[2])
        nconn = int(os.environ.get("CONNS", "1"))
        conns = []
        for _ in range(nconn):
            c = socket.socket()
            if nconn > 1:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            c.settimeout(5)
            c.connect((GW, 53))
            c.setblocking(False)
            conns.append(c)
        q = b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04host\x0acontainers\x08internal\x00\x00\x01\x00\x01"
        m = struct.pack("!H", len(q)) + q
        batch = m * 100
        sent = 0
        # each connection's unsent rest of a batch: sent before its next
        # batch, so the stream stays framed even when send() takes part
        out = [b""] * nconn
        stall = [time.time()] * nconn
        while sent < count:
            moved = progressed = False
            for i, c in enumerate(conns):
                if c is None or time.time() - stall[i] >= 3:
                    continue
                moved = True
                try:
                    if not out[i]:
                        out[i] = batch
                    n = c.send(out[i])
                    out[i] = out[i][n:]
                    if not out[i]:
                        sent += len(batch) // len(m)
                    if n:
                        stall[i] = time.time()
                        progressed = True
                except BlockingIOError:
                    pass
                except OSError:
                    conns[i] = None
            if not moved:
                break
            if not progressed:
                time.sleep(0.01)
        print("sent %d queries on %d connections" % (sent, nconn))
        time.sleep(float(os.environ.get("HOLD", "1")))
    elif cmd == "hold":
        port, count, secs = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        socks = []
        for _ in range(count):
            try:
                socks.append(socket.create_connection((GW, port), timeout=2))
            except OSError:
                pass
        time.sleep(0.5)
        alive = 0
        for x in socks:
            x.setblocking(False)
            try:
                alive += 1 if x.recv(1) else 0
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        print("alive %d of %d" % (alive, count))
        sys.stdout.flush()
        time.sleep(secs)
    elif cmd == "idle":
        c = socket.create_connection((GW, int(sys.argv[2])), timeout=30)
        t0 = time.time()
        try:
            c.recv(1)
        except OSError:
            pass
        print("%.1f" % (time.time() - t0))


if __name__ == "__main__":
    main()
