"""rawframe.py - what the e2e scripts that write raw frames on the guest's
tap share: the Internet checksum (RFC 1071) of IPv4, TCP and UDP headers,
and of an L4 segment over IPv6 with its pseudo header."""
import struct


def csum(data):
    """The ones' complement sum of data as 16-bit big-endian words."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def csum6(src, dst, proto, seg):
    """The checksum of L4 segment seg (its checksum field zero) from src
    to dst (16 bytes each) over IPv6, pseudo header included."""
    return csum(src + dst + struct.pack("!I3xB", len(seg), proto) + seg)
