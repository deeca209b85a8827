/*
 * memalign.h - blocks aligned to their own size (the lwIP transmit rings
 * find their header by masking a pointer): C11's aligned_alloc()/free()
 * where the C library has it, the CRT's _aligned_malloc()/_aligned_free()
 * on Windows, whose msvcrt has no aligned_alloc().
 */
#ifndef QCW_MEMALIGN_H
#define QCW_MEMALIGN_H

#include <stdlib.h>
#ifdef _WIN32
#include <malloc.h>
#endif

static inline void *mem_aligned_alloc(size_t align, size_t size)
{
#ifdef _WIN32
	return _aligned_malloc(size, align);
#else
	return aligned_alloc(align, size);
#endif
}

static inline void mem_aligned_free(void *p)
{
#ifdef _WIN32
	_aligned_free(p);
#else
	free(p);
#endif
}

#endif
