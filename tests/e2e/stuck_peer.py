#!/usr/bin/env python3
"""stuck_peer.py - a VM on qcw-net's QEMU socket that reads nothing.

Connects to the QEMU stream socket PATH as MAC 5a:94:ef:00:00:66 with
address ADDR, announces itself with an ARP request for the gateway, then
sends COUNT ICMP echo requests of 1400 bytes to the gateway and never
reads a byte: the gateway's answers fill its port's queue, as a paused
VM's or a hostile one's would. Prints "sent" once done, then holds the
connection open for HOLD seconds (default 120) or until killed.
Usage: stuck_peer.py PATH ADDR COUNT [HOLD]
"""
import socket
import struct
import sys
import time

GW_MAC = bytes.fromhex("5a94efe40cdd")
MAC = bytes.fromhex("5a94ef000066")
GW = socket.inet_aton("192.168.127.1")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def framed(f):
    return struct.pack("!I", len(f)) + f


def arp_request(src):
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC + src
    arp += b"\0" * 6 + GW
    return framed(b"\xff" * 6 + MAC + b"\x08\x06" + arp + b"\0" * 18)


def echo_request(src, seq):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5157, seq & 0xFFFF)
    icmp += b"q" * 1400
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq & 0xFFFF,
                     0, 64, 1, 0, src, GW)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return framed(GW_MAC + MAC + b"\x08\x00" + ip + icmp)


def main():
    path, src, count = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3])
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 120
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    s.sendall(arp_request(src))
    time.sleep(0.3)
    out = []
    for seq in range(count):
        out.append(echo_request(src, seq))
        if len(out) == 512:
            s.sendall(b"".join(out))
            out = []
    s.sendall(b"".join(out))
    print("sent", flush=True)
    time.sleep(hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
