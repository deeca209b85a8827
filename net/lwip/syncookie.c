/*
 * syncookie.c - SYN cookies for the gateway's TCP ports (see syncookie.h).
 *
 * The ISN: the top 29 bits are a keyed hash of the connection and the
 * time slot, the low 3 bits index the MSS table below (the same table for
 * both families: IPv6's 1440 and 8940 fall to 1440 and 4016).
 */
#include "net/lwip/syncookie.h"

#include <string.h>

#include "net/pkt.h"
#include "net/pkt6.h"
#include "util/be.h"

static const uint16_t syncookie_mss_tab[8] = {536,  1220, 1360, 1440,
					      1460, 4016, 8960, 65480};

static uint64_t syncookie_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t syncookie_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t syncookie_hash(uint64_t secret, const struct syncookie_tuple *t,
			       uint64_t slot)
{
	uint64_t h;

	if (t->v6) {
		h = syncookie_mix(secret ^ 6 ^ syncookie_load64(t->saddr6));
		h = syncookie_mix(h ^ syncookie_load64(t->saddr6 + 8));
		h = syncookie_mix(h ^ syncookie_load64(t->daddr6));
		h = syncookie_mix(h ^ syncookie_load64(t->daddr6 + 8));
	} else {
		h = syncookie_mix(secret ^
				  ((uint64_t)t->saddr << 32 | t->daddr));
	}
	h = syncookie_mix(h ^
			  ((uint64_t)t->sport << 48 | (uint64_t)t->dport << 32 |
			   (slot & 0xffffffffu)));
	return (uint32_t)(h >> 32) & ~7u;
}

void syncookie_tuple_set(struct syncookie_tuple *t, bool v6, const uint8_t *src,
			 const uint8_t *dst, const uint8_t *tcp)
{
	memset(t, 0, sizeof(*t));
	t->v6 = v6;
	if (v6) {
		memcpy(t->saddr6, src, 16);
		memcpy(t->daddr6, dst, 16);
	} else {
		t->saddr = be32_get(src);
		t->daddr = be32_get(dst);
	}
	t->sport = be16_get(tcp);
	t->dport = be16_get(tcp + 2);
}

uint16_t syncookie_syn_mss(const uint8_t *tcp, size_t len)
{
	size_t off, i;

	if (len < 20)
		return 0;
	off = (size_t)(tcp[12] >> 4) * 4;
	if (off < 20 || off > len)
		return 0;
	for (i = 20; i < off;) {
		uint8_t kind = tcp[i];

		if (kind == 0) /* end of options */
			return 0;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= off || tcp[i + 1] < 2 || i + tcp[i + 1] > off)
			return 0; /* malformed */
		if (kind == 2)
			return tcp[i + 1] == 4 ? be16_get(tcp + i + 2) : 0;
		i += tcp[i + 1];
	}
	return 0;
}

uint32_t syncookie_make(uint64_t secret, const struct syncookie_tuple *t,
			uint64_t now_ms, uint16_t mss, uint16_t *use_mss)
{
	uint32_t idx = 0, i;

	if (!mss)
		mss = 536;
	for (i = 1; i < 8; i++)
		if (syncookie_mss_tab[i] <= mss)
			idx = i;
	*use_mss = syncookie_mss_tab[idx];
	return syncookie_hash(secret, t, now_ms / SYNCOOKIE_SLOT_MS) | idx;
}

uint16_t syncookie_check(uint64_t secret, const struct syncookie_tuple *t,
			 uint64_t now_ms, uint32_t isn)
{
	uint64_t slot = now_ms / SYNCOOKIE_SLOT_MS;

	if ((isn & ~7u) == syncookie_hash(secret, t, slot) ||
	    (slot && (isn & ~7u) == syncookie_hash(secret, t, slot - 1)))
		return syncookie_mss_tab[isn & 7u];
	return 0;
}

/*
 * syncookie_put() - the IP header (@t's family; the guest's to the
 * gateway's, or back when @reply) and TCP with the MSS option at @ip.
 * Returns the IP packet's length.
 */
static size_t syncookie_put(uint8_t *ip, const struct syncookie_tuple *t,
			    bool reply, uint32_t seq, uint32_t ack,
			    uint8_t flags, uint16_t win, uint16_t mss)
{
	size_t hl = t->v6 ? PKT_IP6_HLEN : 20;
	uint8_t *tcp = ip + hl;
	uint32_t sum;

	pkt_put_tcp(tcp, reply ? t->dport : t->sport,
		    reply ? t->sport : t->dport, seq, ack, flags);
	tcp[12] = 6 << 4; /* with the MSS option */
	be16_put(tcp + 14, win);
	tcp[20] = 2;
	tcp[21] = 4;
	be16_put(tcp + 22, mss);
	if (t->v6) {
		const uint8_t *src = reply ? t->daddr6 : t->saddr6;
		const uint8_t *dst = reply ? t->saddr6 : t->daddr6;

		pkt_put_ip6(ip, 24, 6, 64, src, dst);
		sum = pkt_pseudo_sum6(src, dst, 6, 24);
	} else {
		uint32_t src = reply ? t->daddr : t->saddr;
		uint32_t dst = reply ? t->saddr : t->daddr;

		pkt_put_ip4(ip, 0, SYNCOOKIE_SYN_LEN, 0, 0x4000, 6, src, dst);
		sum = pkt_pseudo_sum(src, dst, 6, 24);
	}
	be16_put(tcp + 16, pkt_csum(tcp, 24, sum));
	return hl + 24;
}

size_t syncookie_build_synack(uint8_t *out, const uint8_t guest_mac[6],
			      const uint8_t gw_mac[6],
			      const struct syncookie_tuple *t, uint32_t isn,
			      uint32_t seq, uint16_t mss)
{
	pkt_put_eth(out, guest_mac, gw_mac, t->v6 ? ETHTYPE_IP6 : ETHTYPE_IP4);
	return 14 + syncookie_put(out + 14, t, true, isn, seq + 1,
				  PKT_TCP_SYN_FLAG | PKT_TCP_ACK_FLAG, 65535,
				  mss);
}

size_t syncookie_build_syn(uint8_t *out, const struct syncookie_tuple *t,
			   uint32_t seq, uint16_t win, uint16_t mss)
{
	return syncookie_put(out, t, false, seq, 0, PKT_TCP_SYN_FLAG, win, mss);
}
