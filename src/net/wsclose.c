/*
 * wsclose.c - see wsclose.h.
 */
#include "net/wsclose.h"

#include <string.h>

#define CLOSE_REASON_MAX 123
#define WRITE_CLOSE ((enum lws_write_protocol)4)

int net_ws_write_close(struct lws *wsi, int code, const char *reason, size_t len)
{
	unsigned char f[LWS_PRE + 2 + CLOSE_REASON_MAX];
	if (len > CLOSE_REASON_MAX)
		len = CLOSE_REASON_MAX;
	f[LWS_PRE] = (unsigned char)((code >> 8) & 0xff);
	f[LWS_PRE + 1] = (unsigned char)(code & 0xff);
	if (len)
		memcpy(f + LWS_PRE + 2, reason, len);
	return lws_write(wsi, f + LWS_PRE, 2 + len, WRITE_CLOSE);
}
