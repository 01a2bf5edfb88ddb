/*
 * sim_api.c - `chargeops sim --api URL --token TOKEN`: before the fleet
 * connects, register what a fresh central system needs to know about it
 * through the REST API (docs/api.md): the sites with their grid connection,
 * every charger with its site and password, and the drivers' id tags with
 * the status the scenario gives them (unknown tags are left out on purpose).
 * Existing entries (409) are updated, so a second run against the same
 * server is fine.
 *
 * A small blocking HTTP/1.1 client over one keep-alive connection is enough
 * here: it runs once, before the event loop starts, against plain http://.
 */
#include "sim/sim_internal.h"

#include "util/log.h"
#include "util/strbuf.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define API_EIO (-5)
#define API_EHTTP (-22)

typedef struct api_conn {
	int fd;
	char host[128], port[8];
	const char *token;
	uint64_t requests;
} api_conn;

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

static int api_open(api_conn *a)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
	int rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		log_error("sim: --api %s:%s: %s", a->host, a->port, gai_strerror(rc));
		return API_EIO;
	}
	a->fd = -1;
	for (struct addrinfo *ai = res; ai && a->fd < 0; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			a->fd = fd;
		else if (fd >= 0)
			close(fd);
	}
	freeaddrinfo(res);
	if (a->fd < 0) {
		log_error("sim: --api: cannot connect to %s:%s: %s", a->host, a->port,
			  strerror(errno));
		return API_EIO;
	}
	return 0;
}

static void api_close(api_conn *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return API_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads one response; returns its status code or a negative code. */
static int read_response(api_conn *a, bool *close_after)
{
	char buf[8192];
	size_t len = 0;
	char *end = NULL;
	while (!end) {
		if (len == sizeof(buf) - 1)
			return API_EHTTP;
		ssize_t r = recv(a->fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return API_EIO;
		len += (size_t)r;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return API_EHTTP;
	long body = 0;
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	if (cl && cl < end)
		body = strtol(cl + 17, NULL, 10);
	const char *conn = strcasestr(buf, "\r\nconnection: close");
	*close_after = conn && conn < end;
	long have = (long)(len - (size_t)(end + 4 - buf));
	while (have < body) {
		ssize_t r = recv(a->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return API_EIO;
		have += r;
	}
	return status;
}

/* One request with a JSON body (borrowed); returns the HTTP status or a
 * negative code. Reconnects once if the kept-alive connection went away. */
static int api_call(api_conn *a, const char *method, const char *path, const json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	strbuf req;
	sb_init(&req);
	sb_addf(&req,
		"%s %s HTTP/1.1\r\nHost: %s:%s\r\nAuthorization: Bearer %s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		method, path, a->host, a->port, a->token, strlen(text), text);
	free(text);
	int status = API_EIO;
	for (int attempt = 0; attempt < 2 && status == API_EIO; attempt++) {
		if (a->fd < 0 && api_open(a) < 0)
			break;
		bool close_after = false;
		if (write_all(a->fd, req.buf, req.len) == 0)
			status = read_response(a, &close_after);
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
	int st = api_call(a, "POST", path, body);
	if (st == 409 && patch) {
		snprintf(path, sizeof(path), "/api/v1/%s/%s", collection, id);
		st = api_call(a, "PATCH", path, patch);
	}
	json_decref(body);
	json_decref(patch);
	if (st == 200 || st == 201 || st == 204 || (st == 409 && !patch))
		return 0;
	log_error("sim: --api: %s %s: %s %d", collection, id, st < 0 ? "error" : "HTTP", st);
	return st < 0 ? st : API_EHTTP;
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

int sim_api_register(sim_world *w, sim_charger **chargers, int n)
{
	const sim_opts *o = w->opts;
	api_conn a = {.fd = -1, .token = o->token};
	const char *hp = o->api_url + strlen("http://");
	size_t hl = strcspn(hp, ":/");
	snprintf(a.host, sizeof(a.host), "%.*s", (int)hl, hp);
	if (hp[hl] == ':')
		snprintf(a.port, sizeof(a.port), "%.*s", (int)strcspn(hp + hl + 1, "/"), hp + hl + 1);
	else
		snprintf(a.port, sizeof(a.port), "80");

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
