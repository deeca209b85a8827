#!/usr/bin/env bash
# ssh_tunnel.sh - qcw-net's SSH tunnels (-forward-sock, libssh on the
# loop, dialled through the virtual network) against OpenSSH's client
# (`ssh -N -L host.sock:guest.sock` through qcw-net's -ssh-port forward,
# i.e. the same virtual network) in the same run, in the lab of
# tests/lab/lab.sh with a real sshd in the guest namespace:
#   - throughput of one large download (guest -> host) and upload,
#   - connections per second (connect, 1-byte request, 3-byte answer,
#     close), sequential and 16 at a time.
# Prints a table with ratios (qcw-net / OpenSSH; higher is better).
#
#   bench/ssh_tunnel.sh            (as root)
#   env: MB (default 200), CONNS (default 300), QCW_NET, QCW_TAPBRIDGE
# A measuring tool, not a test: the machine is shared and numbers vary;
# only compare columns of the same run.

. "$(dirname "${BASH_SOURCE[0]}")/../tests/lab/lab.sh"

: "${MB:=200}" "${CONNS:=300}"
lab_require_root
lab_require_cmd python3 ssh ssh-keygen /usr/sbin/sshd
[ -x "$QCW_NET" ] || lab_die "qcw-net not built ($QCW_NET)"

GIP=192.168.127.2
lab_init sshbench
H=$LAB_DIR/host
G=$LAB_DIR/guest
mkdir -p "$H" "$G" /run/sshd
KEY=$LAB_DIR/id_ed25519
ssh-keygen -q -t ed25519 -N '' -f "$KEY"
ssh-keygen -q -t ed25519 -N '' -f "$LAB_DIR/host_ed25519"
cat >"$LAB_DIR/sshd_config" <<EOF
ListenAddress $GIP:22
HostKey $LAB_DIR/host_ed25519
AuthorizedKeysFile $KEY.pub
PermitRootLogin yes
StrictModes no
UsePAM no
PasswordAuthentication no
AllowStreamLocalForwarding yes
PidFile none
EOF

# the peers: guest servers and host clients, one process each
cat >"$LAB_DIR/peer.py" <<'EOF'
import os, socket, socketserver, sys, threading, time

CHUNK = os.urandom(1 << 20)

class Source(socketserver.BaseRequestHandler):
    def handle(self):
        for _ in range(int(sys.argv[3])):
            self.request.sendall(CHUNK)

class Sink(socketserver.BaseRequestHandler):
    def handle(self):
        n = 0
        while True:
            b = self.request.recv(1 << 18)
            if not b:
                break
            n += len(b)
        self.request.sendall(b"%d\n" % n)

class Ok(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(16)
        self.request.sendall(b"OK\n")

def serve(kind, path):
    h = {"source": Source, "sink": Sink, "ok": Ok}[kind]
    socketserver.ThreadingUnixStreamServer.daemon_threads = True
    socketserver.ThreadingUnixStreamServer.request_queue_size = 256
    s = socketserver.ThreadingUnixStreamServer(path, h)
    os.chmod(path, 0o666)
    s.serve_forever()

def conn(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s

def download(path, mb):
    s, n, t = conn(path), 0, time.time()
    while True:
        b = s.recv(1 << 18)
        if not b:
            break
        n += len(b)
    dt = time.time() - t
    assert n == mb << 20, n
    return mb / dt

def upload(path, mb):
    s, t = conn(path), time.time()
    for _ in range(mb):
        s.sendall(CHUNK)
    s.shutdown(socket.SHUT_WR)
    got = s.makefile().readline()
    dt = time.time() - t
    assert int(got) == mb << 20, got
    return mb / dt

def one(path):
    s = conn(path)
    s.sendall(b"x")
    assert s.recv(16) == b"OK\n"
    s.close()

def conns(path, n, par):
    errs = []
    def worker(k):
        try:
            for _ in range(k):
                one(path)
        except Exception as e:
            errs.append(e)
    t = time.time()
    th = [threading.Thread(target=worker, args=(n // par,)) for _ in range(par)]
    for x in th:
        x.start()
    for x in th:
        x.join()
    if errs:
        raise errs[0]
    return (n // par) * par / (time.time() - t)

if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "serve":
        serve(sys.argv[2], sys.argv[4] if sys.argv[2] == "source" else sys.argv[3])
    elif mode == "download":
        print("%.1f" % download(sys.argv[2], int(sys.argv[3])))
    elif mode == "upload":
        print("%.1f" % upload(sys.argv[2], int(sys.argv[3])))
    elif mode == "conns":
        one(sys.argv[2])  # warm up (session, first channel)
        print("%.0f" % conns(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
EOF
PEER="python3 $LAB_DIR/peer.py"

lab_spawn "$LAB_GUEST" "$LAB_DIR/src.log" $PEER serve source "$MB" "$G/src.sock"
lab_spawn "$LAB_GUEST" "$LAB_DIR/sink.log" $PEER serve sink "$G/sink.sock"
lab_spawn "$LAB_GUEST" "$LAB_DIR/ok.log" $PEER serve ok "$G/ok.sock"

names=(src sink ok)
fwd=()
for n in "${names[@]}"; do
	fwd+=(-forward-sock "$H/q-$n.sock" -forward-dest "$G/$n.sock"
		-forward-user root -forward-identity "$KEY")
done
lab_start_backend qcw -mtu 1500 -ssh-port 2222 "${fwd[@]}"
lab_start_bridge
lab_static_ip
lab_spawn "$LAB_GUEST" "$LAB_DIR/sshd.log" /usr/sbin/sshd -D -e \
	-f "$LAB_DIR/sshd_config" -h "$LAB_DIR/host_ed25519"
wait_for_port "$LAB_GUEST" 22 || lab_die "sshd did not start"

# OpenSSH's client: the same guest sockets through qcw-net's 2222 forward
lfwd=()
for n in "${names[@]}"; do lfwd+=(-L "$H/o-$n.sock:$G/$n.sock"); done
lab_spawn "$LAB_NET" "$LAB_DIR/ssh.log" ssh -N -p 2222 -i "$KEY" \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o StreamLocalBindUnlink=yes -o ExitOnForwardFailure=yes \
	"${lfwd[@]}" root@127.0.0.1
wait_for_file "$H/o-ok.sock" 20 || lab_die "ssh -L did not start"
wait_until 20 $PEER conns "$H/q-ok.sock" 1 1 || lab_die "tunnel not up"

run() { # run KIND ARGS...: "qcw openssh" for one measurement
	local a b
	a=$($PEER "$1" "$H/q-$2.sock" "${@:3}") || a=0
	b=$($PEER "$1" "$H/o-$2.sock" "${@:3}") || b=0
	echo "$a $b"
}
row() { # row LABEL "A B"
	set -- "$1" $2
	printf '%-28s %12s %12s %8s\n' "$1" "$2" "$3" \
		"$(awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}
echo "# $MB MB transfers, $CONNS connections; sshd: OpenSSH $(ssh -V 2>&1 | cut -d, -f1)"
printf '%-28s %12s %12s %8s\n' "metric" "qcw-net" "ssh -L" "ratio"
row "download MB/s" "$(run download src "$MB")"
row "upload MB/s" "$(run upload sink "$MB")"
row "connections/s (1 at a time)" "$(run conns ok "$CONNS" 1)"
row "connections/s (16 at once)" "$(run conns ok "$CONNS" 16)"
echo "# qcw-net RSS after: $(awk '/^VmRSS/ {print $2 " kB"}' "/proc/$LAB_BACKEND_PID/status")"
