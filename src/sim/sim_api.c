/*
 * sim_api.c - the simulator's use of the central system's REST API
 * (docs/api.md) with `--api URL --token TOKEN`:
 *
 * - Registration, before the fleet connects: the sites with their grid
 *   connection, every charger with its site and password, and the drivers'
 *   id tags with the status the scenario gives them (unknown tags are left
 *   out on purpose). Existing entries (409) are updated, so a second run
 *   against the same server is fine.
 * - The drivers' app backend (sim_app.c): RemoteStartTransaction through
 *   POST /api/v1/chargers/{id}/commands/RemoteStartTransaction.
 *
 * A small blocking HTTP/1.1 client over one keep-alive connection is enough
 * for both: registration runs once, before the event loop starts; app
 * requests run on sim_app.c's worker thread, never on the event loop. Every
 * wait is bounded by a deadline and ends early when the owner's stop
 * descriptor becomes readable, so a worker can be stopped at once.
 */
#include "sim/sim_internal.h"

#include "util/clock.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define REGISTER_TIMEOUT_MS 30000 /* wall: one registration request */
#define MAX_BODY 65536		  /* longest answer body we keep */

typedef struct api_conn {
	int fd;
	int stop_fd; /* readable: give up at once; -1 = none */
	char host[128], port[8];
	const char *token; /* borrowed (argv) */
	uint64_t requests;
	int64_t deadline; /* clock_mono_ms() by which the request must be done */
	int sys_err;	  /* errno of the last failed connect */
} api_conn;

const char *sim_api_strerror(int rc)
{
	switch (rc) {
	case SIM_API_EIO:
		return "connection failed or closed";
	case SIM_API_EHTTP:
		return "unexpected HTTP answer";
	case SIM_API_ETIMEDOUT:
		return "no answer in time";
	case SIM_API_ESTOPPED:
		return "stopped";
	case SIM_API_EREFUSED:
		return "refused";
	default:
		return rc < 0 ? "error" : "ok";
	}
}

/* Waits until fd is ready for `events`, the deadline passes (-ETIMEDOUT)
 * or the stop descriptor becomes readable (-ESTOPPED). */
static int api_wait(const api_conn *a, short events)
{
	for (;;) {
		int64_t left = a->deadline - clock_mono_ms();
		if (left <= 0)
			return SIM_API_ETIMEDOUT;
		struct pollfd p[2] = {{.fd = a->fd, .events = events},
				      {.fd = a->stop_fd, .events = POLLIN}};
		int n = poll(p, a->stop_fd >= 0 ? 2 : 1, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			return SIM_API_EIO;
		if (n > 0 && a->stop_fd >= 0 && (p[1].revents & POLLIN))
			return SIM_API_ESTOPPED;
		if (n > 0 && p[0].revents)
			return 0;
	}
}

/* The charger's password: --password, or with --api one derived from the
 * seed and the id, so that reruns with the same seed need no new setup. */
void sim_password(const sim_opts *o, const char *id, char *buf, size_t size)
{
	if (o->password) {
		snprintf(buf, size, "%s", o->password);
		return;
	}
	if (!o->api_url) {
		buf[0] = '\0';
		return;
	}
	uint64_t h = o->seed ^ 0xC0FFEE1234567ull;
	for (const char *p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001B3ull;
	uint64_t a = sim_rng_next(&h), b = sim_rng_next(&h);
	snprintf(buf, size, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

/* Connects without blocking past the deadline; the socket stays
 * non-blocking (every read and write waits in api_wait). */
static int api_connect_one(api_conn *a, const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			ai->ai_protocol);
	if (fd < 0) {
		a->sys_err = errno;
		return SIM_API_EIO;
	}
	a->fd = fd;
	int rc = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			a->sys_err = errno;
			rc = SIM_API_EIO;
		} else if ((rc = api_wait(a, POLLOUT)) == 0) {
			int err = 0;
			socklen_t len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
				a->sys_err = err ? err : errno;
				rc = SIM_API_EIO;
			}
		}
	}
	if (rc < 0) {
		close(fd);
		a->fd = -1;
	}
	return rc;
}

