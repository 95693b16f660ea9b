/* lrel.h: pointers into usock's own code and constant data, stored in memory that several
 * processes share. Each process may load usock at another address (exec, a separately
 * started program on the same host), so such a pointer is kept as its offset from an anchor
 * in the same binary: every process running the same build resolves it to its own copy.
 * The host refuses to attach a build whose offsets differ (host.c checks a fingerprint). */
#ifndef USOCK_BASE_LREL_H
#define USOCK_BASE_LREL_H

#include <stdint.h>

extern const char lrel_anchor[];

/* The offset of @p (0 for NULL: the anchor itself is never a target). */
static inline intptr_t lrel(const void *p)
{
	return p ? (intptr_t)p - (intptr_t)lrel_anchor : 0;
}
#define LREL(p) lrel((const void *)(p))
/* The pointer of type @T that offset @off names in this process. */
#define LPTR(T, off) ((off) ? (T)((intptr_t)lrel_anchor + (off)) : (T)0)

#endif
