/*
 * loadgen.c - OCPP 1.6J load generator for the ChargeOps benchmark.
 *
 * One process, one event loop (src/net/wsclient.h), thousands of charge point
 * connections spread over several local source addresses, plus one helper
 * thread per concurrent REST client for the command round trip. It runs one
 * fixed sequence of phases against one central system (ChargeOps or the
 * ocpp-rpc baseline) and prints one JSON object per phase on stdout:
 *
 *   start   server RSS before any charger connects
 *   storm   --storm N chargers connect at once, each sends BootNotification on
 *           open; time until all are Accepted, errors, open/boot latencies. A
 *           failed connect counts as an error and is retried after --retry-ms.
 *   hold    the rest up to --hold N connect at --ramp-rate per second; all are
 *           held --hold-secs; server RSS and connected count
 *   meter   for each count in --meter-at (descending): close chargers down to
 *           that count, then every connected charger sends MeterValues in a
 *           closed loop (one call outstanding per charger, as OCPP allows) for
 *           --meter-warmup + --meter-secs; throughput and send->CALLRESULT
 *           latency over the measured window; totals for checking the store
 *   command at the count --command-at (right after its meter phase, when the
 *           chargers are idle again): --commands REST calls
 *           POST /api/v1/chargers/{id}/commands/GetConfiguration, each answered
 *           by the simulated charger; REST round trip p50/p99
 *
 * Every wait is bounded in time (--phase-timeout) and every loop in count.
 * Server CPU time (utime+stime from /proc/PID/stat) and the load generator's
 * own CPU time are reported per phase: both share the machine's cores.
 */
#include "net/wsclient.h"
#include "ocpp/ocpp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ options */

static struct {
	const char *url;      /* ws://127.0.0.1:PORT/ocpp */
	const char *http;     /* 127.0.0.1:PORT for REST */
	const char *token;    /* Bearer token (may be empty for the baseline) */
	const char *password; /* Basic auth password shared by all chargers */
	const char *prefix;   /* charger ids are PREFIX%05d */
	char *src[64];	      /* local source addresses */
	int nsrc;
	int server_pid;
	int storm, hold, ramp_rate, hold_secs;
	int meter_at[8], nmeter;
	int meter_secs, meter_warmup, values;
	int commands, command_at, command_conc;
	int phase_timeout, retry_ms;
	const char *label;
} opt = {
	.prefix = "BENCH-",
	.password = "",
	.token = "",
	.storm = 1000,
	.hold = 0,
	.ramp_rate = 2000,
	.hold_secs = 5,
	.meter_secs = 10,
	.meter_warmup = 2,
	.values = 4,
	.commands = 0,
	.command_at = -1,
	.command_conc = 1,
	.phase_timeout = 60,
	.retry_ms = 3000,
	.label = "",
};

