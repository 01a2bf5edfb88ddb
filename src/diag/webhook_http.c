/*
 * webhook_http.c - the webhook worker's HTTP/1.1 client: URL parsing and one POST.
 *
 * Configured URLs are parsed once, strictly, into targets. A POST builds the whole
 * request (headers, HMAC-SHA256 signature, body) in memory, connects without
 * blocking to each resolved address in turn, writes the request and reads only
 * the answer's status line, all before one deadline. Every wait also watches the
 * worker's wake descriptor, so stopping the webhook ends an attempt in flight at
 * once. There is no TLS: only http:// URLs are accepted.
 */
#include "diag/webhook_http.h"
#include "util/clock.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_URL 2048
#define ANSWER_MAX 4096 /* bytes of the answer read: the status line is all we need */

/* URL schemes: the ones we can speak, and why not for the others. */
static const struct scheme {
	const char *prefix;
	const char *port; /* default port; NULL when the scheme is not supported */
	const char *why;  /* reason given when it is not */
} schemes[] = {
    {"http://", "80", NULL},
    {"https://", NULL,
     "https:// is not supported yet (no TLS in the webhook client); use http://, e.g. through a"
     " local TLS-terminating proxy"},
};

/* Whether h (len bytes) is a plausible host name or IPv4 address. */
static int valid_host_name(const char *h, size_t len)
{
	if (!len || len > 253 || h[0] == '.' || h[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];
		if (!isalnum(c) && c != '-' && c != '.')
			return 0;
		if (c == '.' && i + 1 < len && h[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Frees the strings of t (not t itself, which stays the caller's) and zeroes it. */
void webhook__target_release(struct webhook_target *t)
{
	free(t->url);
	free(t->host);
	free(t->port);
	free(t->authority);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/* Parses url into t; see webhook_http.h. On success t owns a copy of every string
 * (webhook__target_release); on failure t holds nothing and the copy u is freed. */
int webhook__parse_url(const char *url, size_t len, struct webhook_target *t, char *err,
		       size_t errlen)
{
	char *u = xstrndup(url, len);
	const struct scheme *sc = NULL;
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < ARRAY_LEN(schemes) && !sc; i++)
		if (!strncasecmp(u, schemes[i].prefix, strlen(schemes[i].prefix)))
			sc = &schemes[i];
	if (!sc) {
		snprintf(err, errlen, "webhook URL %s: only http:// URLs are supported", u);
		goto error;
	}
	if (!sc->port) {
		snprintf(err, errlen, "webhook URL %s: %s", u, sc->why);
		goto error;
	}
	if (len > MAX_URL) {
		snprintf(err, errlen, "webhook URL %.64s...: longer than %d bytes", u, MAX_URL);
		goto error;
	}
	const char *auth = u + strlen(sc->prefix);
	size_t alen = strcspn(auth, "/");
	const char *end = auth + alen, *host = auth, *port = NULL;
	size_t hlen;
	if (*auth == '[') {
		const char *close = memchr(auth, ']', alen);
		char addr[INET6_ADDRSTRLEN];
		struct in6_addr a6;
		host = auth + 1;
		hlen = close ? (size_t)(close - host) : 0;
		if (!close || !hlen || hlen >= sizeof(addr)) {
			snprintf(err, errlen, "webhook URL %s: bad IPv6 address", u);
			goto error;
		}
		memcpy(addr, host, hlen);
		addr[hlen] = '\0';
		if (inet_pton(AF_INET6, addr, &a6) != 1) {
			snprintf(err, errlen, "webhook URL %s: bad IPv6 address", u);
			goto error;
		}
		if (close + 1 < end && close[1] != ':') {
			snprintf(err, errlen,
				 "webhook URL %s: unexpected text after the IPv6 address", u);
			goto error;
		}
		port = close + 1 < end ? close + 2 : NULL;
	} else {
		const char *colon = memchr(auth, ':', alen);
		hlen = colon ? (size_t)(colon - auth) : alen;
		port = colon ? colon + 1 : NULL;
		if (!valid_host_name(host, hlen)) {
			snprintf(err, errlen, "webhook URL %s: bad or missing host name", u);
			goto error;
		}
	}
	if (port) {
		size_t plen = (size_t)(end - port);
		long value = 0;
		int digits = plen >= 1 && plen <= 5 && strspn(port, "0123456789") >= plen;
		for (size_t i = 0; digits && i < plen; i++)
			value = value * 10 + (port[i] - '0');
		if (!digits || value < 1 || value > 65535) {
			snprintf(err, errlen, "webhook URL %s: bad port", u);
			goto error;
		}
	}
	for (const char *p = end; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '#') {
			snprintf(
			    err, errlen,
			    "webhook URL %s: the path has a space, control character or fragment",
			    u);
			goto error;
		}
	}
	t->url = u;
	t->host = xstrndup(host, hlen);
	t->port = port ? xstrndup(port, (size_t)(end - port)) : xstrdup(sc->port);
	t->authority = xstrndup(auth, alen);
	t->path = xstrdup(*end ? end : "/");
	return 0;
error:
	free(u);
	return -EINVAL;
}

/* ---- one HTTP attempt ---- */

/* Waits until fd is ready for events, the deadline passes (WEBHOOK_IO_FAILED, err says
 * what timed out) or o->wakefd is readable (WEBHOOK_IO_STOPPED). fd and o stay the
 * caller's. */
static int wait_fd(const struct webhook_http_opts *o, int fd, short events, int64_t deadline,
		   const char *what, char *err, size_t errlen)
{
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			snprintf(err, errlen, "timed out %s", what);
			return WEBHOOK_IO_FAILED;
		}
		struct pollfd p[2] = {{.fd = fd, .events = events},
				      {.fd = o->wakefd, .events = POLLIN}};
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return WEBHOOK_IO_FAILED;
		}
		if (n > 0 && p[1].revents)
			return WEBHOOK_IO_STOPPED;
		if (n > 0 && p[0].revents)
			return WEBHOOK_IO_OK;
	}
}

/* Connects to t before the deadline, trying each address in turn. On WEBHOOK_IO_OK *out
 * is a connected non-blocking socket the caller owns and closes; on failure no socket
 * is left open. t and o stay the caller's. */
static int connect_target(const struct webhook_http_opts *o, const struct webhook_target *t,
			  int64_t deadline, int *out, char *err, size_t errlen)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(t->host, t->port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve %s: %s", t->host, gai_strerror(rc));
		return WEBHOOK_IO_FAILED;
	}
	rc = WEBHOOK_IO_FAILED;
	snprintf(err, errlen, "no address for %s", t->host);
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if (fd < 0) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
			snprintf(err, errlen, "connect: %s", strerror(errno));
			close(fd);
			continue;
		}
		int w = wait_fd(o, fd, POLLOUT, deadline, "connecting", err, errlen);
		if (w != WEBHOOK_IO_OK) {
			/* Out of time (or stopping): no use trying the next address. */
			close(fd);
			rc = w;
			break;
		}
		int soerr = 0;
		socklen_t slen = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) || soerr) {
			snprintf(err, errlen, "connect: %s", strerror(soerr ? soerr : errno));
			close(fd);
			continue;
		}
		*out = fd;
		rc = WEBHOOK_IO_OK;
		break;
	}
	freeaddrinfo(res);
	return rc;
}

