#!/usr/bin/env python3
"""peers.py - small real peers for the e2e tests (Python standard library).

  echo-server PORT            TCP server on 127.0.0.1: reads everything until
                              the client's FIN, then answers "got N bytes"
                              and closes (a half-close check), many at once.
  halfclose-client HOST PORT N
                              sends N bytes, shuts down its write side, and
                              prints what the server answered afterwards.
  hold-server PORT            TCP server that accepts and keeps connections
                              open until the client closes (echoes "x").
  concurrent HOST PORT N      opens N connections at once, sends one byte on
                              each, waits for every echo, holds them all, then
                              closes; prints "N ok".
  udp-echo PORT               UDP echo server on 127.0.0.1.
  udp-ping HOST PORT SIZE [EXT]
                              sends one SIZE-byte datagram, expects it back;
                              EXT (IPv6): with an extension header on each
                              packet (see ext_header()).
  tcp-get HOST PORT EXT       HTTP/1.0 GET / with an IPv6 extension header
                              on every segment; prints the answer.
  udp-refused HOST PORT       sends a datagram on a connected socket and
                              expects ECONNREFUSED (an ICMP port
                              unreachable) within 3 s.
  source-server PORT BYTES    TCP server on 127.0.0.1: sends BYTES to each
                              client, then closes.
  sum-server PORT [ADDR]      TCP server (127.0.0.1, or ADDR): reads until the
                              client's FIN, answers "<bytes> <sha256>\\n" of
                              what it read and closes (for tcpfrag.py).
"""
import hashlib
import os
import selectors
import socket
import sys
import threading
import time


def serve(port, handler_factory):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4096)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                c, _ = ls.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, handler_factory())
            else:
                c = key.fileobj
                try:
                    data = c.recv(65536)
                except OSError:
                    data = b""
                if not key.data(c, data):
                    sel.unregister(c)
                    c.close()


def echo_server(port):
    def factory():
        state = {"n": 0}

        def handle(c, data):
            if data:
                state["n"] += len(data)
                return True
            c.setblocking(True)
            c.sendall(b"got %d bytes\n" % state["n"])
            return False
        return handle
    serve(port, factory)


def hold_server(port):
    def factory():
        def handle(c, data):
            if not data:
                return False
            c.sendall(b"x" * len(data))
            return True
        return handle
    serve(port, factory)


def close_server(port):
    """Accept, send one line and close first: the peer (qcw-net's lwIP,
    for a NATed connection) is the side left in TIME_WAIT."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(128)
    while True:
        c, _ = ls.accept()
        c.sendall(b"bye\n")
        c.close()


def reuse_client(host, port, sport, n):
    """n connections in a row from the same source port; each must
    connect at once and read the server's line to EOF."""
    for i in range(n):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", sport))
        s.settimeout(3)
        t0 = time.time()
        try:
            s.connect((host, port))
            data = recv_all(s, 100)
        except OSError as e:
            print("connection %d from port %d failed: %s" % (i, sport, e))
            return 1
        finally:
            s.close()
        if data != b"bye\n" or time.time() - t0 > 0.9:
            print("connection %d: %r in %.2f s" % (i, data, time.time() - t0))
            return 1
        time.sleep(0.2)
    print("%d ok" % n)
    return 0


def halfclose_client(host, port, n):
    s = socket.create_connection((host, port), timeout=20)
    block = os.urandom(65536)
    left = n
    while left:
        k = min(left, len(block))
        s.sendall(block[:k])
        left -= k
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        out += d
    sys.stdout.write(out.decode())


def concurrent(host, port, n):
    socks = []
    deadline = time.time() + 60
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE)
    pending_write = set(socks)
    pending_read = set()
    while (pending_write or pending_read) and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            s = key.fileobj
            if s in pending_write:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    print("connect failed")
                    return 1
                s.send(b"a")
                pending_write.discard(s)
                pending_read.add(s)
                sel.modify(s, selectors.EVENT_READ)
            else:
                if s.recv(1) == b"x":
                    pending_read.discard(s)
                    sel.unregister(s)
    if pending_write or pending_read:
        print("%d connections did not complete" %
              (len(pending_write) + len(pending_read)))
        return 1
    print("%d ok" % n)
    sys.stdout.flush()
    if os.environ.get("HOLD_FILE"):
        open(os.environ["HOLD_FILE"], "w").write("held\n")
        time.sleep(float(os.environ.get("HOLD_SECONDS", "2")))
    for s in socks:
        s.close()
    return 0