/* ------------------------------------------------------------------ clocks */

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* Server CPU seconds (all threads) from /proc/PID/stat; -1 if unknown. */
static double server_cpu_s(void)
{
	if (opt.server_pid <= 0)
		return -1;
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", opt.server_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* fields after ')': state(3) ... utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long server_rss_kb(void)
{
	if (opt.server_pid <= 0)
		return -1;
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", opt.server_pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------------ latency samples */

typedef struct {
	uint32_t *v; /* microseconds */
	size_t n, cap;
} samples;

static void samples_add(samples *s, int64_t us)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = us < 0 ? 0 : (us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Percentile in milliseconds (nearest rank); sorts s. */
static double pct_ms(samples *s, double p)
{
	if (!s->n)
		return -1;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u32);
	size_t k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return s->v[k - 1] / 1000.0;
}

static void samples_reset(samples *s)
{
	s->n = 0;
}

/* ------------------------------------------------------------------ chargers */

enum cstate { CS_IDLE, CS_CONNECTING, CS_OPEN, CS_ACCEPTED, CS_CLOSING };
enum ckind { K_NONE, K_BOOT, K_METER };

typedef struct charger {
	int idx;
	char id[32];
	wsclient_conn *c;
	enum cstate state;
	enum ckind pending;
	char uid[24];
	int64_t t_connect, t_sent;
	uint32_t seq;
	bool metering;
	int64_t retry_at; /* storm: reconnect at this time after a failed attempt (0 = no) */
} charger;

static charger *chargers;
static int ncharger;

struct stats {
	/* live counts */
	int connecting, open, accepted;
	/* storm/hold accounting */
	int connect_errors, boot_errors, callerrors, unexpected_close;
	samples open_lat, boot_lat;
	int64_t last_accept, issued_at;
	/* meter */
	bool meter_on;
	int64_t meter_measure_from, meter_end;
	uint64_t meter_sent, meter_answered, meter_window, meter_errors;
	samples meter_lat;
	/* server calls answered */
	uint64_t server_calls;
	int close_reasons_logged;
};

/* One worker thread: its own event loop (lws context) and the chargers i with
 * i % nworkers == idx. lws 4.1 keeps timers in a sorted list per context, so
 * each connect costs O(connections of the context): splitting the chargers
 * over several contexts keeps the load generator from being the bottleneck. */
typedef struct worker {
	int idx;
	pthread_t th;
	wsclient_loop *wloop;
	struct stats stats;
	int target; /* chargers of this worker a phase waits for */
} worker;

static worker *workers;
static int nworkers = 4;
static __thread worker *W;
#define st (W->stats)
#define loop (W->wloop)

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Per thread: the worker threads format timestamps at the same time. */
static const char *iso_now(void)
{
	static _Thread_local char buf[32];
	static _Thread_local int64_t last_s = -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last_s) {
		last_s = ts.tv_sec;
		ocpp_time_format((int64_t)ts.tv_sec * 1000, buf, sizeof(buf));
	}
	return buf;
}

static void send_text(charger *ch, const char *text, size_t len)
{
	int rc = wsclient_send(ch->c, text, len);
	if (rc && st.close_reasons_logged < 5) {
		st.close_reasons_logged++;
		fprintf(stderr, "loadgen: send to %s failed: %s\n", ch->id, wsclient_strerror(rc));
	}
}

static void send_boot(charger *ch)
{
	char buf[512];
	snprintf(ch->uid, sizeof(ch->uid), "b%u", ++ch->seq);
	int n = snprintf(buf, sizeof(buf),
			 "[2,\"%s\",\"BootNotification\",{\"chargePointVendor\":\"BenchCo\","
			 "\"chargePointModel\":\"LG-22\",\"chargePointSerialNumber\":\"SN-%s\","
			 "\"firmwareVersion\":\"1.0.0\",\"meterType\":\"BenchMeter\"}]",
			 ch->uid, ch->id);
	ch->pending = K_BOOT;
	ch->t_sent = now_us();
	send_text(ch, buf, (size_t)n);
}

static const char *const sv_tmpl[] = {
	"{\"value\":\"%u.%u\",\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\","
	"\"location\":\"Outlet\",\"unit\":\"Wh\"}",
	"{\"value\":\"7%03u\",\"context\":\"Sample.Periodic\",\"measurand\":\"Power.Active.Import\","
	"\"location\":\"Outlet\",\"unit\":\"W\"}",
	"{\"value\":\"31.%u\",\"context\":\"Sample.Periodic\",\"measurand\":\"Current.Import\","
	"\"phase\":\"L1\",\"location\":\"Outlet\",\"unit\":\"A\"}",
	"{\"value\":\"230.%u\",\"context\":\"Sample.Periodic\",\"measurand\":\"Voltage\","
	"\"phase\":\"L1-N\",\"location\":\"Outlet\",\"unit\":\"V\"}",
};

static void send_meter(charger *ch)
{
	char buf[2048];
	snprintf(ch->uid, sizeof(ch->uid), "m%u", ++ch->seq);
	int n = snprintf(buf, sizeof(buf),
			 "[2,\"%s\",\"MeterValues\",{\"connectorId\":1,\"meterValue\":[{\"timestamp\":\"%s\","
			 "\"sampledValue\":[",
			 ch->uid, iso_now());
	for (int i = 0; i < opt.values && n < (int)sizeof(buf) - 300; i++) {
		if (i)
			buf[n++] = ',';
		const char *t = sv_tmpl[i % 4];
		if (i % 4 == 0)
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, t, 10000u + ch->seq, ch->seq % 10);
		else
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, t, ch->seq % 10);
	}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "]}]}]");
	ch->pending = K_METER;
	ch->t_sent = now_us();
	st.meter_sent++;
	send_text(ch, buf, (size_t)n);
}

/* Answers a server-initiated CALL the way a plain charger would. */
static void answer_call(charger *ch, const ocpp_frame *f)
{
	json_t *p = NULL;
	st.server_calls++;
	if (strcmp(f->action, "GetConfiguration") == 0) {
		p = json_pack("{s:[{s:s,s:b,s:s},{s:s,s:b,s:s},{s:s,s:b,s:s}]}", "configurationKey", "key",
			      "HeartbeatInterval", "readonly", 0, "value", "300", "key",
			      "MeterValueSampleInterval", "readonly", 0, "value", "60", "key",
			      "NumberOfConnectors", "readonly", 1, "value", "1");
	} else if (strcmp(f->action, "TriggerMessage") == 0 || strcmp(f->action, "ChangeConfiguration") == 0 ||
		   strcmp(f->action, "Reset") == 0 || strcmp(f->action, "ChangeAvailability") == 0) {
		p = json_pack("{s:s}", "status", "Accepted");
	}
	char *out = p ? ocpp_build_result(f->unique_id, p)
		      : ocpp_build_error(f->unique_id, "NotImplemented", "not simulated", NULL);
	json_decref(p);
	if (out) {
		send_text(ch, out, strlen(out));
		free(out);
	}
}

static void meter_done(charger *ch, int64_t t)
{
	st.meter_answered++;
	if (ch->t_sent >= st.meter_measure_from && t <= st.meter_end) {
		st.meter_window++;
		samples_add(&st.meter_lat, t - ch->t_sent);
	}
	if (st.meter_on && ch->metering && t < st.meter_end)
		send_meter(ch);
	else
		ch->metering = false;
}

static void on_open(wsclient_conn *c, void *user)
{
	charger *ch = user;
	(void)c;
	st.connecting--;
	st.open++;
	ch->state = CS_OPEN;
	samples_add(&st.open_lat, now_us() - ch->t_connect);
	send_boot(ch);
}

