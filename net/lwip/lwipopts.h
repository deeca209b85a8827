/*
 * lwipopts.h - compile-time configuration of lwIP for qcw-net: one thread
 * (NO_SYS) on the libuv loop, IPv4 and IPv6, large windows and send buffers
 * for MTU 65520, no input checksum verification (frames come from a local
 * VM over a socket, not a wire), and memory taken from malloc so the
 * number of connections is limited by qcw-net's own flow limits instead
 * of fixed pools.
 */
#ifndef QCW_LWIPOPTS_H
#define QCW_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_TIMERS 1
#define LWIP_SINGLE_NETIF 1

/* Memory: heap and pools from the C allocator. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define MEM_SIZE (16 * 1024 * 1024)
#define LWIP_SUPPORT_CUSTOM_PBUF 1
#define PBUF_POOL_SIZE 64
#define PBUF_POOL_BUFSIZE 2048

/* Limits are checked by qcw-net's flow table before lwIP sees a SYN. */
#define MEMP_NUM_TCP_PCB 16384
#define MEMP_NUM_TCP_PCB_LISTEN 4096
#define MEMP_NUM_TCP_SEG 65535
#define MEMP_NUM_UDP_PCB 64
#define MEMP_NUM_REASSDATA 64
#define MEMP_NUM_FRAG_PBUF 256
#define MEMP_NUM_ARP_QUEUE 256
#define MEMP_NUM_SYS_TIMEOUT 16

/* Link and IPv4. */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 64
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
#define LWIP_IPV4 1
/*
 * IPv6: the gateway's fixed addresses only (stack_lwip.c), no
 * autoconfiguration, router solicitation, DAD or MLD of lwIP's own (the
 * gateway link answers neighbour solicitations for the gateway's
 * addresses and sends the router advertisements, gateway/). lwIP's
 * neighbour cache only backs up the guest addresses stack_lwip.c learns
 * from the guest's own packets.
 */
#define LWIP_IPV6 1
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0
#define LWIP_IPV6_MLD 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_FORWARD 0
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
/* 64-bit pointers do not fit in the 8 bytes of a fragment header */
#define IPV6_FRAG_COPYHEADER 1
#define LWIP_ICMP6 1
/* errors quote the offending packet up to the minimum MTU (RFC 4443) */
#define LWIP_ICMP6_DATASIZE (1280 - 40 - 8)
#define LWIP_ND6_ALLOW_RA_UPDATES 0
#define LWIP_ND6_NUM_NEIGHBORS 64
/*
 * ip6_output scans the whole destination cache for the path MTU of every
 * segment, and lwst6_output() (stack_lwip6.c) bypasses lwIP's ND for the
 * guests it learned, so the cache only holds the guests of the fallback:
 * a short one (64 entries cost 2 % of the CPU at MTU 1500 over IPv6).
 */
#define LWIP_ND6_NUM_DESTINATIONS 8
#define LWIP_ND6_QUEUEING 1
#define MEMP_NUM_ND6_QUEUE 64
#define LWIP_ND6_TCP_REACHABILITY_HINTS 1
#define LWIP_IPV6_ADDRESS_LIFETIMES 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define IP_REASS_MAXAGE 15
#define IP_REASS_MAX_PBUFS 512
#define IP_DEFAULT_TTL 64
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_UDP 1
#define LWIP_UDPLITE 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NETIF_TX_SINGLE_PBUF 0
#define LWIP_BROADCAST_PING 0

/* TCP: window scaling, MTU 65520 (MSS 65480), multi-MiB windows. */
#define LWIP_TCP 1
/* netinet/tcp.h (pulled in by uv.h) has its own TCP_MSS; ours wins. */
#undef TCP_MSS
#define TCP_MSS 65480
#define TCP_CALCULATE_EFF_SEND_MSS 1
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 7
#define TCP_WND (4 * 1024 * 1024)
#define TCP_SND_BUF (4 * 1024 * 1024)
#define TCP_SND_QUEUELEN 8192
/* lwIP's u16 sanity check on TCP_SNDLOWAT predates window scaling: with
 * LWIP_WND_SCALE the send buffer counters are 32-bit. */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 2)
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
#define TCP_OOSEQ_MAX_BYTES (4 * 1024 * 1024)
#define TCP_OOSEQ_MAX_PBUFS 4096
/* ... and all connections together: stack_lwip.c's global budget */
#define TCP_OOSEQ_BYTES_LIMIT(pcb) \
	((u32_t)qcw_ooseq_limit(TCP_OOSEQ_MAX_BYTES, 1))
