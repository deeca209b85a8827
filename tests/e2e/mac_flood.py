#!/usr/bin/env python3
"""mac_flood.py - hostile traffic from many made-up MACs on a guest's tap,
through a raw packet socket (run it inside the guest namespace).

  mac_flood.py IFACE dhcp N   DISCOVER+REQUEST from N random MACs; prints
                              "bound K" (how many got an ACK)
  mac_flood.py IFACE storm N  N gratuitous ARP frames, each from a new
                              random source MAC; prints "sent N"
"""
import os
import random
import select
import socket
import struct
import sys
import time

from rawframe import csum

BCAST = b"\xff" * 6


def rand_mac():
    b = bytearray(os.urandom(6))
    b[0] = (b[0] & 0xFC) | 0x02  # unicast, locally administered
    return bytes(b)



def udp_bcast(src_mac, payload):
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, b"\0\0\0\0", b"\xff\xff\xff\xff")
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return BCAST + src_mac + b"\x08\x00" + ip + udp


def dhcp(mac, xid, mtype, req_ip=None, server=None):
    p = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                    b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                    mac + b"\0" * 10, b"", b"")
    p += b"\x63\x82\x53\x63" + bytes([53, 1, mtype])
    if req_ip:
        p += bytes([50, 4]) + req_ip
    if server:
        p += bytes([54, 4]) + server
    p += b"\xff" + b"\0" * 40
    return udp_bcast(mac, p)


def replies(s, want, seconds):
    """DHCP replies (xid -> (type, yiaddr, server id)) for xids in want."""
    got = {}
    end = time.time() + seconds
    while len(got) < len(want) and time.time() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        f = s.recv(2048)
        if len(f) < 14 + 20 + 8 + 240 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        ihl = (f[14] & 15) * 4
        udp = f[14 + ihl:]
        if struct.unpack("!H", udp[2:4])[0] != 68:
            continue
        d = udp[8:]
        xid = struct.unpack("!I", d[4:8])[0]
        if xid not in want or d[0] != 2:
            continue
        opts, i, mtype, sid = d[240:], 0, 0, None
        while i + 1 < len(opts) and opts[i] != 255:
            if opts[i] == 0:
                i += 1
                continue
            code, ln = opts[i], opts[i + 1]
            if code == 53:
                mtype = opts[i + 2]
            elif code == 54:
                sid = opts[i + 2:i + 6]
            i += 2 + ln
        got[xid] = (mtype, d[16:20], sid)
    return got


def main():
    ifname, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((ifname, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if mode == "storm":
        for _ in range(n):
            mac = rand_mac()
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac,
                              b"\xc0\xa8\x7f\x63", b"\0" * 6,
                              b"\xc0\xa8\x7f\x63")
            while True:
                try:
                    s.send(BCAST + mac + b"\x08\x06" + arp)
                    break
                except OSError:  # tap queue full: let it drain
                    time.sleep(0.001)
        print("sent", n)
        return
    macs = {random.getrandbits(31) + 1: rand_mac() for _ in range(n)}
    for xid, mac in macs.items():
        s.send(dhcp(mac, xid, 1))
        time.sleep(0.0005)
    offers = replies(s, set(macs), 5)
    want = set()
    for xid, (mtype, yiaddr, sid) in offers.items():
        if mtype == 2:
            s.send(dhcp(macs[xid], xid, 3, yiaddr, sid))
            want.add(xid)
            time.sleep(0.0005)
    acks = replies(s, want, 5)
    print("offers", len(offers), "bound",
          sum(1 for t, _, _ in acks.values() if t == 5))


if __name__ == "__main__":
    main()
