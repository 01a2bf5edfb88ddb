/*
 * sim_main.c - `chargeops sim`: the command line of the fleet simulator. It
 * parses the options, loads the scenario, lays out the fleet, registers it
 * through the REST API if asked (and then starts the drivers' app backend,
 * sim_app.c), raises the open-file limit, starts the chargers at a steady
 * rate (no thundering herd unless asked for), runs the event loop until
 * --duration or a signal, then stops every charger cleanly (running
 * transactions are ended, their answers awaited for up to --stop-grace,
 * connections closed, open faults labelled) and prints a summary.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "sim/sim_internal.h"

#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define STOP_GRACE_S 30	    /* wall: default for last StopTransactions to be answered */
#define CLOSE_GRACE_MS 2000 /* wall: for Close handshakes */
#define STARTER_TICK_MS 10

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* The --meter-key file's PEM and its public key, for the run (sim_opts borrows them). */
static char meter_key_pem[8192];
static char meter_pub_pem[1024];

static int load_meter_key(const char *path, sim_opts *o)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(meter_key_pem, 1, sizeof(meter_key_pem) - 1, f);
	fclose(f);
	meter_key_pem[n] = '\0';
	BIO *bio = BIO_new_mem_buf(meter_key_pem, -1);
	EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	bio = BIO_new(BIO_s_mem());
	int ok = k && bio && PEM_write_bio_PUBKEY(bio, k) == 1;
	if (ok) {
		char *d;
		long len = BIO_get_mem_data(bio, &d);
		ok = len > 0 && (size_t)len < sizeof(meter_pub_pem);
		if (ok) {
			memcpy(meter_pub_pem, d, (size_t)len);
			meter_pub_pem[len] = '\0';
		}
	}
	BIO_free(bio);
	EVP_PKEY_free(k);
	if (!ok)
		return -1;
	o->meter_key_pem = meter_key_pem;
	o->meter_pub_pem = meter_pub_pem;
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: chargeops sim --url ws://HOST:PORT/ocpp --chargers N [options]\n"
	      "  --url URL          central system base URL; the charger id is appended\n"
	      "  --chargers N       number of simulated chargers (ids PREFIX001...;\n"
	      "                     default: the scenario's)\n"
	      "  --scenario FILE    scenario (JSON, see docs/simulator.md; default: 5 AC chargers)\n"
	      "  --labels FILE      append ground truth of faults as JSON lines\n"
	      "  --api URL          register sites, chargers and id tags through the REST API\n"
	      "                     at URL (http://HOST:PORT) first, and start the sessions of\n"
	      "                     app drivers through it; needs --token\n"
	      "  --token TOKEN      API token (operator or admin) for --api\n"
	      "  --prefix P         charger id prefix (default CP-)\n"
	      "  --password PW      HTTP Basic auth password (user = charger id); with --api\n"
	      "                     and no --password each charger gets its own, derived\n"
	      "                     from the seed and its id\n"
	      "  --speed X          simulated clock runs X times faster (default 1)\n"
	      "  --duration S       stop after S wall seconds (default 0 = until a signal)\n"
      "  --meter-key FILE   sign each session's start and end meter readings as OCMF\n"
      "                     (SignedData in StopTransaction) with this EC private key\n"
      "                     (PEM, P-256 or P-384); with --api its public key is\n"
      "                     registered as the chargers' meter_public_key\n"
      "  --stop-grace S     at the end, wait up to S wall seconds for the answers to\n"
      "                     the last StopTransactions (default 30; a second signal\n"
      "                     ends at once)\n"
	      "  --seed S           random seed (default 1)\n"
	      "  --id-tag TAG       idTag for every session (default: the scenario's drivers, or\n"
	      "                     TAG1, TAG2, ... per charger)\n"
	      "  --rate R           connections started per second (default 200)\n"
	      "  --source-ips K     spread chargers over source addresses 127.0.0.1..K\n"
	      "  --insecure         wss: accept self-signed certificates\n"
	      "  --verbose, -v      one line per charger state change\n"
	      "  --log-level L      debug, info, warn, error (default info)\n",
	      f);
}

