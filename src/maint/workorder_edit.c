/*
 * workorder_edit.c - changes to an order in work that are not transitions: its
 * fields (validated all together, then applied at once), checklist items with
 * their readings, and parts used. A technician may change only their own
 * orders, and only the fields of the work itself (notes, labour, references,
 * cause classes), never priority, title or where the problem is.
 */
#include "maint/internal.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const check_states[] = {"pending", "done", "failed", "n/a"};

/* A JSON array of {name, url} objects (attachments) or of integers (frames), as text. */
static int ref_list(const json_t *v, int frames, char **out, char *err, size_t errlen)
{
	if (!json_is_array(v) || json_array_size(v) > 100) {
		snprintf(err, errlen, "%s: an array of at most 100 %s", frames ? "frames" : "attachments",
			 frames ? "frame ids" : "{name, url} objects");
		return MAINT_EINVAL;
	}
	size_t i;
	json_t *x;
	json_array_foreach(v, i, x)
	{
		int ok = frames ? json_is_integer(x) && json_integer_value(x) > 0
				: json_is_object(x) && json_is_string(json_object_get(x, "url")) &&
					  json_string_length(json_object_get(x, "url")) <= 2000 &&
					  (!json_object_get(x, "name") || json_is_string(json_object_get(x, "name")));
		if (!ok) {
			snprintf(err, errlen, "%s[%zu]: %s", frames ? "frames" : "attachments", i,
				 frames ? "a frame id" : "an object with url (and name)");
			return MAINT_EINVAL;
		}
	}
	free(*out);
	*out = json_dumps(v, JSON_COMPACT);
	return 0;
}

/* Sets a text field (NULL clears when allowed). */
static int text_field(const json_t *v, const char *name, size_t max, int nullable, char **out, char *err,
		      size_t errlen)
{
	if (json_is_null(v) && nullable) {
		free(*out);
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) > max || (!nullable && !json_string_length(v))) {
		snprintf(err, errlen, "%s: a string of at most %zu characters", name, max);
		return MAINT_EINVAL;
	}
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int fixed_field(const json_t *v, const char *name, char *buf, size_t size, const char *const *allowed,
		       size_t nallowed, char *err, size_t errlen)
{
	if (json_is_null(v)) {
		buf[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    (allowed && !wo_in_list(json_string_value(v), allowed, nallowed))) {
		snprintf(err, errlen, "%s: not an allowed value", name);
		return MAINT_EINVAL;
	}
	snprintf(buf, size, "%s", json_string_value(v));
	return 0;
}

int maint_order_patch(maint *m, int64_t id, const json_t *patch, unsigned who, int64_t technician,
		      const char *actor, char *err, size_t errlen)
{
	static const char *const operator_only[] = {"priority", "title", "description", "category", "connector_id"};
	static const char *const fields[] = {"priority", "title",    "description", "category", "connector_id",
					     "notes",    "labour_minutes", "attachments", "frames", "cause_class",
					     "outage_cause"};
	wo_order *o;
	int rc = wo_scoped(m, id, who, technician, &o, err, errlen);
	if (rc)
		return rc;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v)
	{
		if (!IN_LIST(k, fields)) {
			snprintf(err, errlen, "%s: unknown or read-only field", k);
			return MAINT_EINVAL;
		}
		if ((who & WHO_TECHNICIAN) && IN_LIST(k, operator_only)) {
			snprintf(err, errlen, "%s: only an operator may change it", k);
			return MAINT_EFORBIDDEN;
		}
	}
	/* Validate on a copy of the scalar fields, then commit them together. */
	wo_order c = *o;
	char *title = o->title ? xstrdup(o->title) : NULL, *desc = o->description ? xstrdup(o->description) : NULL;
	char *notes = o->notes ? xstrdup(o->notes) : NULL, *att = o->attachments ? xstrdup(o->attachments) : NULL;
	char *frames = o->frames ? xstrdup(o->frames) : NULL;
	rc = 0;
	json_object_foreach((json_t *)patch, k, v)
	{
		if (rc)
			break;
		if (!strcmp(k, "priority")) {
			const char *p = wo_priority_canonical(json_string_value(v));
			if (!p) {
				snprintf(err, errlen, "priority: critical, high, medium or low (or p1..p4)");
				rc = MAINT_EINVAL;
			} else {
				snprintf(c.priority, sizeof(c.priority), "%s", p);
				sla_deadlines(m, p, o->created_at, &c.response_due, &c.resolution_due);
			}
		} else if (!strcmp(k, "title"))
			rc = text_field(v, k, 200, 0, &title, err, errlen);
		else if (!strcmp(k, "description"))
			rc = text_field(v, k, 4000, 1, &desc, err, errlen);
		else if (!strcmp(k, "notes"))
			rc = text_field(v, k, 8000, 1, &notes, err, errlen);
		else if (!strcmp(k, "category"))
			rc = fixed_field(v, k, c.category, sizeof(c.category), NULL, 0, err, errlen);
		else if (!strcmp(k, "cause_class"))
			rc = fixed_field(v, k, c.cause_class, sizeof(c.cause_class), NULL, 0, err, errlen);
		else if (!strcmp(k, "outage_cause"))
			rc = fixed_field(v, k, c.outage_cause, sizeof(c.outage_cause), wo_outage_causes,
					 WO_OUTAGE_CAUSES, err, errlen);
		else if (!strcmp(k, "connector_id")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 99) {
				snprintf(err, errlen, "connector_id: 0..99");
				rc = MAINT_EINVAL;
			} else
				c.connector = (int)json_integer_value(v);
		} else if (!strcmp(k, "labour_minutes")) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100000) {
				snprintf(err, errlen, "labour_minutes: an integer in 0..100000");
				rc = MAINT_EINVAL;
			} else
				c.labour_min = json_integer_value(v);
		} else if (!strcmp(k, "attachments"))
			rc = ref_list(v, 0, &att, err, errlen);
		else if (!strcmp(k, "frames"))
			rc = ref_list(v, 1, &frames, err, errlen);
	}
	if (rc) {
		free(title);
		free(desc);
		free(notes);
		free(att);
		free(frames);
		return rc;
	}
	free(o->title);
	free(o->description);
	free(o->notes);
	free(o->attachments);
	free(o->frames);
	c.title = title;
	c.description = desc;
	c.notes = notes;
	c.attachments = att;
	c.frames = frames;
	c.updated_at = maint_now(m, o->charger);
	*o = c;
	wo_save(m, o);
	(void)actor;
	return 0;
}