/* Writes all len bytes of buf to fd before the deadline. buf, fd and o stay the
 * caller's. WEBHOOK_IO_OK, WEBHOOK_IO_FAILED with err, or WEBHOOK_IO_STOPPED. */
static int send_all(const struct webhook_http_opts *o, int fd, const char *buf, size_t len,
		    int64_t deadline, char *err, size_t errlen)
{
	size_t off = 0;
	while (off < len) {
		int w = wait_fd(o, fd, POLLOUT, deadline, "sending", err, errlen);
		if (w != WEBHOOK_IO_OK)
			return w;
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			return WEBHOOK_IO_FAILED;
		}
		if (n > 0)
			off += (size_t)n;
	}
	return WEBHOOK_IO_OK;
}

/* The status code of a complete "HTTP/1.x NNN ..." line at the start of buf (the
 * caller's, NUL-terminated), or -1. */
static int status_code(const char *buf)
{
	if (strncmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[7]) || buf[8] != ' ' ||
	    !strstr(buf, "\r\n"))
		return -1;
	const char *c = buf + 9;
	if (!isdigit((unsigned char)c[0]) || !isdigit((unsigned char)c[1]) ||
	    !isdigit((unsigned char)c[2]) || (c[3] != ' ' && c[3] != '\r'))
		return -1;
	return (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
}