static int parse_double(const char *s, double min, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min)
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fills o from argv (strings borrowed). Returns 0, 1 for --help, -1 on error. */
static int parse_args(int argc, char **argv, sim_opts *o)
{
	enum {
		O_URL = 256,
		O_PREFIX,
		O_PASSWORD,
		O_SPEED,
		O_DURATION,
		O_SEED,
		O_ID_TAG,
		O_RATE,
		O_SOURCE_IPS,
		O_INSECURE,
		O_LOG_LEVEL,
		O_SCENARIO,
		O_LABELS,
		O_API,
		O_TOKEN,
		O_STOP_GRACE,
		O_METER_KEY
	};
	static const struct option longopts[] = {
	    {"url", required_argument, NULL, O_URL},
	    {"chargers", required_argument, NULL, 'n'},
	    {"prefix", required_argument, NULL, O_PREFIX},
	    {"password", required_argument, NULL, O_PASSWORD},
	    {"speed", required_argument, NULL, O_SPEED},
	    {"duration", required_argument, NULL, O_DURATION},
	    {"seed", required_argument, NULL, O_SEED},
	    {"id-tag", required_argument, NULL, O_ID_TAG},
	    {"rate", required_argument, NULL, O_RATE},
	    {"source-ips", required_argument, NULL, O_SOURCE_IPS},
	    {"insecure", no_argument, NULL, O_INSECURE},
	    {"verbose", no_argument, NULL, 'v'},
	    {"log-level", required_argument, NULL, O_LOG_LEVEL},
	    {"scenario", required_argument, NULL, O_SCENARIO},
	    {"labels", required_argument, NULL, O_LABELS},
	    {"api", required_argument, NULL, O_API},
	    {"token", required_argument, NULL, O_TOKEN},
	    {"stop-grace", required_argument, NULL, O_STOP_GRACE},
	    {"meter-key", required_argument, NULL, O_METER_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	*o = (sim_opts){.prefix = "CP-",
			.speed = 1.0,
			.seed = 1,
			.rate = 200,
			.chargers = -1,
			.stop_grace_s = STOP_GRACE_S};
	optind = 0; /* GNU: full reset, sim_main may run more than once */
	opterr = 1;
	int opt;
	long long n;
	while ((opt = getopt_long(argc, argv, "n:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case O_URL:
			o->url = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 100000, &n) < 0)
				goto bad;
			o->chargers = (int)n;
			break;
		case O_PREFIX:
			o->prefix = optarg;
			break;
		case O_PASSWORD:
			o->password = optarg;
			break;
		case O_SPEED:
			if (parse_double(optarg, 0.001, &o->speed) < 0)
				goto bad;
			break;
		case O_DURATION:
			if (parse_int(optarg, 0, INT64_MAX / 1000, &n) < 0)
				goto bad;
			o->duration_s = n;
			break;
		case O_SEED:
			if (parse_int(optarg, 0, INT64_MAX, &n) < 0)
				goto bad;
			o->seed = (uint64_t)n;
			break;
		case O_ID_TAG:
			if (!*optarg || strlen(optarg) > SIM_ID_TAG_MAX)
				goto bad;
			o->id_tag = optarg;
			break;
		case O_RATE:
			if (parse_double(optarg, 0.01, &o->rate) < 0)
				goto bad;
			break;
		case O_SOURCE_IPS:
			if (parse_int(optarg, 1, 254, &n) < 0)
				goto bad;
			o->source_ips = (int)n;
			break;
		case O_INSECURE:
			o->tls_insecure = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case O_LOG_LEVEL: {
			enum log_level lvl;
			if (log_parse_level(optarg, &lvl) < 0)
				goto bad;
			log_set_level(lvl);
			break;
		}
		case O_SCENARIO:
			o->scenario = optarg;
			break;
		case O_LABELS:
			o->labels = optarg;
			break;
		case O_API:
			if (strncmp(optarg, "http://", 7) != 0)
				goto bad;
			o->api_url = optarg;
			break;
		case O_TOKEN:
			o->token = optarg;
			break;
		case O_STOP_GRACE:
			if (parse_int(optarg, 0, 86400, &n) < 0)
				goto bad;
			o->stop_grace_s = n;
			break;
		case O_METER_KEY:
			if (load_meter_key(optarg, o) < 0)
				goto bad;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sim: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!o->url || (strncmp(o->url, "ws://", 5) != 0 && strncmp(o->url, "wss://", 6) != 0)) {
		fprintf(stderr, "sim: --url ws://HOST:PORT/PATH (or wss://) is required\n");
		return -1;
	}
	if (o->api_url && !o->token) {
		fprintf(stderr, "sim: --api needs --token\n");
		return -1;
	}
	if (strlen(o->prefix) + 6 > 48) {
		fprintf(stderr, "sim: --prefix is too long\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "sim: bad value for an option: '%s'\n", optarg);
	return -1;
}

/* Each connection costs a descriptor: allow as many as the hard limit. */
static void raise_fd_limit(int chargers)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)chargers + 64 > rl.rlim_cur)
		log_warn("sim: %d chargers but only %llu open files allowed", chargers,
			 (unsigned long long)rl.rlim_cur);
}

/* Starts chargers at --rate per second. */
typedef struct starter {
	sim_world *w;
	sim_charger **chargers;
	int started;
	wsclient_timer *timer;
	int64_t t0;
} starter;

static void starter_fire(void *arg)
{
	starter *s = arg;
	const sim_opts *o = s->w->opts;
	double elapsed = (double)(wsclient_now_ms() - s->t0);
	int target = (int)(elapsed * o->rate / 1000.0) + 1;
	if (target > o->chargers)
		target = o->chargers;
	while (s->started < target && !s->w->stopping)
		sim_charger_start(s->chargers[s->started++]);
	if (s->started < o->chargers && !s->w->stopping)
		wsclient_timer_start(s->timer, STARTER_TICK_MS);
}

static int count_done(sim_charger **chargers, int n)
{
	int done = 0;
	for (int i = 0; i < n; i++)
		done += sim_charger_done(chargers[i]);
	return done;
}

/* StopTransactions queued or in flight, i.e. not answered yet. */
static long pending_stops(sim_charger **chargers, int n)
{
	long stops = 0;
	for (int i = 0; i < n; i++)
		stops += sim_queue_count(chargers[i], "StopTransaction");
	return stops;
}

/* Runs the loop until every charger is done, time is up, or a new signal;
 * returns true if a signal cut it short. */
static bool drain(sim_world *w, sim_charger **chargers, int n, int64_t grace_ms)
{
	int64_t end = wsclient_now_ms() + grace_ms;
	got_signal = 0;
	while (count_done(chargers, n) < n && wsclient_now_ms() < end && !got_signal)
		wsclient_loop_run(w->loop, 50);
	return got_signal != 0;
}

/* The end of a run (by_signal: a signal ended it): every charger ends its
 * transactions and leaves once its calls are answered; we wait up to
 * --stop-grace for that (a signal ends the wait at once), report the
 * StopTransactions still unanswered, then close what is left. */
static void stop_fleet(sim_world *w, sim_charger **chargers, int n, bool by_signal)
{
	for (int i = 0; i < n; i++)
		sim_charger_stop(chargers[i]);
	long stops = pending_stops(chargers, n);
	int64_t t0 = wsclient_now_ms();
	bool cut = drain(w, chargers, n, w->opts->stop_grace_s * 1000);
	long left = pending_stops(chargers, n);
	double waited = (double)(wsclient_now_ms() - t0) / 1000.0;
	/* Why the wait ended with stops unanswered: a signal, the grace, or
	 * every charger is done and those stops belong to chargers offline (a
	 * simulated outage) that will not deliver them. */
	const char *why = cut			      ? (by_signal ? "second signal" : "signal")
			  : count_done(chargers, n) < n ? "--stop-grace ran out"
							: "their chargers are offline";
	if (left == 0)
		log_info("sim: stopping: %ld StopTransactions to deliver, all answered in %.1f s",
			 stops, waited);
	else
		log_warn("sim: stopping: %ld of %ld StopTransactions still unanswered after %.1f s "
			 "(%s)",
			 left, stops, waited, why);
	for (int i = 0; i < n; i++)
		sim_charger_abort(chargers[i]);
	if (!cut)
		drain(w, chargers, n, CLOSE_GRACE_MS);
}

/* VmHWM of this process in KB, or -1. */
static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long kb = -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

static void summary(const sim_world *w, int n, int64_t wall_ms)
{
	const sim_stats *s = &w->stats;
	log_info("sim: %d chargers, %.1f s wall (%.1f s simulated)", n, (double)wall_ms / 1000.0,
		 (double)wall_ms * w->opts->speed / 1000.0);
	log_info("sim: connections %llu, disconnects %llu, refused %llu",
		 (unsigned long long)s->connects, (unsigned long long)s->disconnects,
		 (unsigned long long)s->refused);
	log_info(
	    "sim: calls sent %llu, answered %llu, CALLERRORs %llu, timeouts %llu, dropped %llu",
	    (unsigned long long)s->calls_sent, (unsigned long long)s->results,
	    (unsigned long long)s->call_errors, (unsigned long long)s->timeouts,
	    (unsigned long long)s->dropped);
	log_info("sim: central-system calls %llu, protocol violations %llu",
		 (unsigned long long)s->inbound_calls, (unsigned long long)s->violations);
	log_info("sim: transactions started %llu, completed %llu, %.3f kWh delivered",
		 (unsigned long long)s->sessions_started, (unsigned long long)s->sessions_done,
		 s->energy_wh / 1000.0);
	log_info("sim: true energy %.3f kWh, link outages %llu, failures %llu, labels %llu",
		 s->true_energy_wh / 1000.0, (unsigned long long)s->outages,
		 (unsigned long long)s->faults, (unsigned long long)s->labels);
	log_info("sim: app starts %llu, app failed %llu%s", (unsigned long long)s->app_starts,
		 (unsigned long long)s->app_failed,
		 w->sc->app_share > 0 && !w->opts->api_url ? " (no --api: app drivers tapped cards)"
							    : "");
	long peak_kb = peak_rss_kb();
	if (peak_kb > 0)
		log_info("sim: peak RSS %.1f MB, %.1f KB per charger", (double)peak_kb / 1024.0,
			 (double)peak_kb / n);
}

int sim_main(int argc, char **argv)
{
	sim_opts opts;
	int rc = parse_args(argc, argv, &opts);
	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fputs("sim: see `chargeops sim --help`\n", stderr);
		return 2;
	}
	sim_scenario *sc = xcalloc(1, sizeof(*sc));
	sim_scenario_default(sc);
	char err[256];
	if (opts.scenario && sim_scenario_load(sc, opts.scenario, err, sizeof(err)) < 0) {
		fprintf(stderr, "sim: %s\n", err);
		free(sc);
		return 2;
	}
	if (opts.chargers < 1)
		opts.chargers = sc->chargers;
	raise_fd_limit(opts.chargers);

	sim_world w = {.opts = &opts, .sc = sc};
	w.loop = wsclient_loop_new();
	if (!w.loop) {
		log_error("sim: cannot create the WebSocket client context");
		free(sc);
		return 1;
	}
	w.epoch0_ms = sc->start_ms > 0 ? sc->start_ms : clock_now_ms();
	w.mono0_ms = wsclient_now_ms();
	w.horizon_ms = w.epoch0_ms + (opts.duration_s > 0
					  ? (int64_t)((double)opts.duration_s * opts.speed * 1000.0)
					  : 365 * SIM_DAY_MS);
	sim_sched_init(&w);
	if (opts.labels) {
		w.labels = fopen(opts.labels, "a");
		if (!w.labels) {
			log_error("sim: cannot open %s: %s", opts.labels, strerror(errno));
			sim_sched_release(&w);
			wsclient_loop_free(w.loop);
			free(sc);
			return 1;
		}
	}

	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the poll wait ends at once */
	sigemptyset(&sa.sa_mask);
	got_signal = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	sim_charger **chargers = sim_world_build(&w, opts.chargers);
	log_info("sim: %d chargers in %d sites (scenario %s) -> %s (speed %gx, seed %llu)",
		 opts.chargers, w.n_sites, sc->name, opts.url, opts.speed,
		 (unsigned long long)opts.seed);
	int exit_code = 0;
	if (opts.api_url && sim_api_register(&w, chargers, opts.chargers) < 0) {
		exit_code = 1;
		goto out;
	}
	if (opts.api_url && sc->app_share > 0) {
		w.app = sim_app_new(&w);
		if (!w.app)
			log_warn("sim: no app backend: app drivers tap cards instead");
	}
	/* The simulated clock starts now, after any registration. */
	w.mono0_ms = wsclient_now_ms();

	starter st = {.w = &w, .chargers = chargers, .t0 = wsclient_now_ms()};
	st.timer = wsclient_timer_new(w.loop, starter_fire, &st);
	starter_fire(&st);

	int64_t t0 = wsclient_now_ms();
	int64_t end = opts.duration_s > 0 ? t0 + opts.duration_s * 1000 : INT64_MAX;
	while (!got_signal && wsclient_now_ms() < end) {
		if (wsclient_loop_run(w.loop, 100) < 0) {
			log_error("sim: event loop failed");
			break;
		}
	}
	bool by_signal = got_signal != 0;
	if (by_signal)
		log_info("sim: signal %d, stopping", (int)got_signal);

	w.stopping = true;
	wsclient_timer_stop(st.timer);
	stop_fleet(&w, chargers, opts.chargers, by_signal);
	sim_app_free(w.app);
	w.app = NULL;
	summary(&w, opts.chargers, wsclient_now_ms() - t0);
	wsclient_timer_free(st.timer);
	if (w.stats.connects == 0) {
		log_error("sim: no charger could connect to %s", opts.url);
		exit_code = 1;
	}

out:
	sim_world_release(&w, chargers, opts.chargers);
	wsclient_loop_free(w.loop);
	if (w.labels)
		fclose(w.labels);
	free(sc);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return exit_code;
}
