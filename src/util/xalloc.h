/*
 * xalloc.h - allocation that never returns NULL. Running out of memory aborts
 * the process with a message, so callers never branch on a NULL from malloc.
 */
#ifndef CHARGEOPS_XALLOC_H
#define CHARGEOPS_XALLOC_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string the caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
