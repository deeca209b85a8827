/*
 * vm_main.c - qcw-net-vm, the in-VM agent (a drop-in for gvisor-tap-vsock's
 * gvforwarder): dials the host end (vsock, unix socket, or a spawned
 * program over stdio), creates or opens a tap device and carries the VM's
 * frames both ways with 2-byte LE lengths; reconnects every second when
 * the host end goes away; brings the tap up and runs the system's DHCP
 * client after each connection, as gvforwarder does.
 *
 * One thread and poll(2): the connection is read in large batches (many
 * frames per read) and the tap's frames are gathered into one buffer that
 * goes out in one write. Both buffers are fixed: when the tap takes no
 * more, the connection is not read (the host's transmit ring fills and it
 * slows down); when the connection takes no more, the tap is not read
 * (the kernel's tap queue holds, then drops, as a NIC would).
 *
 * Flags are parsed by cmd/flags.c, the daemon's Go-flag parser, so the
 * syntax is gvproxy's and gvforwarder's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd/flags.h"
#include "qcw_config.h"
#include "util/log.h"
#include "util/vsock.h"
#include "vsock/vm_conn.h"
#include "vsock/vm_rx.h"
#include "vsock/vm_tap.h"
#include "vsock/vm_url.h"

#define VM_RX_CAP (512 * 1024) /* host -> tap bytes held, at most */
#define VM_TX_CAP (512 * 1024) /* tap -> host bytes held, at most */
#define VM_TAP_READ 65535 /* room kept for one tap frame */
#define VM_TAP_BATCH 64 /* tap reads per poll round, at most */
#define VM_MAX_DHCP_ARGS 32

struct vm_opts {
	const char *url, *iface, *stop_if_exist, *mac, *dhcp_cmd;
	long mtu;
	bool debug, preexisting, version;
};

struct vm {
	struct vm_opts o;
	struct vm_url url;
	uint8_t mac[6];
	int tap;
	struct vm_conn conn;
	uint8_t *rx, *tx;
	size_t rx_len, tx_off, tx_len;
	bool tap_full; /* the tap refused a frame: wait for POLLOUT */
	struct vm_rx_stats st;
	uint64_t tap_frames, tap_drops;
	time_t over_logged; /* oversize drops: logged once a second */
	pid_t dhcp;
	char *dhcp_argv[VM_MAX_DHCP_ARGS + 1];
	char dhcp_buf[512];
};

static volatile sig_atomic_t vm_stop;

static void vm_on_signal(int sig)
{
	(void)sig;
	vm_stop = 1;
}