/*
 * Reads the answer's head (up to ANSWER_MAX bytes, the end of the headers or the
 * end of the stream) and stores its status code in *code. A status line that came
 * complete is enough when the rest is late. fd and o stay the caller's; the answer
 * is read into a stack buffer and nothing of it is kept.
 */
static int read_status(const struct webhook_http_opts *o, int fd, int64_t deadline, int *code,
		       char *err, size_t errlen)
{
	/* Zeroed whole, not just buf[0], so status_code() never reads past the text into
	 * uninitialised bytes (the analyser cannot see that it stops at the NUL). */
	char buf[ANSWER_MAX + 1] = "";
	size_t len = 0;
	while (len < ANSWER_MAX && !strstr(buf, "\r\n\r\n")) {
		int w = wait_fd(o, fd, POLLIN, deadline, "waiting for the answer", err, errlen);
		if (w == WEBHOOK_IO_STOPPED || (w != WEBHOOK_IO_OK && status_code(buf) < 0))
			return w;
		if (w != WEBHOOK_IO_OK)
			break;
		ssize_t n = recv(fd, buf + len, ANSWER_MAX - len, 0);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "recv: %s", strerror(errno));
			return WEBHOOK_IO_FAILED;
		}
		if (n == 0)
			break;
		if (n > 0) {
			/* A NUL in the answer would hide the rest from strstr: make it a space. */
			for (size_t i = len; i < len + (size_t)n; i++)
				if (!buf[i])
					buf[i] = ' ';
			len += (size_t)n;
			buf[len] = '\0';
		}
	}
	*code = status_code(buf);
	if (*code < 0) {
		snprintf(err, errlen, "%s",
			 len ? "malformed answer (no HTTP/1.x status line)"
			     : "connection closed without an answer");
		return WEBHOOK_IO_FAILED;
	}
	return WEBHOOK_IO_OK;
}

/* Lower-case hex HMAC-SHA256 of body under o->secret into hex (65 bytes, the caller's).
 * 0 or -1. */
static int sign(const struct webhook_http_opts *o, const char *body, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), o->secret, (int)o->secret_len, (const unsigned char *)body, len, md,
		  &mdlen) ||
	    mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* One POST of a row to t; see webhook_http.h. The request and the socket live only
 * for the call: both are released at the single cleanup label. */
int webhook__post(const struct webhook_http_opts *o, const struct webhook_target *t, int64_t id,
		  const char *event, const char *body, char *err, size_t errlen)
{
	size_t blen = strlen(body);
	strbuf req;
	int fd = -1, code = 0, rc;
	sb_init(&req);
	sb_addf(&req,
		"POST %s HTTP/1.1\r\n"
		"Host: %s\r\n"
		"User-Agent: ChargeOps-webhook\r\n"
		"Content-Type: application/json\r\n"
		"Content-Length: %zu\r\n"
		"Connection: close\r\n"
		"X-ChargeOps-Event: %s\r\n"
		"X-ChargeOps-Delivery: %lld\r\n",
		t->path, t->authority, blen, event, (long long)id);
	if (o->secret) {
		char hex[65];
		if (sign(o, body, blen, hex)) {
			snprintf(err, errlen, "cannot compute the HMAC signature");
			rc = WEBHOOK_IO_FAILED;
			goto done;
		}
		sb_addf(&req, "X-ChargeOps-Signature: sha256=%s\r\n", hex);
	}
	sb_adds(&req, "\r\n");
	sb_add(&req, body, blen);

	int64_t deadline = clock_mono_ms() + o->timeout_ms;
	rc = connect_target(o, t, deadline, &fd, err, errlen);
	if (rc == WEBHOOK_IO_OK)
		rc = send_all(o, fd, req.buf, req.len, deadline, err, errlen);
	if (rc == WEBHOOK_IO_OK)
		rc = read_status(o, fd, deadline, &code, err, errlen);
	if (rc == WEBHOOK_IO_OK && (code < 200 || code > 299)) {
		snprintf(err, errlen, "HTTP status %d", code);
		rc = WEBHOOK_IO_FAILED;
	}
done:
	if (fd >= 0)
		close(fd);
	sb_release(&req);
	return rc;
}