static int api_open(api_conn *a)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		log_error("sim: --api %s:%s: %s", a->host, a->port, gai_strerror(rc));
		return SIM_API_EIO;
	}
	rc = SIM_API_EIO;
	a->fd = -1;
	for (struct addrinfo *ai = res; ai && a->fd < 0; ai = ai->ai_next) {
		rc = api_connect_one(a, ai);
		if (rc == SIM_API_ESTOPPED || rc == SIM_API_ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (a->fd < 0 && a->stop_fd < 0) /* the app worker reports through its caller */
		log_error("sim: --api: cannot connect to %s:%s: %s", a->host, a->port,
			  rc == SIM_API_EIO && a->sys_err ? strerror(a->sys_err)
							  : sim_api_strerror(rc));
	return a->fd < 0 ? rc : 0;
}

static void api_close(api_conn *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static int write_all(api_conn *a, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(a->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			int rc = api_wait(a, POLLOUT);
			if (rc < 0)
				return rc;
			continue;
		}
		if (w <= 0)
			return SIM_API_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Up to size bytes into buf: > 0 bytes read, 0 at end of stream, or a
 * negative code. */
static ssize_t read_some(api_conn *a, char *buf, size_t size)
{
	for (;;) {
		ssize_t r = recv(a->fd, buf, size, 0);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN)
			return SIM_API_EIO;
		int rc = api_wait(a, POLLIN);
		if (rc < 0)
			return rc;
	}
}

/* Reads one response; returns its status code or a negative code. The
 * body (up to MAX_BODY bytes) is appended to body_out if it is not NULL. */
static int read_response(api_conn *a, bool *close_after, strbuf *body_out)
{
	char buf[8192];
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		if (len == sizeof(buf) - 1)
			return SIM_API_EHTTP;
		ssize_t r = read_some(a, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			return r < 0 ? (int)r : SIM_API_EIO;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return SIM_API_EHTTP;
	long body = 0;
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl && cl < end)
		body = strtol(cl + 17, NULL, 10);
	const char *conn = strcasestr(buf, "\r\nconnection: close");
	*close_after = conn && conn < end;
	size_t first = len - (size_t)(end + 4 - buf);
	long have = (long)first;
	if (body_out)
		sb_add(body_out, end + 4, first);
	while (have < body) {
		ssize_t r = read_some(a, buf, sizeof(buf));
		if (r <= 0)
			return r < 0 ? (int)r : SIM_API_EIO;
		if (body_out && body_out->len + (size_t)r <= MAX_BODY)
			sb_add(body_out, buf, (size_t)r);
		have += r;
	}
	return status;
}

/* One request with a JSON body (borrowed) that must be done within
 * timeout_ms; returns the HTTP status or a negative code, and appends the
 * answer's body to body_out (may be NULL). Reconnects once if the
 * kept-alive connection went away. */
static int api_call(api_conn *a, const char *method, const char *path, const json_t *body,
		    int64_t timeout_ms, strbuf *body_out)
{
	char *text = json_dumps(body, JSON_COMPACT);
	strbuf req;
	sb_init(&req);
	sb_addf(&req,
		"%s %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		method, path, a->host, a->port, a->token, strlen(text), text);
	free(text);
	a->deadline = clock_mono_ms() + timeout_ms;
	int status = SIM_API_EIO;
	for (int attempt = 0; attempt < 2 && status == SIM_API_EIO; attempt++) {
		if (a->fd < 0 && (status = api_open(a)) < 0)
			break;
		bool close_after = false;
		if (body_out)
			body_out->len = 0;
		status = write_all(a, req.buf, req.len);
		if (status == 0)
			status = read_response(a, &close_after, body_out);
		if (status < 0 || close_after)
			api_close(a);
	}
	sb_release(&req);
	a->requests++;
	return status;
}

/* POST, and on 409 (exists) PATCH the same fields to path/id. */
static int upsert(api_conn *a, const char *collection, const char *id, json_t *body,
		  json_t *patch)
{
	char path[256];
	snprintf(path, sizeof(path), "/api/v1/%s", collection);
	int st = api_call(a, "POST", path, body, REGISTER_TIMEOUT_MS, NULL);
	if (st == 409 && patch) {
		snprintf(path, sizeof(path), "/api/v1/%s/%s", collection, id);
		st = api_call(a, "PATCH", path, patch, REGISTER_TIMEOUT_MS, NULL);
	}
	json_decref(body);
	json_decref(patch);
	if (st == 200 || st == 201 || st == 204 || (st == 409 && !patch))
		return 0;
	log_error("sim: --api: %s %s: %s %d", collection, id, st < 0 ? "error" : "HTTP", st);
	return st < 0 ? st : SIM_API_EHTTP;
}

static int register_tags(api_conn *a, sim_world *w, sim_charger **chargers, int n)
{
	const sim_scenario *sc = w->sc;
	static const char *const status_of[] = {
	    [SIM_TAG_ACCEPTED] = "Accepted",
	    [SIM_TAG_BLOCKED] = "Blocked",
	    [SIM_TAG_EXPIRED] = "Expired",
	};
	int count = sc->tags > 0 ? sc->tags : (w->opts->id_tag ? 1 : n);
	for (int i = 0; i < count; i++) {
		char tag[SIM_ID_TAG_MAX + 1];
		enum sim_tag_kind kind = SIM_TAG_ACCEPTED;
		if (sc->tags > 0)
			kind = sim_tag(sc, w->opts->seed, i, tag, sizeof(tag));
		else
			snprintf(tag, sizeof(tag), "%s", chargers[i]->id_tag);
		if (kind == SIM_TAG_UNKNOWN)
			continue; /* drivers the central system has never heard of */
		int rc = upsert(a, "id-tags", tag,
				json_pack("{ssss}", "id_tag", tag, "status", status_of[kind]),
				json_pack("{ss}", "status", status_of[kind]));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Host and port of an http:// URL into a. */
static void api_target(api_conn *a, const char *url)
{
	const char *hp = url + strlen("http://");
	size_t hl = strcspn(hp, ":/");
	snprintf(a->host, sizeof(a->host), "%.*s", (int)hl, hp);
	if (hp[hl] == ':')
		snprintf(a->port, sizeof(a->port), "%.*s", (int)strcspn(hp + hl + 1, "/"),
			 hp + hl + 1);
	else
		snprintf(a->port, sizeof(a->port), "80");
}

int sim_api_register(sim_world *w, sim_charger **chargers, int n)
{
	const sim_opts *o = w->opts;
	api_conn a = {.fd = -1, .stop_fd = -1, .token = o->token};
	api_target(&a, o->api_url);

	int rc = 0;
	for (int i = 0; i < w->n_sites && rc == 0; i++) {
		const sim_site *s = &w->sites[i];
		char name[96];
		snprintf(name, sizeof(name), "Simulated %s site %d", s->type->name, i + 1);
		json_t *body = json_pack("{ssss}", "id", s->id, "name", name);
		json_t *patch = json_pack("{ss}", "name", name);
		if (s->grid_w > 0) {
			json_object_set_new(body, "grid_limit_kw", json_real(s->grid_w / 1000));
			json_object_set_new(patch, "grid_limit_kw", json_real(s->grid_w / 1000));
		}
		rc = upsert(&a, "sites", s->id, body, patch);
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const sim_charger *ch = chargers[i];
		char desc[96];
		snprintf(desc, sizeof(desc), "simulated %s %s", ch->type->vendor, ch->type->model);
		json_t *body = json_pack("{ssssssss}", "id", ch->id, "password", ch->password,
					 "site_id", ch->site->id, "description", desc);
		json_t *patch = json_pack("{ssss}", "password", ch->password, "site_id", ch->site->id);
		if (w->opts->meter_pub_pem) {
			json_object_set_new(body, "meter_public_key", json_string(w->opts->meter_pub_pem));
			json_object_set_new(patch, "meter_public_key", json_string(w->opts->meter_pub_pem));
		}
		rc = upsert(&a, "chargers", ch->id, body, patch);
	}
	if (rc == 0)
		rc = register_tags(&a, w, chargers, n);
	api_close(&a);
	if (rc == 0)
		log_info("sim: registered %d sites, %d chargers and their id tags through %s "
			 "(%llu requests)",
			 w->n_sites, n, o->api_url, (unsigned long long)a.requests);
	return rc;
}

/* ---- the drivers' app backend ---- */

struct sim_api_client {
	api_conn a;
};

/* url and token are borrowed and must outlive the client; stop_fd (or -1)
 * is borrowed: once readable, every wait of the client ends at once. The
 * caller owns the client (sim_api_client_free). */
sim_api_client *sim_api_client_new(const char *url, const char *token, int stop_fd)
{
	sim_api_client *c = xcalloc(1, sizeof(*c));
	c->a.fd = -1;
	c->a.stop_fd = stop_fd;
	c->a.token = token;
	api_target(&c->a, url);
	return c;
}

void sim_api_client_free(sim_api_client *c)
{
	if (!c)
		return;
	api_close(&c->a);
	free(c);
}

/* Appends s percent-encoded as one path segment. */
static void add_segment(strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			sb_add(sb, (const char *)p, 1);
		else
			sb_addf(sb, "%%%02X", *p);
	}
}

/* POST /api/v1/chargers/{id}/commands/RemoteStartTransaction with
 * {"connectorId": N, "idTag": TAG}, waiting at most timeout_s for the
 * central system (which waits as long for the charger). Returns 0 if the
 * charger accepted, SIM_API_EREFUSED if it answered otherwise, the HTTP
 * status (409 offline, 504 timeout, ...) if that is not 200, or another
 * negative code; why (size whylen) says what happened. */
int sim_api_remote_start(sim_api_client *c, const char *charger_id, int connector_id,
			 const char *id_tag, int timeout_s, char *why, size_t whylen)
{
	strbuf path, answer;
	sb_init(&path);
	sb_init(&answer);
	sb_adds(&path, "/api/v1/chargers/");
	add_segment(&path, charger_id);
	sb_addf(&path, "/commands/RemoteStartTransaction?timeout=%d", timeout_s);
	json_t *body = json_pack("{siss}", "connectorId", connector_id, "idTag", id_tag);
	int rc = api_call(&c->a, "POST", path.buf, body, (int64_t)timeout_s * 1000 + 5000, &answer);
	json_decref(body);
	if (rc == 200) {
		json_t *j = json_loadb(answer.buf ? answer.buf : "", answer.len, 0, NULL);
		const char *status = json_string_value(json_object_get(j, "status"));
		snprintf(why, whylen, "charger answered %s", status ? status : "(no status)");
		rc = status && strcmp(status, "Accepted") == 0 ? 0 : SIM_API_EREFUSED;
		json_decref(j);
	} else if (rc > 0) {
		snprintf(why, whylen, "HTTP %d", rc);
	} else {
		snprintf(why, whylen, "%s", sim_api_strerror(rc));
	}
	sb_release(&path);
	sb_release(&answer);
	return rc;
}
