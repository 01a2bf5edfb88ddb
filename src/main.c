/*
 * main.c - the chargeops command: serve, token, sim, version.
 */
#include "api/api.h"
#include "csms/csms.h"
#include "csms/metrics.h"
#include "diag/diag.h"
#include "diag/webhook.h"
#include "maint/maint.h"
#include "ledger/ledger.h"
#include "net/server.h"
#include "predict/service.h"
#include "store/store.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHARGEOPS_VERSION "0.1.0"

int sim_main(int argc, char **argv);
int diag_eval_main(int argc, char **argv);
int predict_main(int argc, char **argv);

static net_server *running;

static void on_signal(int sig)
{
	(void)sig;
	/* net_server_stop() only stores to an atomic and writes to lws' wake-up pipe,
	 * both async-signal-safe. */
	if (running)
		net_server_stop(running); /* NOLINT(bugprone-signal-handler) */
}

static void store_committed_wake(void *arg)
{
	net_server *srv = *(net_server **)arg;
	if (srv)
		net_server_wake(srv);
}

/* Prediction's work orders go through maintenance (arg), one in work per
 * connector's prediction; a repeated prediction links to it. */
static int64_t predictive_order(void *arg, const predict_order *o)
{
	char problem[160], err[256];
	snprintf(problem, sizeof(problem), "predictive/%s/%d", o->charger, o->connector);
	wo_new n = {.charger = o->charger, .connector = o->connector, .kind = "predictive", .category = o->category,
		    .priority = o->priority, .title = o->title, .description = o->description,
		    .created_by = "prediction", .problem = problem};
	int attached = 0;
	int64_t id = maint_order_open(arg, &n, &attached, err, sizeof(err));
	if (id <= 0)
		log_warn("prediction: no work order for %s/%d: %s", o->charger, o->connector, err);
	return id;
}

/* Starts failure prediction when a model is configured. 0, or 1 with a message printed. */
static int start_prediction(const config *cfg, store *st, maint *mt, api *a, predict_service **ps)
{
	unsigned hh, mm;
	char err[512];
	if (!cfg->prediction_model[0])
		return 0;
	if (sscanf(cfg->prediction_time, "%2u:%2u", &hh, &mm) != 2 || hh > 23 || mm > 59) {
		fprintf(stderr, "chargeops: prediction_time: HH:MM\n");
		return 1;
	}
	predict_service_config pc = {.data_dir = cfg->data_dir,
				     .model_path = cfg->prediction_model,
				     .horizon_days = cfg->prediction_horizon_days,
				     .risk_percent = cfg->prediction_risk_percent,
				     .daily_minute = (int)(hh * 60 + mm),
				     .visits_per_day = cfg->prediction_visits_per_day};
	if (predict_service_new(&pc, st, ps, err, sizeof(err))) {
		fprintf(stderr, "chargeops: prediction: %s\n", err);
		return 1;
	}
	if (mt)
		predict_service_set_orders(*ps, predictive_order, mt);
	api_set_predict(a, *ps);
	log_info("prediction: on (model %s, daily at %s)", cfg->prediction_model, cfg->prediction_time);
	return 0;
}

static uint64_t committed(void *ctx)
{
	return store_committed(csms_store(ctx));
}

static void usage_serve(FILE *f)
{
	fprintf(f,
		"usage: chargeops serve [--listen HOST:PORT] [--data DIR] [--config FILE]\n"
		"                       [--accept-unknown] [--tls-cert FILE --tls-key FILE]\n"
		"                       [--SETTING VALUE ...]\n"
		"Runs the central system: OCPP 1.6J at ws://HOST:PORT/ocpp/{chargePointId},\n"
		"the REST API at /api/v1, /healthz and /metrics. Every setting of the config\n"
		"file (docs/config.md) can be given as a flag, e.g. --heartbeat-interval 60.\n");
}

/* Turns "--heartbeat-interval" into "heartbeat_interval" in buf. */
static const char *flag_key(const char *flag, char *buf, size_t size)
{
	snprintf(buf, size, "%s", flag + 2);
	for (char *p = buf; *p; p++)
		if (*p == '-')
			*p = '_';
	return buf;
}