/* vm_parse_mac() - "5a:94:ef:e4:0c:ee" into @mac; 0 or -EINVAL. */
static int vm_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char extra;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &extra) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* vm_stop_if_exist() - the first interface of the comma list that exists. */
static const char *vm_stop_if_exist(const char *list, char *buf, size_t len)
{
	char *tok, *save = NULL;

	snprintf(buf, len, "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		if (vm_iface_exists(tok))
			return tok;
	return NULL;
}

/* vm_in_path() - whether @prog is an executable in $PATH. */
static bool vm_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char dir[4096], full[4352], *tok, *save = NULL;

	snprintf(dir, sizeof(dir), "%s",
		 path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
	for (tok = strtok_r(dir, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", tok, prog);
		if (access(full, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * vm_dhcp_setup() - the DHCP client's command: -dhcp-cmd split at blanks
 * with %i replaced by the interface, else gvforwarder's choice: busybox's
 * udhcpc if found, else dhclient. 0, or -ENOENT when there is none.
 */
static int vm_dhcp_setup(struct vm *vm)
{
	char tmp[512], *tok, *save = NULL;
	size_t used = 0;
	int n = 0;

	if (vm->o.dhcp_cmd)
		snprintf(tmp, sizeof(tmp), "%s", vm->o.dhcp_cmd);
	else if (vm_in_path("udhcpc"))
		snprintf(tmp, sizeof(tmp), "udhcpc -f -q -i %%i -v");
	else if (vm_in_path("dhclient"))
		snprintf(tmp, sizeof(tmp), "dhclient -4 -d -v %%i");
	else
		return -ENOENT;
	for (tok = strtok_r(tmp, " \t", &save); tok && n < VM_MAX_DHCP_ARGS;
	     tok = strtok_r(NULL, " \t", &save)) {
		const char *v = strcmp(tok, "%i") ? tok : vm->o.iface;
		size_t l = strlen(v) + 1;

		if (used + l > sizeof(vm->dhcp_buf))
			return -E2BIG;
		memcpy(vm->dhcp_buf + used, v, l);
		vm->dhcp_argv[n++] = vm->dhcp_buf + used;
		used += l;
	}
	vm->dhcp_argv[n] = NULL;
	return n ? 0 : -EINVAL;
}

static void vm_dhcp_start(struct vm *vm)
{
	pid_t pid;

	if (vm->o.preexisting || vm->dhcp > 0 || !vm->dhcp_argv[0])
		return;
	pid = fork();
	if (pid < 0) {
		log_err("cannot start the DHCP client: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		execvp(vm->dhcp_argv[0], vm->dhcp_argv);
		fprintf(stderr, "qcw-net-vm: cannot run %s: %s\n",
			vm->dhcp_argv[0], strerror(errno));
		_exit(127);
	}
	vm->dhcp = pid;
	log_info("DHCP client started: %s (pid %d)", vm->dhcp_argv[0],
		 (int)pid);
}

static void vm_dhcp_reap(struct vm *vm)
{
	int status;

	if (vm->dhcp <= 0 || waitpid(vm->dhcp, &status, WNOHANG) != vm->dhcp)
		return;
	vm->dhcp = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("DHCP client done");
	else
		log_err("dhcp error: the DHCP client exited with status %d",
			WIFEXITED(status) ? WEXITSTATUS(status)
					  : 128 + WTERMSIG(status));
}

static void vm_debug_frame(const char *dir, const uint8_t *f, size_t n)
{
	log_info("%s %zu bytes %02x:%02x:%02x:%02x:%02x:%02x -> "
		 "%02x:%02x:%02x:%02x:%02x:%02x type 0x%02x%02x",
		 dir, n, f[6], f[7], f[8], f[9], f[10], f[11], f[0], f[1], f[2],
		 f[3], f[4], f[5], f[12], f[13]);
}

/* vm_tap_write() - vm_rx_fn: one frame to the tap. */
static int vm_tap_write(void *arg, const uint8_t *f, size_t n)
{
	struct vm *vm = arg;
	ssize_t w = write(vm->tap, f, n);

	if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
		vm->tap_full = true;
		return -1;
	}
	if (w < 0)
		vm->tap_drops++; /* e.g. the tap is down: a lost frame */
	else if (vm->o.debug)
		vm_debug_frame("to the VM:", f, n);
	return 0;
}

/* vm_deliver() - frames held from the host to the tap. -EPROTO: resync. */
static int vm_deliver(struct vm *vm)
{
	uint64_t over = vm->st.oversize;
	long r;

	vm->tap_full = false;
	r = vm_rx_parse(vm->rx, vm->rx_len, (size_t)vm->o.mtu + 14, &vm->st,
			vm_tap_write, vm);
	if (r < 0)
		return (int)r;
	if (vm->st.oversize != over && time(NULL) != vm->over_logged) {
		vm->over_logged = time(NULL);
		log_warn("frames longer than -mtu %ld + 14 bytes from the host "
			 "dropped (%llu so far): give -mtu the host's MTU",
			 vm->o.mtu, (unsigned long long)vm->st.oversize);
	}
	if (r > 0) {
		memmove(vm->rx, vm->rx + r, vm->rx_len - (size_t)r);
		vm->rx_len -= (size_t)r;
	}
	return 0;
}

/* vm_read_tap() - gather up to VM_TAP_BATCH frames behind their lengths. */
static void vm_read_tap(struct vm *vm)
{
	for (int i = 0; i < VM_TAP_BATCH; i++) {
		ssize_t n;

		if (VM_TX_CAP - vm->tx_len < VM_TAP_READ + 2) {
			if (!vm->tx_off)
				return; /* full: backpressure */
			memmove(vm->tx, vm->tx + vm->tx_off,
				vm->tx_len - vm->tx_off);
			vm->tx_len -= vm->tx_off;
			vm->tx_off = 0;
			continue;
		}
		n = read(vm->tap, vm->tx + vm->tx_len + 2, VM_TAP_READ);
		if (n <= 0)
			return; /* EAGAIN: the tap is empty */
		if (n < 14)
			continue;
		if (vm->o.debug)
			vm_debug_frame("from the VM:", vm->tx + vm->tx_len + 2,
				       (size_t)n);
		vm_tx_put_hdr(vm->tx + vm->tx_len, (size_t)n);
		vm->tx_len += (size_t)n + 2;
		vm->tap_frames++;
	}
}

/* vm_flush() - write what the tap gave, one write. -errno: reconnect. */
static int vm_flush(struct vm *vm)
{
	while (vm->tx_off < vm->tx_len) {
		ssize_t w = write(vm->conn.wfd, vm->tx + vm->tx_off,
				  vm->tx_len - vm->tx_off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		vm->tx_off += (size_t)w;
	}
	vm->tx_off = vm->tx_len = 0;
	return 0;
}

/*
 * vm_serve() - carry frames until the connection ends (-errno, 0 for a
 * clean EOF) or a signal asks to stop.
 */
static int vm_serve(struct vm *vm)
{
	for (;;) {
		struct pollfd p[3] = {{.fd = vm->conn.rfd},
				      {.fd = vm->tap},
				      {.fd = vm->conn.wfd}};
		bool tx_room = VM_TX_CAP - (vm->tx_len - vm->tx_off) >=
			       VM_TAP_READ + 2;
		int r;

		if (vm_stop)
			return 0;
		vm_dhcp_reap(vm);
		if (!vm->tap_full && vm->rx_len < VM_RX_CAP)
			p[0].events = POLLIN;
		p[1].events = (short)((tx_room ? POLLIN : 0) |
				      (vm->tap_full ? POLLOUT : 0));
		if (vm->tx_off < vm->tx_len)
			p[2].events = POLLOUT;
		r = poll(p, 3, 1000);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (p[1].revents & POLLOUT && vm->tap_full &&
		    vm_deliver(vm) < 0)
			return -EPROTO;
		if (p[0].events &&
		    p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(vm->conn.rfd, vm->rx + vm->rx_len,
					 VM_RX_CAP - vm->rx_len);

			if (n == 0)
				return 0;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return -errno;
			if (n > 0) {
				vm->rx_len += (size_t)n;
				if (vm_deliver(vm) < 0)
					return -EPROTO;
			}
		}
		if (p[1].revents & POLLIN)
			vm_read_tap(vm);
		if (p[1].revents & (POLLERR | POLLNVAL))
			return -EIO;
		r = vm_flush(vm);
		if (r < 0)
			return r;
	}
}

/* vm_sleep() - 1 s between attempts, cut short by a signal. */
static void vm_sleep(void)
{
	struct timespec ts = {.tv_sec = 1};

	nanosleep(&ts, NULL);
}

static int vm_run(struct vm *vm)
{
	bool configured = false;
	int r;

	while (!vm_stop) {
		log_info("Dialing to %s...", vm->o.url);
		r = vm_conn_open(&vm->url, &vm->conn);
		if (r < 0) {
			log_err("cannot connect to host: %s",
				vsock_strerror(r));
			vm_sleep();
			continue;
		}
		if (vm->url.post[0])
			log_info("Sending post request to %s", vm->url.post);
		/*
		 * The host reads the request on its own before frames: give
		 * it a moment, so frames the tap already holds are not taken
		 * for bytes of the request (gvproxy drops those).
		 */
		if (vm->url.kind != VM_URL_STDIO)
			usleep(100 * 1000);
		if (!vm->o.preexisting && !configured) {
			r = vm_tap_up(vm->o.iface, vm->mac);
			if (r < 0) {
				log_err("cannot set mac address / bring %s up: "
					"%s",
					vm->o.iface, strerror(-r));
				vm_conn_close(&vm->conn);
				return 1;
			}
			configured = true;
		}
		log_info("Starting rx/tx loops");
		vm_dhcp_start(vm);
		r = vm_serve(vm);
		vm->rx_len = vm->tx_off = vm->tx_len = 0;
		vm->tap_full = false;
		vm_conn_close(&vm->conn);
		if (vm_stop)
			break;
		if (r == -EPROTO)
			log_err("invalid frame length from the host, "
				"reconnecting");
		else
			log_err("connection to the host ended: %s",
				r ? strerror(-r) : "EOF");
		vm_sleep();
	}
	log_info("exiting: %llu frames to the VM, %llu from it, %llu "
		 "oversize and %llu refused by the tap dropped",
		 (unsigned long long)vm->st.frames,
		 (unsigned long long)vm->tap_frames,
		 (unsigned long long)vm->st.oversize,
		 (unsigned long long)vm->tap_drops);
	return 0;
}

int main(int argc, char **argv)
{
	static struct vm vm;
	struct vm_opts *o = &vm.o;
	struct flag flags[] = {
		{"url", FLAG_STRING, &o->url,
		 "url where the tap sends packets: vsock://CID:PORT/path, "
		 "unix:///path, stdio:/path/to/program?key=value",
		 false},
		{"iface", FLAG_STRING, &o->iface, "tap interface name", false},
		{"stop-if-exist", FLAG_STRING, &o->stop_if_exist,
		 "stop if one of these interfaces exists at startup", false},
		{"mac", FLAG_STRING, &o->mac, "mac address", false},
		{"debug", FLAG_BOOL, &o->debug, "log every frame", false},
		{"mtu", FLAG_INT, &o->mtu,
		 "largest frame payload taken from the host (buffer sizing)",
		 false},
		{"preexisting", FLAG_BOOL, &o->preexisting,
		 "use a preexisting, preconfigured TAP interface", false},
		{"dhcp-cmd", FLAG_STRING, &o->dhcp_cmd,
		 "qcw-net-vm only: the DHCP client to run (%i: the interface); "
		 "default udhcpc -f -q -i %i -v, else dhclient -4 -d -v %i",
		 false},
		{"version", FLAG_BOOL, &o->version, "print the version", false},
	};
	size_t nf = sizeof(flags) / sizeof(flags[0]);
	char err[512], buf[512];
	const char *hit;
	int r;

	o->url = "vsock://2:1024/connect";
	o->iface = "tap0";
	o->stop_if_exist = "eth0,ens3,enp0s1";
	o->mac = "5a:94:ef:e4:0c:ee";
	o->mtu = 4000;
	r = flags_parse(flags, nf, argc, argv, err, sizeof(err));
	if (r == -2) {
		flags_usage("qcw-net-vm", flags, nf);
		return 0;
	}
	if (r < 0 || r < argc) {
		fprintf(stderr, "%s\n", r < 0 ? err : "unexpected argument");
		flags_usage("qcw-net-vm", flags, nf);
		return 2;
	}
	if (o->version) {
		printf("qcw-net-vm version v%s\n", QCW_VERSION);
		return 0;
	}
	if (o->debug)
		log_set_level(LOG_LVL_DEBUG);
	if (o->mtu < 68 || o->mtu > 65535 - 14) {
		fprintf(stderr, "mtu value must be between 68 and 65521\n");
		return 2;
	}
	if (o->mac[0] && vm_parse_mac(o->mac, vm.mac) < 0) {
		fprintf(stderr, "invalid -mac %s\n", o->mac);
		return 2;
	}
	if (vm_url_parse(o->url, &vm.url, err, sizeof(err)) < 0) {
		fprintf(stderr, "invalid -url: %s\n", err);
		return 2;
	}
	/* before anything touches the network, as gvforwarder */
	hit = vm_stop_if_exist(o->stop_if_exist, buf, sizeof(buf));
	if (hit) {
		log_info("interface %s prevented this program to run", hit);
		return 0;
	}
	r = vm_tun_available();
	if (r < 0) {
		log_err("cannot open /dev/net/tun: %s (the tun module and "
			"CAP_NET_ADMIN are needed)",
			strerror(-r));
		return 2;
	}
	if (vm.url.kind == VM_URL_VSOCK) {
		r = vsock_available();
		if (r < 0) {
			log_err("cannot use %s: %s", o->url,
				vsock_strerror(-EAFNOSUPPORT));
			return 2;
		}
	}
	if (!o->preexisting && vm_dhcp_setup(&vm) < 0)
		log_warn("no DHCP client found (udhcpc, dhclient): configure "
			 "%s yourself",
			 o->iface);
	vm.tap = vm_tap_open(o->iface, o->preexisting);
	if (vm.tap < 0) {
		log_err("cannot %s tap device %s: %s",
			o->preexisting ? "open the preexisting" : "create",
			o->iface,
			vm.tap == -ENODEV ? "no such interface"
					  : strerror(-vm.tap));
		return 2;
	}
	vm.rx = malloc(VM_RX_CAP);
	vm.tx = malloc(VM_TX_CAP);
	if (!vm.rx || !vm.tx) {
		log_err("out of memory");
		return 1;
	}
	{
		struct sigaction sa = {.sa_handler = vm_on_signal};

		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		signal(SIGPIPE, SIG_IGN);
	}
	r = vm_run(&vm);
	if (vm.dhcp > 0) {
		kill(vm.dhcp, SIGTERM);
		waitpid(vm.dhcp, NULL, 0);
	}
	close(vm.tap);
	free(vm.rx);
	free(vm.tx);
	return r;
}