#define TCP_OOSEQ_PBUFS_LIMIT(pcb) \
	((u16_t)qcw_ooseq_limit(TCP_OOSEQ_MAX_PBUFS, 0))
unsigned int qcw_ooseq_limit(unsigned int max, int count);
/* half-open connections count against a listener's backlog from the SYN */
#define TCP_LISTEN_BACKLOG 1
#define TCP_MAXRTX 12
#define TCP_SYNMAXRTX 6
/*
 * Keepalive probes go out for pcbs with SOF_KEEPALIVE (the NAT's, after
 * their own keep_idle) at one interval and count for all: no per-pcb
 * interval and count (8 bytes in every pcb).
 */
#define LWIP_TCP_KEEPALIVE 0
#define TCP_KEEPINTVL_DEFAULT 10000UL /* ms */
#define TCP_KEEPCNT_DEFAULT 6U
#define LWIP_TCP_TIMESTAMPS 1
/* one event function instead of five callback pointers in every pcb
 * (40 bytes): lwst_tcp_event.h */
#define LWIP_CALLBACK_API 0
#define LWIP_EVENT_API 1
#define SO_REUSE 1
/* one slot (16 bytes in every pcb): the ring a pcb sends from (txring.c),
 * or during the NAT's handshake its pcb's lifetime (lwst_tcp_watch());
 * the remembered ends of the queues live in the splice (qcw_tcp_output.c) */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 1
#define TCP_DEFAULT_LISTEN_BACKLOG 0xff

/* Checksums: generate all, verify none (the guest is on a socket). */
#define CHECKSUM_GEN_IP 1
#define CHECKSUM_GEN_UDP 1
#define CHECKSUM_GEN_TCP 1
#define CHECKSUM_GEN_ICMP 1
#define CHECKSUM_CHECK_IP 0
#define CHECKSUM_CHECK_UDP 0
#define CHECKSUM_CHECK_TCP 0
#define CHECKSUM_CHECK_ICMP 0
#define LWIP_CHECKSUM_ON_COPY 1
/* 64 bits at a time instead of lwIP's 16 (net/lwip/qcw_chksum.c) */
#define LWIP_CHKSUM qcw_lwip_chksum
unsigned short qcw_lwip_chksum(const void *data, int len);
#define LWIP_CHKSUM_COPY(dst, src, len) qcw_lwip_chksum_copy(dst, src, len)
unsigned short qcw_lwip_chksum_copy(void *dst, const void *src,
				    unsigned short len);

/* No statistics in lwIP: qcw-net counts what its API reports. */
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define MIB2_STATS 0
#define LWIP_PERF 0

/* The hooks that let the gateway terminate traffic to any address. */
#define LWIP_HOOK_FILENAME "qcw_lwip_hooks.h"
#define LWIP_HOOK_IP4_INPUT(p, inp) qcw_lwip_ip4_input_hook((p), (inp))
#define LWIP_HOOK_IP6_INPUT(p, inp) qcw_lwip_ip6_input_hook((p), (inp))
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) \
	qcw_lwip_tcp_isn((lip), (lport), (rip), (rport))

/*
 * Every call of tcp_output() and tcp_write() outside lwIP's tcp_out.c
 * (which the lwIP build compiles with QCW_LWIP_REAL_TCP_OUTPUT) goes to
 * qcw-net's qcw_tcp_output() and qcw_tcp_write(), which spare lwIP 2.1
 * a walk of the whole unacked or unsent queue per call
 * (net/lwip/qcw_tcp_output.c).
 */
#ifndef QCW_LWIP_REAL_TCP_OUTPUT
#define tcp_output qcw_tcp_output
#define tcp_write qcw_tcp_write
#endif

#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define LWIP_RAND() ((u32_t)qcw_lwip_rand())

#endif
