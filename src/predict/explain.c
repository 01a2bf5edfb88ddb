/*
 * explain.c - why a connector is at risk, in an operator's words. XGBoost's
 * SHAP contributions say how much each feature pushed the risk (in log-odds)
 * for this connector today; the features that pushed it up most are turned
 * into sentences from a table of templates, one per feature: "{c}" is the
 * connector ("connector 2"), "{v}" the feature's value with the row's
 * number of decimals (and scale, e.g. a ratio shown as a percentage).
 */
#include "predict/predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const struct template {
	const char *text;
	int decimals;
	double scale;
} templates[PF_COUNT] = {
    [PF_RISE_1D] = {"{c} ran {v} °C above the cabinet per 100 A today", 1, 1},
    [PF_RISE_7D] = {"{c} runs {v} °C above the cabinet per 100 A (7-day mean)", 1, 1},
    [PF_RISE_DELTA_14D] = {"{c} runs {v} °C hotter per 100 A than two weeks ago", 1, 1},
    [PF_RISE_VS_OWN] = {"{c} runs {v} °C per 100 A hotter than at its best", 1, 1},
    [PF_RISE_VS_MODEL] = {"{c} runs {v} °C per 100 A hotter than the model's typical connector", 1, 1},
    [PF_RISE_SLOPE_7D] = {"{c}'s heating per ampere grows by {v} °C per 100 A a day", 2, 1},
    [PF_TEMP_MAX_7D] = {"{c} reached {v} °C this week", 0, 1},
    [PF_RISE_FULL_7D] = {"{c} would run {v} °C above the cabinet at full current", 0, 1},
    [PF_RISE_FULL_IN_7D] = {"at its trend {c} would run {v} °C above the cabinet at full current in a week", 0, 1},
    [PF_CABINET_MARGIN_7D] = {"the cabinet ran within {v} °C of its 60 °C limit this week", 0, 1},
    [PF_POWER_RATIO_1D] = {"the charger delivered at best {v} % of its rated power today to EVs that asked for more", 0, 100},
    [PF_POWER_RATIO_7D] = {"the charger delivered at best {v} % of its rated power to EVs that asked for more", 0, 100},
    [PF_POWER_DELTA_14D] = {"the best power delivered changed by {v} points of rated power in two weeks", 0, 100},
    [PF_POWER_VS_OWN] = {"the charger delivers {v} % of the power it delivered at its best", 0, 100},
    [PF_OFFERED_RATIO_LAST] = {"the charger last offered at best {v} % of its model's power", 0, 100},
    [PF_OFFERED_SLOPE_14D] = {"the power the charger offers changes by {v} points of its model's power a day", 2, 100},
    [PF_OFFERED_IN_7D] = {"at its trend the charger would offer {v} % of its model's power in a week", 0, 100},
    [PF_OFFERED_RATIO_7D] = {"the charger offered at best {v} % of its model's power this week", 0, 100},
    [PF_OFFERED_DELTA_14D] = {"the power the charger offers changed by {v} points of its model's power in two weeks", 0, 100},
    [PF_OFFERED_VS_OWN] = {"the charger offers {v} % of the power it offered at its best", 0, 100},
    [PF_GROUND_7D] = {"{c} tripped on a ground fault {v} times this week", 0, 1},
    [PF_GROUND_28D] = {"{c} tripped on a ground fault {v} times in four weeks", 0, 1},
    [PF_GROUND_WARN_7D] = {"{c}'s insulation check warned of a ground fault {v} times this week", 0, 1},
    [PF_GROUND_WARN_28D] = {"{c}'s insulation check warned of a ground fault {v} times in four weeks", 0, 1},
    [PF_LEAK_SHARE_7D] = {"{c}'s insulation leaks {v} % of the level that trips", 0, 100},
    [PF_LEAK_DAYS_TO_ALARM] = {"at its trend {c}'s insulation reaches the trip level in {v} days", 0, 1},
    [PF_LEAK_VS_OWN] = {"{c}'s insulation leaks {v} times what it did before", 1, 1},
    [PF_OVERTEMP_7D] = {"{c} shut down for high temperature {v} times this week", 0, 1},
    [PF_EVCOMM_7D] = {"{c} failed to talk to the EV {v} times this week", 0, 1},
    [PF_EVCOMM_28D] = {"{c} failed to talk to the EV {v} times in four weeks", 0, 1},
    [PF_OTHER_ERR_7D] = {"{c} reported {v} other errors this week", 0, 1},
    [PF_FAULTED_7D] = {"{c} went Faulted {v} times this week", 0, 1},
    [PF_STARTS_7D] = {"{c} started {v} sessions this week", 0, 1},
    [PF_FIRST_ATTEMPT_7D] = {"only {v} % of start attempts on {c} charged this week", 0, 100},
    [PF_REBOOTS_7D] = {"the charger rebooted {v} times this week", 0, 1},
    [PF_DISCONNECTS_7D] = {"the charger lost its connection {v} times this week", 0, 1},
    [PF_GAP_CV_7D] = {"{c}'s meter values arrive irregularly (variation {v})", 2, 1},
    [PF_METER_ANOM_7D] = {"{v} meter readings on {c} did not add up this week", 0, 1},
    [PF_ENERGY_SINCE_REPAIR] = {"{c} delivered {v} kWh since its last repair or fault", 0, 1},
    [PF_HOURS_SINCE_REPAIR] = {"{c} charged for {v} hours since its last repair or fault", 0, 1},
    [PF_AGE_DAYS] = {"the charger has been in service {v} days", 0, 1},
    [PF_IS_DC] = {"it is a DC charger", 0, 1},
    [PF_FW_MINORITY] = {"it runs another firmware than most chargers of its model", 0, 1},
    [PF_SITE_FAULTS_28D] = {"other chargers at the site went Faulted {v} times in four weeks", 0, 1},
    [PF_ALERTS_7D] = {"diagnosis raised {v} alerts on {c} this week", 0, 1},
    [PF_ENERGY_7D] = {"{c} delivered {v} kWh this week", 0, 1},
};

