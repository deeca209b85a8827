#!/usr/bin/env python3
"""mkseeds_nat_seq.py - writes the seed corpus of fuzz_nat_seq.c (programs
of ops; see enum fz_op there) into fuzz/corpus/nat_seq/. Each seed named
fN-... reproduces issue 11's finding N on a tree without its fix."""
import os
import struct

SYN, ACK, DATA, FIN, RST, OOO, UDP, ICMP, DNS_UDP, CLOCK, LOOP, RAW, \
    REPEAT, CONNECT, HTTP, NOP = range(16)
# indices into fz_dst[] and fz_port[]
HOST, GW, TN1, TN2, LO, LL, BCAST, TN3 = range(8)
P53, P80, ECHO, SINK, P22, P443, P1, P65535 = range(8)
# fz_len[]: 0 1 2 13 64 512 1024 1460
L0, L1, L2, L13, L64, L512, L1024, L1460 = range(8)
PATTERN, DNSQ, BYTES = 0, 1, 2


def op(o, *args):
    return bytes([o, *args])


def rep(n, body):
    return bytes([REPEAT]) + struct.pack('<H', n) + body


def clock(ms):
    return bytes([CLOCK]) + struct.pack('<H', ms // 16)


SEEDS = {
    # a bit of everything; holds on main
    'basic': b''.join([
        op(CONNECT, 0, 0, HOST, ECHO), op(DATA, 0, PATTERN, L64),
        op(LOOP, 7), op(ACK, 0, 255), op(LOOP, 7), op(FIN, 0),
        op(UDP, 0, HOST, ECHO, L13, 1), op(LOOP, 3),
        op(UDP, 0, TN1, P53, L64, 2), op(ICMP, 0, GW, 1, L64),
        op(ICMP, 0, TN2, 2, L13), op(DNS_UDP, 0, 0, 0, 3),
        op(DNS_UDP, 0, 3, 1, 4), op(LOOP, 7),
        op(CONNECT, 1, 0, GW, P53), op(DATA, 1, DNSQ, L512), op(LOOP, 7),
        op(ACK, 1, 255), op(FIN, 1),
        op(CONNECT, 2, 0, GW, P80), op(HTTP, 2, 0), op(LOOP, 7),
        op(ACK, 2, 255), op(HTTP, 2, 1), op(LOOP, 7), op(RST, 2),
        op(CONNECT, 3, 0, TN1, P443), op(SYN, 4, 1, LL, P80, 255),
        op(OOO, 0, 3), clock(70000), op(LOOP, 7),
    ]),
    # finding 1: an empty UDP datagram to a NAT address aborted qcw-net
    'f1-udp-empty': b''.join([
        op(UDP, 0, HOST, ECHO, L0, 5), op(LOOP, 3),
        op(UDP, 0, TN1, P53, L0, 6), op(LOOP, 3),
    ]),
    # finding 3: TCP flows from a spoofed source took every fd
    'f3-tcp-flows': rep(600, op(CONNECT, 1, 1, HOST, SINK)),
    # finding 3: UDP flows (one socket each) took every fd
    'f3-udp-flows': rep(600, op(UDP, 1, HOST, ECHO, L1, 7)),
    # finding 3: DNS-over-TCP connections (2 fds each) were unlimited
    'f3-dns-tcp-conns': rep(300, op(CONNECT, 2, 0, GW, P53)),
    # finding 4: DNS answers to a guest that never reads queued forever
    'f4-dns-unread': op(CONNECT, 3, 0, GW, P53) + op(ACK, 3, 0) +
    rep(16000, op(DATA, 3, DNSQ, L1460)),
    # finding 4: 1-byte segments to a host service that does not read
    # (bulk first, until the host socket's buffers are full)
    # (memory grows ~2 KiB a segment, and the CPU quadratically)
    'f4-sink-1byte': op(CONNECT, 4, 0, HOST, SINK) +
    rep(3000, op(DATA, 4, PATTERN, L1460)) + op(LOOP, 7) * 4 +
    rep(50000, op(DATA, 4, PATTERN, L1)),
    # finding 4: out-of-order bytes were capped per connection only
    'f4-ooo': b''.join(op(CONNECT, c, 0, HOST, SINK) +
                       rep(4096, op(OOO, c, 0)) for c in range(15)),
    # finding 5: a SYN flood at a gateway port (no backlog limit)
    'f5-syn-flood': rep(8000, op(SYN, 6, 0, GW, P80, 255)),
}

if __name__ == '__main__':
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus',
                     'nat_seq')
    os.makedirs(d, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)
