#!/usr/bin/env python3
"""mkseeds_stack6.py - writes the IPv6 seeds of fuzz_stack.c (fuzz-stack and
fuzz-stack-slirp share fuzz/corpus/stack/): frames, each after a 2-byte
little-endian length, that carry IPv6 TCP, UDP, ICMPv6 echo and neighbour
discovery to the gateway's addresses and beyond, fragments, extension
headers and truncated headers; single frames (after fuzz_slirp_filter.c's
flag byte) for fuzz/corpus/slirp_filter/; and programs of fuzz_nat_seq.c's
RAW and LOOP ops for fuzz/corpus/nat_seq/ (NAT66 with host sockets: the host
alias's echo servers on ::1, unreachable destinations). Addresses:
qcw-net's default /64."""
import os
import struct

GW_MAC = bytes.fromhex("5a94efe40cdd")
GUEST_MAC = bytes.fromhex("5a94efe40cee")
PFX = bytes.fromhex("fd7163776e650000")
GW6 = PFX + bytes(7) + b"\x01"
ALIAS6 = PFX + bytes(7) + b"\xfe"
GUEST6 = PFX + bytes(7) + b"\x02"
GW_LL6 = bytes.fromhex("fe80000000000000" "5894effffee40cdd")
GUEST_LL6 = bytes.fromhex("fe80000000000000" "5894effffee40cee")
FOREIGN6 = bytes.fromhex("20010db8000000000000000000000001")


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def l4sum(src, dst, nh, body):
    ph = src + dst + struct.pack("!IxxxB", len(body), nh)
    return csum(ph + body)


def eth6(payload, dst_mac=GW_MAC):
    return dst_mac + GUEST_MAC + b"\x86\xdd" + payload


def ip6(src, dst, nh, body, plen=None):
    return struct.pack("!IHBB", 6 << 28, len(body) if plen is None else plen,
                       nh, 64) + src + dst + body


def with_sum(src, dst, nh, body, off):
    s = l4sum(src, dst, nh, body)
    return body[:off] + struct.pack("!H", s) + body[off + 2:]


def tcp(src, dst, sport, dport, flags, seq=1000, ack=0, data=b""):
    opts = b"\x02\x04\x05\xb4" if flags & 0x02 else b""
    hl = (20 + len(opts)) // 4
    body = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, hl << 4, flags,
                       65535, 0, 0) + opts + data
    return eth6(ip6(src, dst, 6, with_sum(src, dst, 6, body, 16)))


def udp(src, dst, sport, dport, data):
    body = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    return eth6(ip6(src, dst, 17, with_sum(src, dst, 17, body, 6)))


def icmp6(src, dst, typ, code, rest, dst_mac=GW_MAC):
    body = struct.pack("!BBH", typ, code, 0) + rest
    return eth6(ip6(src, dst, 58, with_sum(src, dst, 58, body, 2)), dst_mac)


def echo(dst, ident=0x1234, seq=1, data=b"qcw-net ipv6 seed"):
    return icmp6(GUEST6, dst, 128, 0, struct.pack("!HH", ident, seq) + data)


