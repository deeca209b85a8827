#!/usr/bin/env python3
"""qemu_peer.py - a hostile QEMU stream peer for the e2e tests.

Connects to qcw-net's QEMU socket, sends one kind of bad input and checks
that qcw-net closes the connection (EOF) within 5 s. Kinds: random (random
bytes), zero (length 0), huge (length 0xFFFFFFFF), short (length 13),
truncated (a header announcing 100 bytes, 50 bytes, then our EOF).
Exit 0 when qcw-net behaved, 1 otherwise.
"""
import os
import socket
import struct
import sys


def main():
    path, kind = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    if kind == "random":
        data = os.urandom(4096)
        # make sure the first length is out of range
        data = b"\xde\xad\xbe\xef" + data
    elif kind == "zero":
        data = struct.pack(">I", 0)
    elif kind == "huge":
        data = struct.pack(">I", 0xFFFFFFFF)
    elif kind == "short":
        data = struct.pack(">I", 13) + b"x" * 13
    elif kind == "truncated":
        data = struct.pack(">I", 100) + b"y" * 50
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        try:
            rest = s.recv(65536)
        except OSError:
            rest = b""
        # qcw-net may send nothing and must close its side too
        return 0 if rest == b"" or rest is not None else 1
    else:
        print("unknown kind", kind)
        return 2
    try:
        s.sendall(data)
    except OSError:
        return 0  # already closed by qcw-net
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return 0  # EOF: qcw-net closed the connection
    except socket.timeout:
        print("qcw-net kept the connection open")
        return 1
    except OSError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
