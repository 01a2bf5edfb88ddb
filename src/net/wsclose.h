/*
 * wsclose.h - writes a WebSocket Close frame, for the server (ws.c) and the
 * client (wsclient.c).
 */
#ifndef CHARGEOPS_NET_WSCLOSE_H
#define CHARGEOPS_NET_WSCLOSE_H

#include <libwebsockets.h>
#include <stddef.h>

/*
 * Writes a Close frame with code and reason (cut to the 123 bytes a Close may
 * carry) on wsi, from its writable callback; the caller then returns -1 so
 * lws closes the connection. Returns lws_write()'s result.
 *
 * Why not lws_close_reason(): Debian's lws 4.1 is a debug build whose "uv
 * repeat test" closes a connection a second time while its Close waits to be
 * sent, so on the libuv loop the Close never left and the peer saw 1006. lws'
 * own close handling writes the frame the same way (write protocol 4, private
 * in 4.1). test_close_flushes_queue and the duplicates integration suite check
 * that the peer gets the code.
 */
int net_ws_write_close(struct lws *wsi, int code, const char *reason, size_t len);

#endif
