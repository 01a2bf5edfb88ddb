/*
 * strbuf.h - a growable string. sb_init() sets up an empty buffer (no struct
 * allocation), sb_release() frees its contents, sb_detach() hands the contents
 * to the caller (who frees them) and leaves the buffer empty.
 */
#ifndef CHARGEOPS_STRBUF_H
#define CHARGEOPS_STRBUF_H
#include <stddef.h>

typedef struct strbuf {
	char *buf;
	size_t len, cap;
} strbuf;

void sb_init(strbuf *sb);
void sb_release(strbuf *sb);
char *sb_detach(strbuf *sb, size_t *len);
void sb_add(strbuf *sb, const char *data, size_t len);
void sb_adds(strbuf *sb, const char *s);
/* Appends s as a JSON string literal, quoted and escaped (NULL appends null). */
void sb_add_json_str(strbuf *sb, const char *s);
void sb_addf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
