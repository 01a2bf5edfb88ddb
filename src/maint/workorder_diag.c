/*
 * workorder_diag.c - fault diagnosis feeds work orders: the remediation ladder's
 * field-visit step opens a corrective order (or joins the one in work for the
 * alert's problem: same charger, connector and fault category), and every alert
 * opened or reopened on a charger is linked to that problem's order when there
 * is one (reopening it when it had been resolved).
 */
#include "diag/diag.h"
#include "maint/internal.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t open_visit(void *arg, const diag_alert_info *a, const char *priority, const char *why)
{
	maint *m = arg;
	char title[240];
	snprintf(title, sizeof(title), "Field visit: %s", a->title ? a->title : "alert");
	char *desc = xasprintf("%s\nRecommended: %s\n%s", a->diagnosis ? a->diagnosis : "", a->action ? a->action : "",
			       why ? why : "");
	wo_new n = {.charger = a->charger,
		    .connector = a->connector,
		    .kind = "corrective",
		    .category = a->category,
		    .priority = priority,
		    .title = title,
		    .description = desc,
		    .created_by = "diagnosis",
		    .alert_id = a->id,
		    .time = a->time};
	int attached;
	char err[160];
	int64_t id = maint_order_open(m, &n, &attached, err, sizeof(err));
	free(desc);
	return id;
}

static void alert_seen(void *arg, const diag_alert_info *a)
{
	maint_alert_attach(arg, a->charger, a->connector, a->category, a->id, a->title, a->time);
}

void maint_attach_diag(maint *m, diag *d)
{
	diag_work_orders w = {.open = open_visit, .alert = alert_seen, .arg = m};
	diag_set_work_orders(d, m ? &w : NULL);
}