def recv_all(s, bufsize=65536):
    """what @s receives until the peer's FIN"""
    data = b""
    while True:
        b = s.recv(bufsize)
        if not b:
            return data
        data += b


def source_server(port, nbytes):
    """sends @nbytes to whoever connects to 127.0.0.1:@port, then closes"""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1024)
    data = b"d" * nbytes

    def send(c):
        try:
            c.sendall(data)
            c.close()
        except OSError:
            pass

    while True:
        c, _ = s.accept()
        threading.Thread(target=send, args=(c,), daemon=True).start()


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def udp_echo(port, bind="127.0.0.1"):
    s = socket.socket(family(bind), socket.SOCK_DGRAM)
    s.bind((bind, port))
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(data, addr)


# IPv6 options headers (RFC 8200 4.2): next header and length are the
# kernel's; PadN of 4, a router alert, or an option of unknown type 0x42
# whose high bits say "discard the packet" (a receiver must not skip it)
EXT_OPTS = {
    "hbh": (54, bytes([0, 0, 1, 4, 0, 0, 0, 0])),  # IPV6_HOPOPTS
    "alert": (54, bytes([0, 0, 5, 2, 0, 0, 1, 0])),
    "dst": (59, bytes([0, 0, 1, 4, 0, 0, 0, 0])),  # IPV6_DSTOPTS
    "must": (54, bytes([0, 0, 0x42, 4, 0, 0, 0, 0])),
}


def ext_header(s, kind):
    """every packet of socket @s carries the extension header @kind"""
    if kind:
        opt, hdr = EXT_OPTS[kind]
        s.setsockopt(socket.IPPROTO_IPV6, opt, hdr)


def tcp_get(host, port, kind):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ext_header(s, kind)
    s.settimeout(5)
    s.connect((host, port))
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    sys.stdout.write(recv_all(s).decode(errors="replace"))
    return 0


def udp_ping(host, port, size, kind=None):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    ext_header(s, kind)
    s.settimeout(3)
    payload = os.urandom(size)
    for _ in range(3):
        s.sendto(payload, (host, port))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        if data == payload:
            print("echo ok %d" % size)
            return 0
        print("echo mismatch: %d bytes back" % len(data))
        return 1
    print("no echo")
    return 1


def udp_refused(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(3)
    s.connect((host, port))
    for _ in range(2):
        try:
            s.send(b"anyone?")
            s.recv(65535)
        except ConnectionRefusedError:
            print("refused")
            return 0
        except socket.timeout:
            print("no answer in 3 s")
            return 1
    print("answered")
    return 1


def sum_server(port, bind="127.0.0.1"):
    ls = socket.socket(family(bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((bind, port))
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        c.settimeout(30)
        h, n = hashlib.sha256(), 0
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                h.update(d)
                n += len(d)
            c.sendall(b"%d %s\n" % (n, h.hexdigest().encode()))
        except OSError:
            pass
        c.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "echo-server":
        echo_server(int(args[0]))
    elif cmd == "hold-server":
        hold_server(int(args[0]))
    elif cmd == "halfclose-client":
        halfclose_client(args[0], int(args[1]), int(args[2]))
    elif cmd == "concurrent":
        return concurrent(args[0], int(args[1]), int(args[2]))
    elif cmd == "close-server":
        close_server(int(args[0]))
    elif cmd == "reuse-client":
        return reuse_client(args[0], int(args[1]), int(args[2]), int(args[3]))
    elif cmd == "udp-echo":
        udp_echo(int(args[0]), *args[1:2])
    elif cmd == "udp-ping":
        return udp_ping(args[0], int(args[1]), int(args[2]), *args[3:4])
    elif cmd == "tcp-get":
        return tcp_get(args[0], int(args[1]), args[2])
    elif cmd == "udp-refused":
        return udp_refused(args[0], int(args[1]))
    elif cmd == "source-server":
        source_server(int(args[0]), int(args[1]))
    elif cmd == "sum-server":
        sum_server(int(args[0]), *args[1:2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
