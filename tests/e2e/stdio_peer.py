#!/usr/bin/env python3
"""stdio_peer.py QCW_NET - runs qcw-net -listen-stdio accept as WSL's gvforwarder does,
sends an ARP request for the gateway with 2-byte LE framing on its stdin,
expects the ARP reply on its stdout, closes stdin and expects exit 0."""
import subprocess, struct, socket, sys, time
VM = bytes.fromhex("5a94efe40cee"); GW = bytes.fromhex("5a94efe40cdd")
eth = b"\xff"*6 + VM + b"\x08\x06"
arp = struct.pack(">HHBBH",1,0x0800,6,4,1)+VM+socket.inet_aton("192.168.127.2")+b"\x00"*6+socket.inet_aton("192.168.127.1")
f = eth+arp
p = subprocess.Popen([sys.argv[1], "-listen-stdio", "accept", "-ssh-port", "-1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write(struct.pack("<H", len(f)) + f); p.stdin.flush()
hdr = p.stdout.read(2); n = struct.unpack("<H", hdr)[0]; m = p.stdout.read(n)
ok = m[6:12] == GW and m[12:14] == b"\x08\x06" and m[20:22] == b"\x00\x02"
p.stdin.close(); rc = p.wait(timeout=5)
print("reply ok" if ok else "bad reply", "exit", rc)
sys.exit(0 if ok and rc == 0 else 1)
