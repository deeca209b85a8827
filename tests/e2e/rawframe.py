"""rawframe.py - what the e2e scripts that write raw frames on the guest's
tap share: the Internet checksum (RFC 1071) of IPv4, TCP and UDP headers."""
import struct


def csum(data):
    """The ones' complement sum of data as 16-bit big-endian words."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF
