/*
 * sim_app.c - the drivers' app backend. A share of drivers (the scenario's
 * drivers.app_share) start charging from an app instead of with a card:
 * they plug in, and the app's backend asks the central system, through its
 * REST API, to send RemoteStartTransaction to the charger. The simulator
 * plays that backend with --api: requests go to one worker thread that
 * makes the HTTP calls (sim_api.c), so the single event loop never waits
 * for them; the outcome comes back through a queue that a short wall-clock
 * timer on the loop thread empties while requests are outstanding.
 *
 * Ownership across the threads: a request is owned by whichever queue
 * holds it, then by the thread that took it out; the worker touches only
 * the request's own copies of the charger id and tag, never the charger.
 * Answers reach the session (sim_session_app_answered) on the loop thread.
 * A driver gives up after ConnectionTimeOut simulated seconds whatever the
 * backend does; a request still queued by then is not sent.
 *
 * Tests (a sim_sink with app_start) replace the backend: the request goes
 * to the hook at once, and the test delivers RemoteStartTransaction and the
 * answer itself, so runs stay exactly reproducible.
 */
#include "sim/sim_internal.h"

#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define POLL_MS 10    /* wall: how often the loop looks for finished requests */
#define MAX_WAIT_S 30 /* wall: longest the central system may take for one start */

typedef struct app_req {
	struct app_req *next;
	sim_charger *ch; /* borrowed; only the loop thread uses it */
	int connector_id;
	uint32_t ticket; /* the session's, to recognise a stale answer */
	char charger_id[48];
	char id_tag[SIM_ID_TAG_MAX + 1];
	int timeout_s;	 /* wall seconds the central system may take */
	int64_t give_up; /* clock_mono_ms() at which the driver has left */
	int rc;		 /* sim_api_remote_start()'s result */
	char why[96];
} app_req;

typedef struct req_list {
	app_req *head, *tail;
} req_list;

struct sim_app {
	sim_world *w;
	pthread_t thread;
	pthread_mutex_t lock; /* guards todo, done and quit */
	pthread_cond_t wake;
	req_list todo; /* loop -> worker */
	req_list done; /* worker -> loop */
	bool quit;
	int stop_fd;		/* eventfd, written at shutdown: ends the worker's waits */
	sim_api_client *client; /* the worker's */
	wsclient_timer *poll;	/* loop thread */
	int outstanding;	/* loop thread: submitted and not handed back yet */
	bool warned;		/* a failure has been logged */
};

/* The list takes r. */
static void list_push(req_list *l, app_req *r)
{
	r->next = NULL;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

/* The caller owns the request it gets back (NULL if the list is empty). */
static app_req *list_pop(req_list *l)
{
	app_req *r = l->head;
	if (r) {
		l->head = r->next;
		if (!l->head)
			l->tail = NULL;
	}
	return r;
}

static void list_free(req_list *l)
{
	app_req *r;
	while ((r = list_pop(l)))
		free(r);
}

static void *worker(void *arg)
{
	sim_app *a = arg;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->quit && !a->todo.head)
			pthread_cond_wait(&a->wake, &a->lock);
		if (a->quit)
			break;
		app_req *r = list_pop(&a->todo);
		pthread_mutex_unlock(&a->lock);
		if (clock_mono_ms() >= r->give_up) {
			r->rc = SIM_API_ETIMEDOUT;
			snprintf(r->why, sizeof(r->why), "not sent: the driver had left");
		} else {
			r->rc = sim_api_remote_start(a->client, r->charger_id, r->connector_id,
						     r->id_tag, r->timeout_s, r->why, sizeof(r->why));
		}
		pthread_mutex_lock(&a->lock);
		list_push(&a->done, r);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Loop thread: hands finished requests back to their sessions. */
static void poll_fire(void *arg)
{
	sim_app *a = arg;
	pthread_mutex_lock(&a->lock);
	req_list done = a->done;
	a->done.head = a->done.tail = NULL;
	pthread_mutex_unlock(&a->lock);
	app_req *r;
	while ((r = list_pop(&done))) {
		a->outstanding--;
		if (r->rc != 0) {
			if (!a->warned)
				log_warn("sim: app start on %s connector %d failed: %s (further "
					 "failures are counted as app_failed)",
					 r->charger_id, r->connector_id, r->why);
			a->warned = true;
			sim_note(r->ch, "connector %d: app start failed: %s", r->connector_id,
				 r->why);
		}
		sim_session_app_answered(r->ch, r->connector_id, r->ticket, r->rc == 0);
		free(r);
	}
	if (a->outstanding > 0)
		wsclient_timer_start(a->poll, POLL_MS);
}

/* w is borrowed and must outlive the backend; needs w->loop and --api. The
 * caller owns the result (sim_app_free); NULL if no thread could start. */
sim_app *sim_app_new(sim_world *w)
{
	const sim_opts *o = w->opts;
	sim_app *a = xcalloc(1, sizeof(*a));
	a->w = w;
	a->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (a->stop_fd < 0) {
		log_error("sim: app backend: eventfd: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	a->client = sim_api_client_new(o->api_url, o->token, a->stop_fd);
	int rc = pthread_create(&a->thread, NULL, worker, a);
	if (rc != 0) {
		log_error("sim: app backend: cannot start its thread: %s", strerror(rc));
		sim_api_client_free(a->client);
		pthread_cond_destroy(&a->wake);
		pthread_mutex_destroy(&a->lock);
		goto fail;
	}
	a->poll = wsclient_timer_new(w->loop, poll_fire, a);
	return a;
fail:
	if (a->stop_fd >= 0)
		close(a->stop_fd);
	free(a);
	return NULL;
}

/* Stops the worker at once (an HTTP call under way is abandoned) and frees
 * everything; answers not handed back yet are dropped. NULL is a no-op. */
void sim_app_free(sim_app *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->quit = true;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	uint64_t one = 1;
	ssize_t n = write(a->stop_fd, &one, sizeof(one));
	(void)n; /* an eventfd write of 1 cannot fail short of overflow */
	pthread_join(a->thread, NULL);
	list_free(&a->todo);
	list_free(&a->done);
	wsclient_timer_free(a->poll);
	sim_api_client_free(a->client);
	close(a->stop_fd);
	pthread_cond_destroy(&a->wake);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

bool sim_app_available(const sim_world *w)
{
	return w->app || (w->sink && w->sink->app_start);
}

void sim_app_request(sim_connector *c, int64_t patience_ms)
{
	sim_charger *ch = c->ch;
	sim_world *w = ch->w;
	if (!w->app) {
		w->sink->app_start(ch, c->id, c->id_tag, c->app_ticket, w->sink->arg);
		return;
	}
	sim_app *a = w->app;
	app_req *r = xcalloc(1, sizeof(*r));
	r->ch = ch;
	r->connector_id = c->id;
	r->ticket = c->app_ticket;
	snprintf(r->charger_id, sizeof(r->charger_id), "%s", ch->id);
	snprintf(r->id_tag, sizeof(r->id_tag), "%s", c->id_tag);
	double wall_s = (double)patience_ms / 1000.0 / w->opts->speed;
	r->timeout_s = (int)fmin(fmax(ceil(wall_s), 1), MAX_WAIT_S);
	r->give_up = clock_mono_ms() + (int64_t)(wall_s * 1000.0);
	pthread_mutex_lock(&a->lock);
	list_push(&a->todo, r);
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	a->outstanding++;
	if (!wsclient_timer_armed(a->poll))
		wsclient_timer_start(a->poll, POLL_MS);
}