/* Writes path's absolute form to out if it is a directory; 0, or -1 if not. */
static int real_dir(const char *path, char *out, size_t size)
{
	char abs[PATH_MAX];
	struct stat st;
	if (!realpath(path, abs) || stat(abs, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	snprintf(out, size, "%s", abs);
	return 0;
}

/*
 * The console's directory: the setting when given, else web/ next to the
 * directory of the executable (build/chargeops -> web/), else ./web. Writes an
 * absolute path to out; -1 if none exists.
 */
static int find_web_root(const char *setting, char *out, size_t size)
{
	if (setting && *setting)
		return real_dir(setting, out, size);
	char exe[PATH_MAX], cand[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash) {
		*slash = '\0';
		snprintf(cand, sizeof(cand), "%s/../web", exe);
		if (real_dir(cand, out, size) == 0)
			return 0;
	}
	return real_dir("web", out, size);
}

static int cmd_serve(int argc, char **argv)
{
	config cfg;
	config_defaults(&cfg);
	char err[512];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			if (config_load_file(&cfg, argv[i + 1], err, sizeof(err))) {
				fprintf(stderr, "chargeops: %s\n", err);
				return 2;
			}
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char key[64];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage_serve(stdout);
			return 0;
		}
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(a, "--accept-unknown")) {
			cfg.accept_unknown = 1;
			continue;
		}
		if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
			usage_serve(stderr);
			return 2;
		}
		if (config_set(&cfg, flag_key(a, key, sizeof(key)), argv[++i], err, sizeof(err))) {
			fprintf(stderr, "chargeops: %s\n", err);
			return 2;
		}
	}
	enum log_level lvl;
	if (log_parse_level(cfg.log_level, &lvl)) {
		fprintf(stderr, "chargeops: log_level: debug, info, warn or error\n");
		return 2;
	}
	log_set_level(lvl);
	if (strcmp(cfg.event_loop, "libuv") != 0 && strcmp(cfg.event_loop, "poll") != 0) {
		fprintf(stderr, "chargeops: event_loop: libuv or poll\n");
		return 2;
	}
	if (strcmp(cfg.clock, "wall") != 0 && strcmp(cfg.clock, "charger") != 0) {
		fprintf(stderr, "chargeops: clock: wall or charger\n");
		return 2;
	}
	if ((cfg.tls_cert[0] != 0) != (cfg.tls_key[0] != 0)) {
		fprintf(stderr, "chargeops: --tls-cert and --tls-key go together\n");
		return 2;
	}

	/* One descriptor per charger: use all the process may have. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			log_warn("cannot raise the open-file limit to %llu", (unsigned long long)rl.rlim_max);
	}

	store *st = NULL;
	csms *cs = NULL;
	api *a = NULL;
	webhook *wh = NULL;
	diag *dg = NULL;
	maint *mt = NULL;
	ledger *lg = NULL;
	predict_service *ps = NULL;
	net_server *srv = NULL;
	static net_server *srv_for_wake;
	int rc = 1;
	if (store_open(cfg.data_dir, &st, err, sizeof(err))) {
		fprintf(stderr, "chargeops: store: %s\n", err);
		goto out;
	}
	if (csms_new(&cfg, st, &cs, err, sizeof(err))) {
		fprintf(stderr, "chargeops: %s\n", err);
		goto out;
	}
	if (cfg.ledger) {
		ledger_opts lo = {.dir = cfg.data_dir, .origin = cfg.ledger_origin,
				  .checkpoint_interval = cfg.ledger_checkpoint_interval, .st = st};
		if (ledger_open(&lo, &lg, err, sizeof(err))) {
			fprintf(stderr, "chargeops: ledger: %s\n", err);
			goto out;
		}
		csms_set_ledger(cs, lg);
	}
	a = api_new(cs, st);
	if (cfg.diagnosis) {
		webhook_config wc = {.urls = cfg.webhook_urls,
				     .secret = cfg.webhook_secret,
				     .max_attempts = cfg.webhook_max_attempts,
				     .backoff_base_ms = 1000,
				     .backoff_max_ms = 3600 * 1000,
				     .timeout_ms = 10000};
		if (cfg.webhook_urls[0] && webhook_new(cfg.data_dir, &wc, &wh, err, sizeof(err))) {
			fprintf(stderr, "chargeops: webhooks: %s\n", err);
			goto out;
		}
		if (diag_new(cs, st, &cfg, wh, &dg, err, sizeof(err))) {
			fprintf(stderr, "chargeops: diagnosis: %s\n", err);
			goto out;
		}
		api_set_diag(a, dg);
		log_info("diagnosis: on%s%s", cfg.remediation ? ", remediation on" : "",
			 cfg.webhook_urls[0] ? ", webhooks on" : "");
	}
	if (maint_new(cs, st, &cfg, &mt, err, sizeof(err))) {
		fprintf(stderr, "chargeops: maintenance: %s\n", err);
		goto out;
	}
	api_set_maint(a, mt);
	if (dg)
		maint_attach_diag(mt, dg);
	if (start_prediction(&cfg, st, mt, a, &ps))
		goto out;
	char web[PATH_MAX];
	if (find_web_root(cfg.web_root, web, sizeof(web)) == 0) {
		api_set_web_root(a, web);
		log_info("console: serving %s", web);
	} else {
		log_info("console: no web directory (setting web_root); the API works without it");
	}
	net_server_opts o = {
		.listen = cfg.listen,
		.tls_cert = cfg.tls_cert,
		.tls_key = cfg.tls_key,
		.max_message = (size_t)cfg.max_frame_bytes,
		.libuv = strcmp(cfg.event_loop, "libuv") == 0,
		.ws = &csms_ws_handlers,
		.http = &api_http_handlers,
		.ctx = NULL,
		.committed = committed,
		.tick = csms_tick,
		.http_tick = api_tick,
	};
	o.ctx = cs;
	o.http_ctx = a;
	if (net_server_new(&o, &srv, err, sizeof(err))) {
		fprintf(stderr, "chargeops: %s\n", err);
		goto out;
	}
	srv_for_wake = srv;
	store_set_notify(st, store_committed_wake, &srv_for_wake);
	running = srv;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	log_info("chargeops %s: listening on %s%s (port %d), data in %s", CHARGEOPS_VERSION, cfg.listen,
		 cfg.tls_cert[0] ? " with TLS" : "", net_server_port(srv), cfg.data_dir);
	printf("chargeops: listening on port %d\n", net_server_port(srv));
	fflush(stdout);
	rc = net_server_run(srv) ? 1 : 0;
	log_info("chargeops: shutting down");
out:
	running = NULL;
	if (cs) /* closing connections below must not feed watchers that are going away */
		csms_set_event_sink(cs, NULL);
	net_server_free(srv);
	srv_for_wake = NULL;
	if (a) {
		api_set_predict(a, NULL);
		api_set_diag(a, NULL);
		api_set_maint(a, NULL);
	}
	if (dg)
		diag_set_work_orders(dg, NULL);
	maint_free(mt);
	predict_service_free(ps);
	diag_free(dg);
	webhook_free(wh);
	api_free(a);
	if (cs)
		csms_set_ledger(cs, NULL);
	ledger_close(lg); /* before the store: it may wait for the store's last commits */
	csms_free(cs);
	store_close(st);
	metrics_reset();
	return rc;
}