def frag(dst, nh, chunk, offset, more, ident=0x77, hbh=False):
    fh = struct.pack("!BBHI", nh, 0, (offset // 8) << 3 | (1 if more else 0),
                     ident)
    if hbh:  # a hop-by-hop header (a router alert) before the Fragment header
        return eth6(ip6(GUEST6, dst, 0, bytes([44, 0, 5, 2, 0, 0, 1, 0]) +
                        fh + chunk))
    return eth6(ip6(GUEST6, dst, 44, fh + chunk))


def dns_query():
    return struct.pack("!HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + \
        b"\x07gateway\x0acontainers\x08internal\x00" + struct.pack("!HH", 28, 1)


def frames(*fs):
    return b"".join(struct.pack("<H", len(f)) + f for f in fs)


def ns(target):
    sol = bytes.fromhex("ff020000000000000000000000000001ff") + target[13:]
    mac = bytes.fromhex("3333ff") + target[13:]
    return icmp6(GUEST_LL6, sol, 135, 0, bytes(4) + target +
                 b"\x01\x01" + GUEST_MAC, dst_mac=mac)


def na(target):
    return icmp6(GUEST6, GW_LL6, 136, 0, b"\x60" + bytes(3) + target +
                 b"\x02\x01" + GUEST_MAC)


big = bytes(range(256)) * 8
SEEDS = {
    "ipv6-echo-gateway": frames(echo(GW6), echo(GW_LL6)),
    "ipv6-echo-host-alias": frames(echo(ALIAS6)),
    "ipv6-ns-na-rs": frames(ns(GW6), ns(ALIAS6), na(GUEST6),
                            icmp6(GUEST_LL6, bytes.fromhex(
                                "ff020000000000000000000000000002"), 133, 0,
                                bytes(4) + b"\x01\x01" + GUEST_MAC,
                                dst_mac=bytes.fromhex("333300000002"))),
    "ipv6-tcp-syn-gateway-80": frames(
        tcp(GUEST6, GW6, 40000, 80, 0x02),
        tcp(GUEST6, GW6, 40000, 80, 0x10, seq=1001, ack=1),
        tcp(GUEST6, GW6, 40000, 80, 0x18, seq=1001, ack=1,
            data=b"GET / HTTP/1.0\r\n\r\n")),
    "ipv6-tcp-syn-foreign": frames(tcp(GUEST6, FOREIGN6, 40001, 443, 0x02),
                                   tcp(GUEST6, ALIAS6, 40002, 8080, 0x02)),
    "ipv6-tcp-link-local-dst": frames(
        tcp(GUEST_LL6, bytes.fromhex("fe800000000000000000000000001234"),
            40003, 80, 0x02)),
    "ipv6-udp-dns-gateway": frames(udp(GUEST6, GW6, 5353, 53, dns_query())),
    "ipv6-udp-foreign": frames(udp(GUEST6, FOREIGN6, 5000, 9, b"x" * 100),
                               udp(GUEST6, ALIAS6, 5001, 8084, b"")),
    "ipv6-fragments": frames(frag(GW6, 58, struct.pack(
        "!BBHHH", 128, 0, 0, 1, 1) + big[:1224], 0, True),
        frag(GW6, 58, big[:800], 1232, False),
        frag(FOREIGN6, 17, big[:1232], 0, True)),
    "ipv6-ext-headers": frames(eth6(ip6(GUEST6, FOREIGN6, 0,
        b"\x11\x00" + bytes(6) + struct.pack("!HHHH", 1, 2, 8, 0)))),
    "ipv6-short-and-bad": frames(
        eth6(b"\x60"), eth6(ip6(GUEST6, GW6, 58, b"")[:20]),
        eth6(ip6(GUEST6, GW6, 6, b"\x00" * 4, plen=4000)),
        eth6(b"\x45" + bytes(39)),
        eth6(ip6(bytes(16), GW6, 58, b"\x80\x00\x00\x00\x00\x01\x00\x01"))),
}


NA_FROM_SLIRP = bytes.fromhex("525600 0000fe".replace(" ", "")) + GUEST_MAC + \
    b"\x86\xdd" + ip6(ALIAS6, GUEST6, 58, with_sum(ALIAS6, GUEST6, 58,
        struct.pack("!BBHI", 136, 0, 0, 0x60000000) + ALIAS6 +
        b"\x02\x01" + bytes.fromhex("5256000000fe"), 2))
FILTER_SEEDS = {
    "ipv6-echo-gw": echo(GW6),
    "ipv6-echo-foreign": echo(FOREIGN6),
    "ipv6-syn-gw": tcp(GUEST6, GW6, 40000, 80, 0x02),
    "ipv6-syn-foreign": tcp(GUEST6, FOREIGN6, 40001, 443, 0x02),
    "ipv6-syn-alias": tcp(GUEST6, ALIAS6, 40002, 8080, 0x02),
    "ipv6-syn-loopback": tcp(GUEST6, bytes(15) + b"\x01", 40003, 80, 0x02),
    "ipv6-udp-dns-gw": udp(GUEST6, GW6, 5353, 53, dns_query()),
    "ipv6-ns-alias": ns(ALIAS6),
    "ipv6-na-from-slirp": NA_FROM_SLIRP,
    "ipv6-short": eth6(b"\x60" + bytes(30)),
}


# fuzz_nat_seq.c's ops (enum fz_op): RAW len16le frame, LOOP n
OP_LOOP, OP_RAW = 10, 11


def prog(*fs):
    out = b""
    for f in fs:
        out += bytes([OP_RAW]) + struct.pack("<H", len(f)) + f + \
            bytes([OP_LOOP, 4])
    return out


NAT_SEQ_SEEDS = {
    "ipv6-alias-tcp-udp-echo": prog(
        tcp(GUEST6, ALIAS6, 41000, 7007, 0x02),
        udp(GUEST6, ALIAS6, 41001, 7007, b"hello over udp6"),
        echo(ALIAS6)),
    "ipv6-unreachable": prog(
        tcp(GUEST6, FOREIGN6, 41002, 80, 0x02),
        udp(GUEST6, FOREIGN6, 41003, 53, b"x" * 40),
        echo(FOREIGN6)),
    "ipv6-alias-fragments": prog(
        frag(ALIAS6, 17, struct.pack("!HHHH", 41004, 7007, 8 + 2000, 0) +
             big[:1224], 0, True, ident=0x99),
        frag(ALIAS6, 17, big[:776], 1232, False, ident=0x99)),
    "ipv6-alias-fragments-after-hbh": prog(
        frag(ALIAS6, 17, struct.pack("!HHHH", 41008, 7007, 8 + 2000, 0) +
             big[:1224], 0, True, ident=0x9a, hbh=True),
        frag(ALIAS6, 17, big[:776], 1232, False, ident=0x9a, hbh=True)),
    "ipv6-blocked": prog(
        tcp(GUEST6, bytes(15) + b"\x01", 41005, 7007, 0x02),
        tcp(GUEST_LL6, bytes.fromhex("fe800000000000000000000000009999"),
            41006, 22, 0x02),
        tcp(FOREIGN6, ALIAS6, 41007, 7007, 0x02)),
}


def write(sub, seeds, prefix=b""):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "corpus", sub)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(prefix + data)


def main():
    write("stack", SEEDS)
    write("slirp_filter", FILTER_SEEDS, prefix=b"\0")
    write("nat_seq", NAT_SEQ_SEEDS)


if __name__ == "__main__":
    main()