int maint_order_check(maint *m, int64_t id, int item, const char *state, const char *reading, const char *note,
		      unsigned who, int64_t technician, const char *actor, char *err, size_t errlen)
{
	wo_order *o;
	int rc = wo_scoped(m, id, who, technician, &o, err, errlen);
	if (rc)
		return rc;
	if (item < 1 || item > o->nchecks) {
		snprintf(err, errlen, "no checklist item %d (the order has %d)", item, o->nchecks);
		return MAINT_ENOENT;
	}
	if (state && !IN_LIST(state, check_states)) {
		snprintf(err, errlen, "state: pending, done, failed or n/a");
		return MAINT_EINVAL;
	}
	if ((reading && strlen(reading) > 200) || (note && strlen(note) > 1000)) {
		snprintf(err, errlen, "reading: at most 200 characters; note: at most 1000");
		return MAINT_EINVAL;
	}
	if (o->state == WO_RESOLVED || o->state == WO_VERIFIED) {
		snprintf(err, errlen, "the order is %s; reopen it to change its checklist", wo_state_name(o->state));
		return MAINT_ESTATE;
	}
	wo_check *c = &o->checks[item - 1];
	if (state)
		snprintf(c->state, sizeof(c->state), "%s", state);
	if (reading) {
		free(c->reading);
		c->reading = xstrdup(reading);
	}
	if (note) {
		free(c->note);
		c->note = xstrdup(note);
	}
	int64_t t = maint_now(m, o->charger);
	wo_check_save(m, o, item - 1, t, actor);
	return 0;
}

int maint_order_part(maint *m, int64_t id, const char *part, double quantity, double unit_cost, unsigned who,
		     int64_t technician, const char *actor, char *err, size_t errlen)
{
	wo_order *o;
	int rc = wo_scoped(m, id, who, technician, &o, err, errlen);
	if (rc)
		return rc;
	if (!part || !*part || strlen(part) > 200 || !(quantity > 0) || quantity > 1e6 || !(unit_cost >= 0) ||
	    unit_cost > 1e9) {
		snprintf(err, errlen, "part (text), quantity (> 0) and unit_cost (>= 0) are required");
		return MAINT_EINVAL;
	}
	store_write(m->st, ST_WO_PART, "isddis", o->id, part, quantity, unit_cost, maint_now(m, o->charger), actor);
	return 0;
}
