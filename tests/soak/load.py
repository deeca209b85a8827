#!/usr/bin/env python3
"""load.py - the soak test's load generators and host peers (tests/soak).

  server PORT                    TCP: reads a line, answers "ok\\n", closes;
                                 UDP: echoes (same port). Runs until killed.
  conns HOST PORT SECONDS RATE   short TCP connections at RATE a second
  udp HOST PORT COUNT SIZE       a burst of datagrams; counts the echoes
  dns SERVER COUNT               a burst of DNS queries over UDP

Each client prints one line "<kind> ok=N fail=N ..." and exits 0 when at
least 90 % succeeded.
"""
import asyncio
import os
import socket
import struct
import sys
import time


def big_buffers(s):
    """4 MiB socket buffers (root may exceed rmem_max): the soak checks
    qcw-net's drop counters, not this script's ability to keep up with a
    burst on a loaded machine."""
    for force, plain in ((getattr(socket, "SO_RCVBUFFORCE", 33), socket.SO_RCVBUF),
                         (getattr(socket, "SO_SNDBUFFORCE", 32), socket.SO_SNDBUF)):
        try:
            s.setsockopt(socket.SOL_SOCKET, force, 4 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, plain, 4 << 20)


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.t = transport
        big_buffers(transport.get_extra_info("socket"))

    def datagram_received(self, data, addr):
        self.t.sendto(data, addr)


async def serve(port):
    async def handle(r, w):
        try:
            await asyncio.wait_for(r.readline(), 10)
            w.write(b"ok\n")
            await w.drain()
        except (OSError, asyncio.TimeoutError):
            pass
        w.close()

    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", port))
    srv = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with srv:
        await srv.serve_forever()


async def conns(host, port, seconds, rate):
    ok = fail = 0
    why = {}
    sem = asyncio.Semaphore(128)

    async def one():
        nonlocal ok, fail
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(host, port), 5)
            w.write(b"hi\n")
            line = await asyncio.wait_for(r.readline(), 5)
            w.close()
            if line == b"ok\n":
                ok += 1
            else:
                fail += 1
        except (OSError, asyncio.TimeoutError) as e:
            fail += 1
            k = type(e).__name__
            why[k] = why.get(k, 0) + 1
        finally:
            sem.release()

    start = time.monotonic()
    tasks = set()
    n = 0
    while time.monotonic() - start < seconds:
        # pace to RATE a second
        due = start + n / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        await sem.acquire()
        t = asyncio.create_task(one())
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.wait(tasks, timeout=10)
    took = time.monotonic() - start
    print(f"conns ok={ok} fail={fail} rate={ok / took:.0f}/s"
          + "".join(f" {k}={v}" for k, v in sorted(why.items())))
    return ok >= 0.9 * (ok + fail) and ok > 0


def burst(s, msgs):
    """Send @msgs on the connected UDP socket @s, reading the answers as
    they come (a receive buffer holds a few hundred); return how many
    came back."""
    got = 0
    for i, m in enumerate(msgs):
        try:
            s.send(m)
        except BlockingIOError:
            time.sleep(0.001)
        if i % 16 == 15:
            time.sleep(0.001)
            got += drain(s)
    end = time.monotonic() + 2
    while time.monotonic() < end and got < len(msgs):
        n = drain(s)
        got += n
        if not n:
            time.sleep(0.01)
    return got


def drain(s):
    n = 0
    while True:
        try:
            s.recv(65536)
            n += 1
        except BlockingIOError:
            return n


def udp(host, port, count, size):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_buffers(s)
    s.connect((host, port))
    s.setblocking(False)
    payload = os.urandom(size)
    got = burst(s, [payload] * count)
    print(f"udp ok={got} fail={count - got}")
    return got >= 0.9 * count


def dns_query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def dns(server, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((server, 53))
    s.setblocking(False)
    names = ["gateway.containers.internal", "host.containers.internal",
             "host.docker.internal"]
    got = burst(s, [dns_query(i & 0xFFFF, names[i % 3]) for i in range(count)])
    print(f"dns ok={got} fail={count - got}")
    return got >= 0.9 * count


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "server":
        asyncio.run(serve(int(a[0])))
        return 0
    if cmd == "conns":
        return 0 if asyncio.run(
            conns(a[0], int(a[1]), float(a[2]), float(a[3]))) else 1
    if cmd == "udp":
        return 0 if udp(a[0], int(a[1]), int(a[2]), int(a[3])) else 1
    if cmd == "dns":
        return 0 if dns(a[0], int(a[1])) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
