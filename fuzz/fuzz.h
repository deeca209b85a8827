/*
 * fuzz.h - what the libFuzzer targets share: CHECK() traps on a violated
 * property (libFuzzer and the corpus replayer both report a trap), the
 * entry point's prototype, and fuzz_take_frame() for targets whose input
 * is a sequence of records that carry frames.
 */
#ifndef QCW_FUZZ_H
#define QCW_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/be.h"

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * fuzz_take_frame() - the frame at *@p: a 16-bit big-endian length, then
 * that many bytes (fewer when the input ends first) in *@f and *@len;
 * *@p moves past it. False when not even the length is left.
 */
static inline bool fuzz_take_frame(const uint8_t **p, const uint8_t *end,
				   const uint8_t **f, size_t *len)
{
	if (end - *p < 2)
		return false;
	*len = be16_get(*p);
	*p += 2;
	if ((size_t)(end - *p) < *len)
		*len = (size_t)(end - *p);
	*f = *p;
	*p += *len;
	return true;
}

#endif
