#!/usr/bin/env python3
"""dgram_peer.py - a vfkit (unixgram) or UML BESS (seqpacket) peer.

  dgram_peer.py vfkit QCW_SOCK MY_SOCK   handshake "VFKT", then checks
  dgram_peer.py bess QCW_SOCK            connect, then checks

Checks: a too-short message is dropped without harm; an ARP request for
192.168.127.1 from 5a:94:ef:e4:0c:ee gets the gateway's ARP reply
(5a:94:ef:e4:0c:dd) as one message. Prints "ok" and exits 0 on success.
"""
import socket
import struct
import sys

VM = bytes.fromhex("5a94efe40cee")
GW = bytes.fromhex("5a94efe40cdd")


def arp_request():
    eth = b"\xff" * 6 + VM + b"\x08\x06"
    arp = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + VM + \
        socket.inet_aton("192.168.127.2") + b"\x00" * 6 + \
        socket.inet_aton("192.168.127.1")
    return eth + arp


def main():
    kind, qsock = sys.argv[1], sys.argv[2]
    if kind == "vfkit":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(sys.argv[3])
        s.connect(qsock)
        s.send(b"VFKT")
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(qsock)
    s.settimeout(5)
    s.send(b"\x01\x02\x03")  # shorter than an Ethernet header: dropped
    for _ in range(2):
        s.send(arp_request())
        while True:
            m = s.recv(70000)
            if len(m) >= 42 and m[12:14] == b"\x08\x06" and m[6:12] == GW \
                    and m[20:22] == b"\x00\x02":
                break
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
