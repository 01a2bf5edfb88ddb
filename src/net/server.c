/*
 * server.c - the libwebsockets context of `chargeops serve`: one listening
 * port for OCPP WebSockets (ws.c) and HTTP (http.c), the event loop (libuv or
 * poll), the once-a-second tick, and start/stop.
 *
 * Everything runs on the network thread, except net_server_wake() and
 * net_server_stop(), which only call lws_cancel_service().
 */
#include "net/internal.h"
#include "util/log.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct lws_protocols protocols[] = {
	{"http", net__cb_http, sizeof(struct net_http_req), 0, 0, NULL, 0},
	/* 4 KB receive buffer per connection: larger messages arrive in pieces, which ws.c
	 * reassembles, and 15,000 idle chargers do not each hold 16 KB. */
	{OCPP_SUBPROTOCOL, net__cb_ocpp, sizeof(struct net_conn), 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

static void on_tick(lws_sorted_usec_list_t *sul)
{
	net_server *s = lws_container_of(sul, net_server, tick_sul);
	if (s->o.tick)
		s->o.tick(s->o.ctx);
	if (s->o.http_tick)
		s->o.http_tick(s->o.http_ctx);
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, LWS_US_PER_SEC);
}

static int parse_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return -1;
	size_t hl = (size_t)(colon - listen);
	const char *h = listen;
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= hostlen)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 0 || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

static void lws_log_to_ours(int level, const char *line)
{
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* Our own refusals are already logged with their reason. */
	if (strstr(line, "User code denied connection"))
		return;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws: %.*s", (int)n, line);
}

int net_server_new(const net_server_opts *o, net_server **out, char *err, size_t errlen)
{
	char host[128];
	int port;
	if (parse_listen(o->listen, host, sizeof(host), &port)) {
		snprintf(err, errlen, "--listen '%s': expected HOST:PORT", o->listen);
		return -1;
	}
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_to_ours);
	net_server *s = xcalloc(1, sizeof(*s));
	s->o = *o;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = host[0] && strcmp(host, "0.0.0.0") != 0 ? host : NULL;
	info.protocols = protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
	/* No lws validity timers (its default would ping every 300 s): keepalive is csms'. */
	static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};
	info.retry_and_idle_policy = &no_validity;
	info.timeout_secs = 30;
	/* Header tables for connections still in their HTTP upgrade. lws' default is a
	 * handful; the rest wait on a list lws walks for every release, which made a
	 * 10,000-charger boot storm quadratic. 256 tables are about 1.1 MB. */
	info.max_http_header_pool = 256;
	info.fd_limit_per_thread = 0;
	if (o->tls_cert && *o->tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
		s->tls = 1;
	}
	void *loops[1] = {&s->loop};
	if (o->libuv) {
		/* poll() costs O(connections) per wake-up; libuv's epoll does not. The loop is
		 * ours, so we can run it one iteration at a time and stop it cleanly. */
		if (uv_loop_init(&s->loop)) {
			snprintf(err, errlen, "cannot create the libuv loop");
			free(s);
			return -1;
		}
		s->uv = 1;
		info.options |= LWS_SERVER_OPTION_LIBUV;
		info.foreign_loops = loops;
		info.pcontext = &s->ctx;
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		if (s->uv)
			uv_loop_close(&s->loop);
		snprintf(err, errlen, "cannot listen on %s (address in use, or bad TLS files?)", o->listen);
		free(s);
		return -1;
	}
	s->vh = lws_get_vhost_by_name(s->ctx, "default");
	s->port = s->vh ? lws_get_vhost_listen_port(s->vh) : port;
	lws_sul_schedule(s->ctx, 0, &s->tick_sul, on_tick, LWS_US_PER_SEC);
	*out = s;
	return 0;
}

int net_server_port(net_server *s)
{
	return s->port;
}

int net_server_run(net_server *s)
{
	while (!atomic_load(&s->stop)) {
		if (s->uv)
			uv_run(&s->loop, UV_RUN_ONCE);
		else if (lws_service(s->ctx, 0) < 0)
			return -1;
	}
	return 0;
}

void net_server_stop(net_server *s)
{
	atomic_store(&s->stop, 1);
	lws_cancel_service(s->ctx);
}

void net_server_wake(net_server *s)
{
	lws_cancel_service(s->ctx);
}

void net_server_free(net_server *s)
{
	if (!s)
		return;
	lws_sul_cancel(&s->tick_sul);
	lws_context_destroy(s->ctx);
	if (s->uv) {
		/* On a foreign loop the first destroy only starts closing lws' handles; run the
		 * loop so the closes complete, then destroy again to free what remains (lws
		 * clears s->ctx through info.pcontext once it is all gone). */
		uv_run(&s->loop, UV_RUN_DEFAULT);
		if (s->ctx)
			lws_context_destroy(s->ctx);
		uv_run(&s->loop, UV_RUN_DEFAULT);
		uv_loop_close(&s->loop);
	}
	free(s);
}