static void on_text(wsclient_conn *c, void *user, const char *text, size_t len)
{
	charger *ch = user;
	(void)c;
	int64_t t = now_us();
	/* Fast path: the CALLRESULT of a MeterValues, matched by its unique id. */
	if (ch->pending == K_METER && len > 5 && memcmp(text, "[3,\"", 4) == 0) {
		size_t ul = strlen(ch->uid);
		if (len > 4 + ul && memcmp(text + 4, ch->uid, ul) == 0 && text[4 + ul] == '"') {
			ch->pending = K_NONE;
			meter_done(ch, t);
			return;
		}
	}
	ocpp_frame f;
	const char *why = NULL;
	if (ocpp_frame_parse(text, len, &f, &why)) {
		fprintf(stderr, "loadgen: %s: unparsable frame: %.80s\n", ch->id, text);
		return;
	}
	if (f.type == OCPP_CALL) {
		answer_call(ch, &f);
	} else if (strcmp(f.unique_id, ch->uid) == 0 && ch->pending != K_NONE) {
		enum ckind k = ch->pending;
		ch->pending = K_NONE;
		if (f.type == OCPP_CALLERROR) {
			st.callerrors++;
			if (k == K_BOOT)
				st.boot_errors++;
			if (k == K_METER) {
				st.meter_errors++;
				meter_done(ch, t);
			}
			if (st.close_reasons_logged < 5) {
				st.close_reasons_logged++;
				fprintf(stderr, "loadgen: %s: CALLERROR %s %s\n", ch->id, f.error_code,
					f.error_description);
			}
		} else if (k == K_BOOT) {
			const char *s = json_string_value(json_object_get(f.payload, "status"));
			if (s && strcmp(s, "Accepted") == 0) {
				ch->state = CS_ACCEPTED;
				st.accepted++;
				st.last_accept = t;
				samples_add(&st.boot_lat, t - ch->t_connect);
			} else {
				st.boot_errors++;
				if (st.close_reasons_logged < 5) {
					st.close_reasons_logged++;
					fprintf(stderr, "loadgen: %s: boot answered %s\n", ch->id, s ? s : "?");
				}
			}
		} else if (k == K_METER) {
			meter_done(ch, t);
		}
	}
	ocpp_frame_release(&f);
}

static void on_close(wsclient_conn *c, void *user, const wsclient_close_info *info)
{
	charger *ch = user;
	(void)c;
	if (ch->state == CS_CONNECTING) {
		st.connecting--;
		st.connect_errors++;
		/* a real charger retries; the storm phase does too, after --retry-ms +0..50% */
		ch->retry_at = now_us() + (int64_t)opt.retry_ms * 1000 * (100 + ch->idx * 37 % 50) / 100;
	} else {
		if (ch->state == CS_ACCEPTED)
			st.accepted--;
		st.open--;
		if (ch->state != CS_CLOSING)
			st.unexpected_close++;
		if (ch->state == CS_OPEN)
			st.boot_errors++;
	}
	if (ch->state != CS_CLOSING && st.close_reasons_logged < 5) {
		st.close_reasons_logged++;
		fprintf(stderr, "loadgen: %s closed (opened=%d code=%d http=%d): %s\n", ch->id, info->opened,
			info->ws_code, info->http_status, info->reason ? info->reason : "");
	}
	if (ch->pending == K_METER)
		st.meter_errors++;
	ch->pending = K_NONE;
	ch->metering = false;
	ch->c = NULL;
	ch->state = CS_IDLE;
}

static const wsclient_handlers handlers = {on_open, on_text, on_close};

static void connect_one(charger *ch)
{
	char url[256];
	snprintf(url, sizeof(url), "%s/%s", opt.url, ch->id);
	wsclient_opts o = {
		.url = url,
		.subprotocol = "ocpp1.6",
		.auth_user = ch->id,
		.auth_password = opt.password[0] ? opt.password : NULL,
		.local_addr = opt.nsrc ? opt.src[ch->idx % opt.nsrc] : NULL,
		.max_message = 65536,
		.max_queue = 65536,
	};
	int err = 0;
	ch->t_connect = now_us();
	ch->c = wsclient_connect(loop, &o, &handlers, ch, &err);
	if (!ch->c) {
		st.connect_errors++;
		fprintf(stderr, "loadgen: connect %s: %s\n", ch->id, wsclient_strerror(err));
		return;
	}
	ch->state = CS_CONNECTING;
	ch->pending = K_NONE;
	st.connecting++;
}

/* Runs this worker's loop until done() or the deadline; returns true if done() held. */
static bool run_until(bool (*done)(void), int64_t deadline_us)
{
	while (!interrupted && now_us() < deadline_us) {
		if (done())
			return true;
		wsclient_loop_run(loop, 5);
	}
	return done();
}

static void service_until(int64_t t)
{
	while (!interrupted && now_us() < t)
		wsclient_loop_run(loop, 5);
}

static bool all_accepted_or_failed(void)
{
	return st.connecting == 0 && st.accepted + st.boot_errors + st.connect_errors >= W->target;
}

static int close_from;
static bool closed_down(void)
{
	for (int i = close_from + W->idx; i < ncharger; i += nworkers)
		if (chargers[i].state != CS_IDLE)
			return false;
	return true;
}

