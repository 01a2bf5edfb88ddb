/*
 * strbuf.c - the one string builder.
 */
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void sb_release(strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

static void grow(strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + extra + 1)
		cap *= 2;
	sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
}

char *sb_detach(strbuf *sb, size_t *len)
{
	grow(sb, 0);
	sb->buf[sb->len] = '\0';
	char *out = sb->buf;
	if (len)
		*len = sb->len;
	sb_init(sb);
	return out;
}

void sb_add(strbuf *sb, const char *data, size_t len)
{
	grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_adds(strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addf(strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void sb_add_json_str(strbuf *sb, const char *s)
{
	if (!s) {
		sb_add(sb, "null", 4);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	sb_add(sb, "\"", 1);
	const char *run = s;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		sb_add(sb, run, (size_t)((const char *)p - run));
		char esc[6] = {'\\', (char)*p, 0, 0, 0, 0};
		size_t n = 2;
		if (*p < 0x20) {
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			n = 6;
		}
		sb_add(sb, esc, n);
		run = (const char *)p + 1;
	}
	sb_adds(sb, run);
	sb_add(sb, "\"", 1);
}
