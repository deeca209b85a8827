/*
 * arch/cc.h - lwIP's port header for qcw-net: C99 types from stdint,
 * diagnostics through qcw-net's logger, and assertions that log and abort
 * (they guard programming errors inside lwIP, never guest input).
 */
#ifndef QCW_LWIP_ARCH_CC_H
#define QCW_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/time.h>

#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_NO_CTYPE_H 0

#ifndef BYTE_ORDER
#define BYTE_ORDER __BYTE_ORDER__
#endif
#ifndef LITTLE_ENDIAN
#define LITTLE_ENDIAN __ORDER_LITTLE_ENDIAN__
#endif
#ifndef BIG_ENDIAN
#define BIG_ENDIAN __ORDER_BIG_ENDIAN__
#endif

#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

uint32_t qcw_lwip_rand(void);
void qcw_lwip_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define LWIP_PLATFORM_DIAG(x)    \
	do {                     \
		qcw_lwip_diag x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x)                                               \
	do {                                                                  \
		fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x, \
			__FILE__, __LINE__);                                  \
		abort();                                                      \
	} while (0)

#endif
