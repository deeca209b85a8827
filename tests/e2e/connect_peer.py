#!/usr/bin/env python3
"""connect_peer.py MODE SOCK - a VM of the tests' own on a qcw-net socket
(a unix socket's path, or tcp:HOST:PORT).

MODEs:
  le16 | be32 | raw   POST /connect on the -listen socket SOCK (no response
                      is read, as gvforwarder), then an ARP request for the
                      gateway in that framing (2-byte LE, 4-byte BE, or no
                      prefix with one frame per write); the reply must come
                      back in the same framing.
  vpnkit              vpnkit's handshake on the -listen-vpnkit socket SOCK
                      (49-byte init echoed, 41-byte command with the UUID,
                      258-byte reply: 0x01, MTU, MTU+14, MAC), then ARP with
                      2-byte LE framing. Prints the MTU and MAC.
  vpnkit-short        sends half an init message and closes: qcw-net must
                      survive (checked by the caller).
  vpnkit-badcmd       an unknown command after the init: the connection is
                      closed (EOF).
  vpnkit-stall        16 peers stop halfway through the handshake and stay:
                      a 17th connection is refused (EOF); once they leave,
                      a full handshake works again.
Exit 0 when the reply is right."""
import socket, struct, sys, time

VM = bytes.fromhex("5a94efe40cee")
GW = bytes.fromhex("5a94efe40cdd")
UUID = b"c3d68012-0208-11ea-9fd7-f2189899ab08"


def arp_request():
    eth = b"\xff" * 6 + VM + b"\x08\x06"
    arp = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + VM + \
        socket.inet_aton("192.168.127.2") + b"\x00" * 6 + \
        socket.inet_aton("192.168.127.1")
    return eth + arp


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("EOF after %d of %d bytes" % (len(b), n))
        b += c
    return b


def is_arp_reply(m):
    return m[6:12] == GW and m[12:14] == b"\x08\x06" and m[20:22] == b"\x00\x02"


def stall(path):
    held = []
    for _ in range(16):
        h = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        h.connect(path)
        h.sendall(b"\x01" * 20)
        held.append(h)
    time.sleep(0.5)
    x = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    x.settimeout(5)
    x.connect(path)
    try:
        refused = x.recv(1) == b""
    except ConnectionResetError:
        refused = True
    print("17th connection %s" % ("refused" if refused else "served"))
    for h in held:
        h.close()
    time.sleep(0.5)
    return refused


def dial(path):
    """SOCK is a unix socket's path, or tcp:HOST:PORT (qcw-net.exe under
    wine, which has no AF_UNIX)."""
    if path.startswith("tcp:"):
        host, port = path[4:].rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "vpnkit-stall":
        if not stall(path):
            return 1
        mode = "vpnkit"
    s = dial(path)
    f = arp_request()
    if mode == "vpnkit-short":
        s.sendall(b"\x01" * 20)
        s.close()
        return 0
    if mode == "vpnkit-badcmd":
        init = bytes([0x01]) + b"VMN3T" + bytes(43)
        s.sendall(init)
        recv_exact(s, 49)
        s.sendall(b"\x07" + UUID + b"\x00" * 4)
        try:
            eof = s.recv(1) == b""
        except ConnectionResetError:
            eof = True
        print("unknown command: %s" % ("closed" if eof else "answered"))
        return 0 if eof else 1
    if mode == "vpnkit":
        init = bytes([0x01]) + b"VMN3T" + bytes(43)
        s.sendall(init)
        if recv_exact(s, 49) != init:
            print("init not echoed")
            return 1
        s.sendall(b"\x01" + UUID + b"\x00" * 4)
        r = recv_exact(s, 258)
        mtu, mtu14 = struct.unpack("<HH", r[1:5])
        mac = r[5:11]
        print("vpnkit reply: status %d mtu %d max frame %d mac %s" %
              (r[0], mtu, mtu14, mac.hex(":")))
        if r[0] != 1 or mtu14 != mtu + 14 or mac != VM or any(r[11:]):
            return 1
        mode = "le16"
    else:
        s.sendall(b"POST /connect HTTP/1.1\r\nHost: qcw\r\n\r\n")
        time.sleep(0.3)  # the server reads the request alone
    if mode == "le16":
        s.sendall(struct.pack("<H", len(f)) + f)
        n = struct.unpack("<H", recv_exact(s, 2))[0]
        m = recv_exact(s, n)
    elif mode == "be32":
        s.sendall(struct.pack(">I", len(f)) + f)
        n = struct.unpack(">I", recv_exact(s, 4))[0]
        m = recv_exact(s, n)
    else:
        s.sendall(f)
        m = s.recv(65536)
    ok = is_arp_reply(m)
    print("%s: %s" % (mode, "ARP reply from the gateway" if ok else
                      "bad reply %r" % m[:42]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