void predict_explain_sentence(int id, double v, int connector, char *buf, size_t size)
{
	if (size == 0)
		return;
	buf[0] = '\0';
	if (id < 0 || id >= PF_COUNT)
		return;
	const struct template *t = &templates[id];
	char cs[32], vs[32];
	if (connector > 0)
		snprintf(cs, sizeof(cs), "connector %d", connector);
	else
		snprintf(cs, sizeof(cs), "the charger");
	if (isnan(v))
		snprintf(vs, sizeof(vs), "(not observed)");
	else
		snprintf(vs, sizeof(vs), "%.*f", t->decimals, v * t->scale);
	size_t o = 0;
	for (const char *p = t->text; *p && o + 1 < size;) {
		const char *rep = NULL;
		if (!strncmp(p, "{c}", 3))
			rep = cs;
		else if (!strncmp(p, "{v}", 3))
			rep = vs;
		if (rep) {
			size_t n = strlen(rep);
			if (n > size - 1 - o)
				n = size - 1 - o;
			memcpy(buf + o, rep, n);
			o += n;
			p += 3;
		} else {
			buf[o++] = *p++;
		}
	}
	buf[o] = '\0';
	/* A sentence starts with a capital. */
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
}

json_t *predict_explain(const predict_row *row, const float *contrib, int k)
{
	json_t *out = json_array();
	int used[PF_COUNT] = {0};
	for (int n = 0; n < k; n++) {
		int best = -1;
		for (int j = 0; j < PF_COUNT; j++)
			if (!used[j] && contrib[j] > 0 && (best < 0 || contrib[j] > contrib[best]))
				best = j;
		if (best < 0)
			break;
		used[best] = 1;
		char text[256];
		predict_explain_sentence(best, row->x[best], row->connector, text, sizeof(text));
		json_array_append_new(out, json_pack("{s:s, s:o, s:f, s:s}", "feature", predict_features[best].name,
						     "value", isnan(row->x[best]) ? json_null() : json_real(row->x[best]),
						     "contribution", (double)contrib[best], "text", text));
	}
	return out;
}