static int cmd_token(int argc, char **argv)
{
	const char *data = "./data", *role = NULL, *name = NULL;
	long long technician = 0;
	if (argc < 2 || strcmp(argv[1], "create") != 0)
		goto usage;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--data"))
			data = argv[i + 1];
		else if (!strcmp(argv[i], "--role"))
			role = argv[i + 1];
		else if (!strcmp(argv[i], "--name"))
			name = argv[i + 1];
		else if (!strcmp(argv[i], "--technician"))
			technician = strtoll(argv[i + 1], NULL, 10);
		else
			goto usage;
	}
	if (!role || !name || (argc - 2) % 2)
		goto usage;
	store *st;
	char err[256], token[65];
	log_set_level(LOG_WARN);
	if (store_open(data, &st, err, sizeof(err))) {
		fprintf(stderr, "chargeops: store: %s\n", err);
		return 1;
	}
	int rc = api_token_create_for(st, role, name, technician, token, err, sizeof(err));
	store_close(st);
	if (rc) {
		fprintf(stderr, "chargeops: %s\n", err);
		return 1;
	}
	printf("%s\n", token);
	return 0;
usage:
	fprintf(stderr, "usage: chargeops token create --data DIR --role admin|operator|viewer|technician --name NAME"
			" [--technician ID]\n");
	return 2;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"serve", cmd_serve, "run the central system (OCPP server, REST API)"},
	{"token", cmd_token, "create operator API tokens"},
	{"sim", sim_main, "simulate charge points against a central system"},
	{"diag-eval", diag_eval_main, "score alerts against the simulator's fault labels"},
	{"ledger", ledger_main, "verify receipts, audit the ledger, benchmark it"},
	{"predict", predict_main, "predictive maintenance: train, score, evaluate failure models"},
};

int main(int argc, char **argv)
{
	if (argc >= 2) {
		if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
			printf("chargeops %s\n", CHARGEOPS_VERSION);
			return 0;
		}
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[1], commands[i].name))
				return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: chargeops COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(stderr, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(stderr, "  %-8s %s\n", "version", "print the version");
	return 2;
}
