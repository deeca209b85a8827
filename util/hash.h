/*
 * hash.h - what the tables a guest fills share for hashing: a per-process
 * random key, so that a guest cannot aim its addresses or ports at one
 * bucket, and FNV-1a over a key's bytes. Pure but for the key's one
 * getrandom() (Linux; elsewhere a key from an address of the caller's).
 */
#ifndef QCW_HASH_H
#define QCW_HASH_H

#include <stddef.h>
#include <stdint.h>
#ifdef __linux__
#include <sys/random.h>
#endif

/* hash_seed() - a random key; @salt (an object's address) when none */
static inline uint64_t hash_seed(const void *salt)
{
#ifdef __linux__
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == sizeof(seed))
		return seed;
#endif
	return (uint64_t)(uintptr_t)salt * 0x9e3779b97f4a7c15ull;
}

/* hash_fnv1a() - FNV-1a of @n bytes at @p, its basis mixed with @seed */
static inline uint32_t hash_fnv1a(const uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#endif