static bool meter_drained(void)
{
	for (int i = W->idx; i < ncharger; i += nworkers)
		if (chargers[i].pending == K_METER)
			return false;
	return true;
}

/* ------------------------------------------------------------------ REST client thread */

typedef struct {
	int id;
	int n;		/* commands to send */
	int targets;	/* chargers [0, targets) */
	samples lat;
	int ok, errors;
	int64_t busy_us;
	char first_error[200];
} rest_job;

static char http_host[128];
static int http_port;

static int http_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)http_port)};
	inet_pton(AF_INET, http_host, &a.sin_addr);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timeval tv = {.tv_sec = 35};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request on a keep-alive connection; returns the HTTP status or -1. */
static int http_post(int *fd, const char *path, const char *body, char *resp, size_t respsz)
{
	char req[1024];
	int n = snprintf(req, sizeof(req),
			 "POST %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%sContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 path, http_host, http_port, opt.token[0] ? "Authorization: Bearer " : "",
			 opt.token[0] ? opt.token : "", opt.token[0] ? "\r\n" : "", strlen(body), body);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (*fd < 0 && (*fd = http_connect()) < 0)
			return -1;
		if (send(*fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
			close(*fd);
			*fd = -1;
			continue;
		}
		size_t got = 0;
		char *hdr_end = NULL;
		while (!hdr_end && got < respsz - 1) {
			ssize_t r = recv(*fd, resp + got, respsz - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
			resp[got] = '\0';
			hdr_end = strstr(resp, "\r\n\r\n");
		}
		if (!hdr_end) {
			close(*fd);
			*fd = -1;
			if (got == 0)
				continue; /* keep-alive connection closed by the server: retry once */
			return -1;
		}
		int status = 0;
		sscanf(resp, "HTTP/1.%*d %d", &status);
		size_t clen = 0;
		char *cl = strcasestr(resp, "\r\ncontent-length:");
		if (cl)
			clen = strtoul(cl + 17, NULL, 10);
		size_t have = got - (size_t)(hdr_end + 4 - resp);
		size_t hoff = (size_t)(hdr_end + 4 - resp);
		while (have < clen && got < respsz - 1) {
			ssize_t r = recv(*fd, resp + got, respsz - 1 - got, 0);
			if (r <= 0)
				break;
			got += (size_t)r;
			have += (size_t)r;
		}
		resp[got] = '\0';
		memmove(resp, resp + hoff, got - hoff + 1);
		if (strcasestr(resp, "connection: close")) {
			close(*fd);
			*fd = -1;
		}
		return status;
	}
	return -1;
}

static void *rest_main(void *arg)
{
	rest_job *j = arg;
	int fd = -1;
	char resp[16384], path[256];
	unsigned x = 2463534242u + (unsigned)j->id * 7919u;
	for (int i = 0; i < j->n && !interrupted; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		int target = (int)(x % (unsigned)j->targets);
		snprintf(path, sizeof(path), "/api/v1/chargers/%s/commands/GetConfiguration",
			 chargers[target].id);
		int64_t t0 = now_us();
		int status = http_post(&fd, path, "{}", resp, sizeof(resp));
		int64_t t1 = now_us();
		j->busy_us += t1 - t0;
		if (status == 200 && strstr(resp, "configurationKey")) {
			j->ok++;
			samples_add(&j->lat, t1 - t0);
		} else {
			j->errors++;
			if (!j->first_error[0])
				snprintf(j->first_error, sizeof(j->first_error), "HTTP %d %.150s", status, resp);
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static atomic_int rest_running;
static void *rest_wrap(void *arg)
{
	rest_main(arg);
	atomic_fetch_sub(&rest_running, 1);
	return NULL;
}
static bool rest_done(void)
{
	return atomic_load(&rest_running) == 0;
}

/* ------------------------------------------------------------------ phases */

/*
 * The main thread drives the phases; every worker runs each phase on its own
 * chargers and loop (wsclient calls are only legal on the loop's thread).
 * Between phases the workers keep servicing their loops, so server CALLs and
 * pings are answered at all times.
 */
enum phase { PH_NONE, PH_STORM, PH_HOLD, PH_CLOSE, PH_METER, PH_REST, PH_EXIT };

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum phase phase;
	int gen;      /* incremented per phase */
	int finished; /* workers done with the current phase */
	int64_t t0, deadline, hold_end, meter_from, meter_end;
	int arg;
} ctl = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PH_NONE, 0, 0, 0, 0, 0, 0, 0, 0};

static void worker_phase(enum phase ph)
{
	switch (ph) {
	case PH_STORM: {
		W->target = 0;
		for (int i = W->idx; i < opt.storm; i += nworkers) {
			chargers[i].retry_at = 0;
			connect_one(&chargers[i]);
			W->target++;
		}
		st.issued_at = now_us();
		/* Until every charger is Accepted: a failed connect is counted as an error and
		 * retried after 1 s, as a charger would. */
		while (!interrupted && now_us() < ctl.deadline && st.accepted < W->target) {
			wsclient_loop_run(loop, 5);
			int64_t t = now_us();
			for (int i = W->idx; i < opt.storm; i += nworkers)
				if (chargers[i].state == CS_IDLE && chargers[i].retry_at && t >= chargers[i].retry_at) {
					chargers[i].retry_at = 0;
					connect_one(&chargers[i]);
				}
		}
		break;
	}
	case PH_HOLD: {
		/* (Re)connect every charger of ours below --hold that is not connected, paced. */
		int issued = 0;
		double rate = (double)opt.ramp_rate / nworkers;
		W->target = 0;
		for (int i = W->idx; i < opt.hold; i += nworkers)
			W->target++;
		for (int i = W->idx; i < opt.hold && now_us() < ctl.deadline && !interrupted; i += nworkers) {
			if (chargers[i].state != CS_IDLE)
				continue;
			connect_one(&chargers[i]);
			issued++;
			while (!interrupted && now_us() < ctl.deadline &&
			       (double)issued > rate * (double)(now_us() - ctl.t0) / 1e6 + 50)
				wsclient_loop_run(loop, 2);
		}
		run_until(all_accepted_or_failed, ctl.deadline);
		st.issued_at = now_us();
		service_until(ctl.hold_end);
		break;
	}
	case PH_CLOSE: {
		int m = ctl.arg;
		for (int i = m + W->idx; i < ncharger; i += nworkers) {
			charger *ch = &chargers[i];
			if (ch->c && (ch->state == CS_OPEN || ch->state == CS_ACCEPTED || ch->state == CS_CONNECTING)) {
				if (ch->state == CS_CONNECTING) {
					/* on_close would count it as a connect error otherwise */
					st.connecting--;
					st.open++;
				}
				if (ch->state == CS_ACCEPTED)
					st.accepted--;
				ch->state = CS_CLOSING;
				wsclient_close(ch->c);
			}
		}
		close_from = m;
		run_until(closed_down, ctl.deadline);
		service_until(now_us() + 1000000); /* let the server process the closes */
		break;
	}
	case PH_METER: {
		int m = ctl.arg;
		samples_reset(&st.meter_lat);
		st.meter_sent = st.meter_answered = st.meter_window = st.meter_errors = 0;
		st.meter_on = true;
		st.meter_measure_from = ctl.meter_from;
		st.meter_end = ctl.meter_end;
		W->target = 0;
		for (int i = W->idx; i < m; i += nworkers) {
			charger *ch = &chargers[i];
			if (ch->state == CS_ACCEPTED && ch->pending == K_NONE) {
				ch->metering = true;
				W->target++;
				send_meter(ch);
			}
		}
		service_until(ctl.meter_end);
		st.meter_on = false;
		run_until(meter_drained, now_us() + (int64_t)opt.phase_timeout * 1000000);
		break;
	}
	case PH_REST:
		run_until(rest_done, ctl.deadline);
		break;
	default:
		break;
	}
}

static void *worker_main(void *arg)
{
	W = arg;
	int seen = 0;
	for (;;) {
		pthread_mutex_lock(&ctl.mu);
		while (ctl.gen == seen) {
			pthread_mutex_unlock(&ctl.mu);
			wsclient_loop_run(loop, 20); /* idle: keep answering the server */
			pthread_mutex_lock(&ctl.mu);
		}
		seen = ctl.gen;
		enum phase ph = ctl.phase;
		pthread_mutex_unlock(&ctl.mu);
		if (ph == PH_EXIT)
			break;
		worker_phase(ph);
		pthread_mutex_lock(&ctl.mu);
		ctl.finished++;
		pthread_cond_broadcast(&ctl.cv);
		pthread_mutex_unlock(&ctl.mu);
	}
	return NULL;
}

/* Runs one phase on every worker and waits for all of them. */
static void run_phase(enum phase ph, int arg)
{
	pthread_mutex_lock(&ctl.mu);
	ctl.phase = ph;
	ctl.arg = arg;
	ctl.finished = 0;
	ctl.gen++;
	pthread_mutex_unlock(&ctl.mu);
	if (ph == PH_EXIT)
		return;
	pthread_mutex_lock(&ctl.mu);
	while (ctl.finished < nworkers)
		pthread_cond_wait(&ctl.cv, &ctl.mu);
	pthread_mutex_unlock(&ctl.mu);
}

/* Sum of every worker's stats (samples concatenated). */
static struct stats merged(void)
{
	struct stats m;
	memset(&m, 0, sizeof(m));
	for (int w = 0; w < nworkers; w++) {
		struct stats *s = &workers[w].stats;
		m.connecting += s->connecting;
		m.open += s->open;
		m.accepted += s->accepted;
		m.connect_errors += s->connect_errors;
		m.boot_errors += s->boot_errors;
		m.callerrors += s->callerrors;
		m.unexpected_close += s->unexpected_close;
		m.meter_sent += s->meter_sent;
		m.meter_answered += s->meter_answered;
		m.meter_window += s->meter_window;
		m.meter_errors += s->meter_errors;
		m.server_calls += s->server_calls;
		if (s->last_accept > m.last_accept)
			m.last_accept = s->last_accept;
		if (s->issued_at > m.issued_at)
			m.issued_at = s->issued_at;
		for (size_t k = 0; k < s->open_lat.n; k++)
			samples_add(&m.open_lat, s->open_lat.v[k]);
		for (size_t k = 0; k < s->boot_lat.n; k++)
			samples_add(&m.boot_lat, s->boot_lat.v[k]);
		for (size_t k = 0; k < s->meter_lat.n; k++)
			samples_add(&m.meter_lat, s->meter_lat.v[k]);
	}
	return m;
}

static void merged_free(struct stats *m)
{
	free(m->open_lat.v);
	free(m->boot_lat.v);
	free(m->meter_lat.v);
}

static void reset_errors(void)
{
	for (int w = 0; w < nworkers; w++) {
		struct stats *s = &workers[w].stats;
		s->connect_errors = s->boot_errors = s->callerrors = s->unexpected_close = 0;
		samples_reset(&s->open_lat);
		samples_reset(&s->boot_lat);
		s->last_accept = 0;
	}
}

static void print_common(const char *phase, double cpu_srv0, double cpu_me0, int64_t t0, int connected)
{
	double wall = (double)(now_us() - t0) / 1e6;
	double srv = server_cpu_s();
	printf("{\"label\":\"%s\",\"phase\":\"%s\",\"wall_s\":%.3f,\"server_cpu_s\":%.3f,\"loadgen_cpu_s\":%.3f,"
	       "\"server_rss_kb\":%ld,\"connected\":%d",
	       opt.label, phase, wall, srv >= 0 ? srv - cpu_srv0 : -1.0, self_cpu_s() - cpu_me0,
	       server_rss_kb(), connected);
}

static void phase_storm(void)
{
	reset_errors();
	double c0 = server_cpu_s(), m0 = self_cpu_s();
	int64_t t0 = now_us();
	ctl.t0 = t0;
	ctl.deadline = t0 + (int64_t)opt.phase_timeout * 1000000;
	run_phase(PH_STORM, 0);
	struct stats m = merged();
	int errors = m.connect_errors + m.boot_errors + m.callerrors;
	bool ok = m.accepted == opt.storm && errors == 0;
	print_common("storm", c0, m0, t0, m.accepted);
	printf(",\"chargers\":%d,\"accepted\":%d,\"complete\":%s,\"all_accepted_s\":%.3f,\"connect_calls_s\":%.3f,"
	       "\"errors\":%d,\"connect_errors\":%d,\"boot_errors\":%d,\"callerrors\":%d,"
	       "\"open_p50_ms\":%.1f,\"open_p99_ms\":%.1f,\"boot_p50_ms\":%.1f,\"boot_p99_ms\":%.1f}\n",
	       opt.storm, m.accepted, ok ? "true" : "false",
	       m.last_accept ? (double)(m.last_accept - t0) / 1e6 : -1.0, (double)(m.issued_at - t0) / 1e6,
	       errors, m.connect_errors, m.boot_errors, m.callerrors, pct_ms(&m.open_lat, 50),
	       pct_ms(&m.open_lat, 99), pct_ms(&m.boot_lat, 50), pct_ms(&m.boot_lat, 99));
	fflush(stdout);
	merged_free(&m);
}

static void phase_hold(long rss0)
{
	reset_errors();
	double c0 = server_cpu_s(), m0 = self_cpu_s();
	int64_t t0 = now_us();
	ctl.t0 = t0;
	ctl.deadline = t0 + (int64_t)opt.phase_timeout * 1000000;
	/* hold_end is relative to the end of the ramp: set generously, trimmed by workers */
	ctl.hold_end = 0;
	run_phase(PH_HOLD, 0); /* ramp (bounded by deadline); workers hold until hold_end (0: none) */
	struct stats m0s = merged();
	int64_t t_ramp = m0s.issued_at;
	merged_free(&m0s);
	ctl.hold_end = now_us() + (int64_t)opt.hold_secs * 1000000;
	{
		/* hold: workers idle-service their loops meanwhile */
		while (!interrupted && now_us() < ctl.hold_end)
			usleep(20000);
	}
	long rss = server_rss_kb();
	struct stats m = merged();
	print_common("hold", c0, m0, t0, m.accepted);
	printf(",\"chargers\":%d,\"ramp_s\":%.3f,\"held_s\":%d,\"rss_before_kb\":%ld,\"rss_held_kb\":%ld,"
	       "\"rss_per_conn_bytes\":%.0f,\"errors\":%d,\"unexpected_close\":%d}\n",
	       opt.hold, (double)(t_ramp - t0) / 1e6, opt.hold_secs, rss0, rss,
	       m.accepted > 0 && rss > 0 ? (double)(rss - rss0) * 1024.0 / m.accepted : -1.0,
	       m.connect_errors + m.boot_errors + m.callerrors, m.unexpected_close);
	fflush(stdout);
	merged_free(&m);
}

static void close_down_to(int m)
{
	ctl.deadline = now_us() + (int64_t)opt.phase_timeout * 1000000;
	run_phase(PH_CLOSE, m);
}

static void phase_meter(int m)
{
	close_down_to(m);
	double c0 = server_cpu_s(), m0 = self_cpu_s();
	int64_t t0 = now_us();
	ctl.meter_from = t0 + (int64_t)opt.meter_warmup * 1000000;
	ctl.meter_end = ctl.meter_from + (int64_t)opt.meter_secs * 1000000;
	/* CPU over the measured window: sampled by a helper while the workers run. */
	pthread_mutex_lock(&ctl.mu);
	ctl.phase = PH_METER;
	ctl.arg = m;
	ctl.finished = 0;
	ctl.gen++;
	pthread_mutex_unlock(&ctl.mu);
	while (!interrupted && now_us() < ctl.meter_from)
		usleep(2000);
	double srv_w0 = server_cpu_s(), me_w0 = self_cpu_s();
	while (!interrupted && now_us() < ctl.meter_end)
		usleep(2000);
	double srv_w1 = server_cpu_s(), me_w1 = self_cpu_s();
	pthread_mutex_lock(&ctl.mu);
	while (ctl.finished < nworkers)
		pthread_cond_wait(&ctl.cv, &ctl.mu);
	pthread_mutex_unlock(&ctl.mu);
	struct stats s = merged();
	int active = 0;
	for (int w = 0; w < nworkers; w++)
		active += workers[w].target;
	bool drained = true;
	for (int i = 0; i < ncharger; i++)
		drained &= chargers[i].pending != K_METER;
	print_common("meter", c0, m0, t0, s.accepted);
	printf(",\"chargers\":%d,\"active\":%d,\"values_per_msg\":%d,\"measure_s\":%d,\"msgs_per_s\":%.1f,"
	       "\"values_per_s\":%.1f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
	       "\"server_cores\":%.2f,\"loadgen_cores\":%.2f,"
	       "\"sent\":%llu,\"answered\":%llu,\"errors\":%llu,\"drained\":%s}\n",
	       m, active, opt.values, opt.meter_secs, (double)s.meter_window / opt.meter_secs,
	       (double)s.meter_window * opt.values / opt.meter_secs, pct_ms(&s.meter_lat, 50),
	       pct_ms(&s.meter_lat, 90), pct_ms(&s.meter_lat, 99), pct_ms(&s.meter_lat, 100),
	       srv_w0 >= 0 ? (srv_w1 - srv_w0) / opt.meter_secs : -1.0, (me_w1 - me_w0) / opt.meter_secs,
	       (unsigned long long)s.meter_sent, (unsigned long long)s.meter_answered,
	       (unsigned long long)s.meter_errors, drained ? "true" : "false");
	fflush(stdout);
	merged_free(&s);
}

static void phase_command(int m)
{
	if (opt.commands <= 0)
		return;
	char *colon = strrchr(opt.http, ':');
	snprintf(http_host, sizeof(http_host), "%.*s", (int)(colon - opt.http), opt.http);
	http_port = atoi(colon + 1);
	int conc = opt.command_conc > 0 ? opt.command_conc : 1;
	rest_job *jobs = calloc((size_t)conc, sizeof(*jobs));
	pthread_t *th = calloc((size_t)conc, sizeof(*th));
	double c0 = server_cpu_s(), m0 = self_cpu_s();
	struct stats b = merged();
	uint64_t calls0 = b.server_calls;
	merged_free(&b);
	int64_t t0 = now_us();
	ctl.deadline = t0 + (int64_t)(opt.phase_timeout + 40) * 1000000;
	atomic_store(&rest_running, conc);
	for (int i = 0; i < conc; i++) {
		jobs[i].id = i;
		jobs[i].n = opt.commands / conc;
		jobs[i].targets = m;
		pthread_create(&th[i], NULL, rest_wrap, &jobs[i]);
	}
	run_phase(PH_REST, 0);
	if (!rest_done())
		interrupted = 1;
	samples all = {0};
	int ok = 0, errors = 0;
	const char *first_error = "";
	for (int i = 0; i < conc; i++) {
		pthread_join(th[i], NULL);
		for (size_t k = 0; k < jobs[i].lat.n; k++)
			samples_add(&all, jobs[i].lat.v[k]);
		ok += jobs[i].ok;
		errors += jobs[i].errors;
		if (jobs[i].first_error[0] && !first_error[0])
			first_error = jobs[i].first_error;
	}
	double wall = (double)(now_us() - t0) / 1e6;
	struct stats s = merged();
	print_common("command", c0, m0, t0, s.accepted);
	printf(",\"concurrency\":%d,\"commands\":%d,\"ok\":%d,\"errors\":%d,\"per_s\":%.1f,\"p50_ms\":%.2f,"
	       "\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"server_calls_answered\":%llu}\n",
	       conc, ok + errors, ok, errors, ok / wall, pct_ms(&all, 50), pct_ms(&all, 90), pct_ms(&all, 99),
	       pct_ms(&all, 100), (unsigned long long)(s.server_calls - calls0));
	if (errors)
		fprintf(stderr, "loadgen: first REST error: %s\n", first_error);
	fflush(stdout);
	merged_free(&s);
	for (int i = 0; i < conc; i++)
		free(jobs[i].lat.v);
	free(all.v);
	free(jobs);
	free(th);
}

/* ------------------------------------------------------------------ main */

static void usage(void)
{
	fprintf(stderr,
		"usage: loadgen --url ws://HOST:PORT/ocpp [--http HOST:PORT] [--token T] [--password PW]\n"
		"  [--prefix BENCH-] [--src 127.1.0.1,127.1.0.2,...] [--server-pid PID] [--label L]\n"
		"  [--storm N] [--hold N] [--ramp-rate R] [--hold-secs S]\n"
		"  [--meter-at N1,N2,... (descending)] [--meter-secs S] [--meter-warmup S] [--values K]\n"
		"  [--commands K] [--command-at N] [--command-conc C] [--phase-timeout S] [--threads 4] [--retry-ms 3000]\n");
	exit(2);
}

static void parse_list(const char *s, int *out, int max, int *n)
{
	char *copy = strdup(s), *save = NULL;
	*n = 0;
	for (char *t = strtok_r(copy, ",", &save); t && *n < max; t = strtok_r(NULL, ",", &save))
		out[(*n)++] = atoi(t);
	free(copy);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--url"))
			opt.url = v;
		else if (!strcmp(a, "--http"))
			opt.http = v;
		else if (!strcmp(a, "--token"))
			opt.token = v;
		else if (!strcmp(a, "--password"))
			opt.password = v;
		else if (!strcmp(a, "--prefix"))
			opt.prefix = v;
		else if (!strcmp(a, "--label"))
			opt.label = v;
		else if (!strcmp(a, "--src")) {
			char *copy = strdup(v), *save = NULL;
			for (char *t = strtok_r(copy, ",", &save); t && opt.nsrc < 64; t = strtok_r(NULL, ",", &save))
				opt.src[opt.nsrc++] = t;
		} else if (!strcmp(a, "--server-pid"))
			opt.server_pid = atoi(v);
		else if (!strcmp(a, "--storm"))
			opt.storm = atoi(v);
		else if (!strcmp(a, "--hold"))
			opt.hold = atoi(v);
		else if (!strcmp(a, "--ramp-rate"))
			opt.ramp_rate = atoi(v);
		else if (!strcmp(a, "--hold-secs"))
			opt.hold_secs = atoi(v);
		else if (!strcmp(a, "--meter-at"))
			parse_list(v, opt.meter_at, 8, &opt.nmeter);
		else if (!strcmp(a, "--meter-secs"))
			opt.meter_secs = atoi(v);
		else if (!strcmp(a, "--meter-warmup"))
			opt.meter_warmup = atoi(v);
		else if (!strcmp(a, "--values"))
			opt.values = atoi(v);
		else if (!strcmp(a, "--commands"))
			opt.commands = atoi(v);
		else if (!strcmp(a, "--command-at"))
			opt.command_at = atoi(v);
		else if (!strcmp(a, "--command-conc"))
			opt.command_conc = atoi(v);
		else if (!strcmp(a, "--retry-ms"))
			opt.retry_ms = atoi(v);
		else if (!strcmp(a, "--threads"))
			nworkers = atoi(v);
		else if (!strcmp(a, "--phase-timeout"))
			opt.phase_timeout = atoi(v);
		else
			usage();
	}
	if (!opt.url || opt.storm < 0 || opt.values < 1 || opt.values > 16 || opt.meter_secs < 1 ||
	    opt.phase_timeout < 1 || opt.ramp_rate < 1 || nworkers < 1 || nworkers > 64)
		usage();
	if (opt.commands > 0 && !opt.http)
		usage();
	if (opt.hold < opt.storm)
		opt.hold = opt.storm;
	ncharger = opt.hold;
	for (int i = 0; i < opt.nmeter; i++)
		if (opt.meter_at[i] > ncharger || (i && opt.meter_at[i] > opt.meter_at[i - 1]))
			usage();

	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && (rlim_t)ncharger + 64 > rl.rlim_cur) {
		fprintf(stderr, "loadgen: %d chargers need more than the fd limit %llu\n", ncharger,
			(unsigned long long)rl.rlim_cur);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	chargers = calloc((size_t)ncharger, sizeof(*chargers));
	for (int i = 0; i < ncharger; i++) {
		chargers[i].idx = i;
		snprintf(chargers[i].id, sizeof(chargers[i].id), "%s%05d", opt.prefix, i);
	}
	workers = calloc((size_t)nworkers, sizeof(*workers));
	for (int w = 0; w < nworkers; w++) {
		workers[w].idx = w;
		workers[w].wloop = wsclient_loop_new();
		if (!workers[w].wloop) {
			fprintf(stderr, "loadgen: cannot create an event loop\n");
			return 1;
		}
	}
	for (int w = 0; w < nworkers; w++)
		pthread_create(&workers[w].th, NULL, worker_main, &workers[w]);
	long rss0 = server_rss_kb();
	printf("{\"label\":\"%s\",\"phase\":\"start\",\"server_rss_kb\":%ld,\"sources\":%d,\"chargers\":%d}\n",
	       opt.label, rss0, opt.nsrc, ncharger);
	fflush(stdout);

	phase_storm();
	if (!interrupted)
		phase_hold(rss0);
	for (int i = 0; i < opt.nmeter && !interrupted; i++) {
		phase_meter(opt.meter_at[i]);
		if (opt.meter_at[i] == opt.command_at && !interrupted)
			phase_command(opt.meter_at[i]);
	}
	if (opt.command_at > 0 && !interrupted) {
		bool done = false;
		for (int i = 0; i < opt.nmeter; i++)
			done |= opt.meter_at[i] == opt.command_at;
		if (!done) {
			close_down_to(opt.command_at);
			phase_command(opt.command_at);
		}
	}
	close_down_to(0);
	run_phase(PH_EXIT, 0);
	for (int w = 0; w < nworkers; w++) {
		pthread_join(workers[w].th, NULL);
		wsclient_loop_free(workers[w].wloop);
	}
	free(workers);
	free(chargers);
	return interrupted ? 3 : 0;
}
