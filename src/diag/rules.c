/*
 * rules.c - the detectors as data: one row each (name, title, what it looks at,
 * when its alert may resolve, parameters with defaults and documentation), and
 * the operator's overrides from the file named by the setting diagnosis_rules.
 * docs/diagnosis.md and GET /api/v1/diagnosis/rules show this table; detect.c
 * holds what each detector does.
 */
#include "diag/internal.h"

#include <stdio.h>
#include <string.h>

#define H 3600.0
#define DAY 86400.0

const det_row det_table[DET__COUNT] = {
    [DET_OFFLINE] = {"offline", "Charger offline",
		     "The connection has been down longer than grace_s (reset_grace_s when the drop "
		     "follows a Reset ChargeOps sent within reset_grace_s: the reboot asked for). Shorter "
		     "drops are only counted (see flapping). Checked at every tick and, for outages a tick "
		     "missed, at reconnection.",
		     600, {{"grace_s", 360, "seconds offline before the alert"},
			   {"reset_grace_s", 900, "seconds a charger may take to come back after our Reset"}}},
    [DET_SITE_OUTAGE] = {"site_outage", "Site outage",
			 "At least min_chargers chargers and share of a site's chargers go offline within "
			 "window_s: one incident for the site, their offline alerts grouped under it.",
			 600, {{"min_chargers", 3, "chargers offline together"}, {"share", 0.5, "of the site's chargers"},
			       {"window_s", 900, "seconds between the first and the last drop"}}},
    [DET_FLAPPING] = {"flapping", "Connection flapping",
		      "drops disconnections within window_s (not during a boot loop).", 6 * H,
		      {{"drops", 3, "disconnections"}, {"window_s", 7200, "seconds"}}},
    [DET_BOOT_LOOP] = {"boot_loop", "Reboot loop",
		       "boots consecutive boots each followed by a disconnection within max_uptime_s, "
		       "starting within firmware_window_s of a firmware change (an install finished or the "
		       "version in BootNotification changed), or boots_any in a row whatever the firmware. "
		       "Chargers that send BootNotification on every reconnection make a flapping link "
		       "look like short-lived boots; without a new firmware a short run is flapping.", 6 * H,
		       {{"boots", 3, "consecutive short-lived boots after a firmware change"},
			{"max_uptime_s", 300, "seconds"},
			{"firmware_window_s", DAY, "seconds after a firmware change"},
			{"boots_any", 10, "consecutive short-lived boots, any firmware"}}},
    [DET_FAULTED] = {"faulted", "Connector faulted",
		     "Status Faulted with an error code other than NoError for debounce_s. The transient "
		     "Faulted/NoError some chargers report while booting is ignored.",
		     1800, {{"debounce_s", 30, "seconds Faulted before the alert"}}},
    [DET_ERROR_REPORTED] = {"error_reported", "Error reported",
			    "A status other than Faulted carrying an error code (e.g. connector 0 "
			    "Available/ReaderFailure): a warning from the charger itself.",
			    1800, {{0}}},
    [DET_CONTACT_WEAR] = {"contact_wear", "Connector contact wear",
			  "Connector temperature rise per square ampere in a session (samples from settle_s to "
			  "settle_s + window_s at min_current_a or more, rise over the session's first "
			  "temperature; the short window keeps the day's ambient drift out of it) above ratio "
			  "times the lower of the connector's own baseline (first sessions) and its model's fleet, "
			  "in sessions sessions in a row.",
			  2 * DAY,
			  {{"ratio", 3.0, "rise per A^2 against the baseline"}, {"min_current_a", 10, "A per phase"},
			   {"settle_s", 1500, "seconds into the session"}, {"min_samples", 4, "qualifying samples"},
			   {"window_s", 1800, "seconds of samples after settle_s"},
			   {"sessions", 2, "sessions in a row over the ratio"}}},
    [DET_CONNECTOR_OVERTEMP] = {"connector_overtemp", "Connector over temperature",
				"Connector temperature at or above limit_c; clears below clear_c.", 2 * H,
				{{"limit_c", 80, "Celsius"}, {"clear_c", 70, "Celsius"}}},
    [DET_CABINET_OVERTEMP] = {"cabinet_overtemp", "Cabinet over temperature",
			      "Cabinet (Body) temperature at or above limit_c; clears below clear_c.", 2 * H,
			      {{"limit_c", 60, "Celsius"}, {"clear_c", 50, "Celsius"}}},
    [DET_POWER_DERATING] = {"power_derating", "DC power below rating",
			    "A DC charger's best power at SoC <= max_soc over its last sessions (at least "
			    "sessions) below ratio times the best of its own history and its model's fleet.",
			    2 * DAY,
			    {{"ratio", 0.92, "of the reference power"}, {"max_soc", 50, "percent"},
			     {"sessions", 5, "recent sessions compared"}}},
    [DET_VOLTAGE_RANGE] = {"voltage_range", "Supply voltage out of range",
			   "AC phase voltage outside nominal_v +/- tolerance for samples consecutive samples.",
			   6 * H,
			   {{"nominal_v", 230, "V"}, {"tolerance", 0.1, "fraction"}, {"samples", 3, "consecutive"}}},
    [DET_PHASE_IMBALANCE] = {"phase_imbalance", "Phase current imbalance",
			     "Among phases drawing current, (max-min)/max above ratio for samples consecutive "
			     "samples with the highest phase at min_current_a or more.",
			     6 * H,
			     {{"ratio", 0.3, "fraction"}, {"min_current_a", 6, "A"}, {"samples", 5, "consecutive"}}},
    [DET_POWER_MISMATCH] = {"power_mismatch", "Power does not match V x I",
			    "Reported active power and voltage x current differ by more than tolerance for "
			    "samples consecutive samples above min_power_w.",
			    6 * H,
			    {{"tolerance", 0.2, "fraction"}, {"min_power_w", 1000, "W"}, {"samples", 5, "consecutive"}}},
    [DET_METER_STUCK] = {"meter_stuck", "Energy register stuck",
			 "The energy register does not move while the reported power adds up to min_wh, or a "
			 "transaction ends with meterStop = meterStart after such power.",
			 3 * DAY, {{"min_wh", 500, "Wh delivered by power while the register stood still"}}},
    [DET_METER_DECREASING] = {"meter_decreasing", "Energy register decreasing",
			      "A register sample, or meterStop, below the previous value by more than tolerance_wh.",
			      3 * DAY, {{"tolerance_wh", 1, "Wh"}}},
    [DET_METER_JUMP] = {"meter_jump", "Energy register jump",
			"The register rises by more than factor x (power x time) + slack_wh between samples.",
			3 * DAY, {{"factor", 3, "times the energy the power explains"}, {"slack_wh", 2000, "Wh"}}},
    [DET_GROUND_FAULT_RECURRING] = {"ground_fault_recurring", "Recurring ground fault",
				    "trips Faulted/GroundFailure trips on one connector within window_s.", 2 * DAY,
				    {{"trips", 2, "trips"}, {"window_s", 7 * DAY, "seconds"}}},
    [DET_READER_SILENT] = {"reader_silent", "RFID reader not reading",
			   "plugins consecutive plug-ins end without any authorisation (no Authorize, no start) "
			   "on the charger.",
			   DAY, {{"plugins", 3, "consecutive plug-ins"}}},
    [DET_AUTH_REJECTIONS] = {"auth_rejections", "Authorisations rejected on one charger",
			     "Of the last attempts authorisations on the charger, share or more rejected as unknown "
			     "tags, while the fleet's unknown share stays below fleet_share.",
			     DAY, {{"attempts", 8, "answers"}, {"share", 0.5, "fraction"}, {"fleet_share", 0.2, "fraction"}}},
    [DET_FAILED_START] = {"failed_start", "Charging sessions fail to start",
			  "failures failed starts within window_s: a plug-in that ends Faulted, or a transaction "
			  "without energy flowing within timeout_s.",
			  DAY, {{"failures", 2, "failed starts"}, {"window_s", 3 * DAY, "seconds"}, {"timeout_s", 600, "seconds"}}},
    [DET_START_SUCCESS_LOW] = {"start_success_low", "First-attempt success rate low",
			       "Of the last plugins plug-ins, fewer than rate charged (not raised while a more "
			       "specific reader or start alert is open).",
			       DAY, {{"plugins", 12, "plug-ins"}, {"rate", 0.5, "fraction"}}},
    [DET_STUCK_TRANSACTION] = {"stuck_transaction", "Transaction stuck",
			       "An online charger's transaction without meter values for silence_s while its "
			       "connector says Charging, or running longer than max_s. Not judged while the "
			       "charger's newest timestamped message came more than max_lag_s after its timestamp "
			       "(a backlog: its present is not known yet).",
			       H, {{"silence_s", 7200, "seconds"}, {"max_s", 2 * DAY, "seconds"},
				   {"max_lag_s", 600, "seconds of delivery lag that pause the judgement"}}},
    [DET_STUCK_STATUS] = {"stuck_status", "Connector stuck in a status",
			  "Preparing longer than preparing_s, or Finishing longer than finishing_s. Not "
			  "judged while the charger's newest timestamped message came more than max_lag_s "
			  "after its timestamp: behind a backlog, an Authorize answer waits in the charger's "
			  "queue and the connector waits in Preparing for the link, not for a repair.", H,
			  {{"preparing_s", 3600, "seconds"}, {"finishing_s", DAY, "seconds"},
			   {"max_lag_s", 600, "seconds of delivery lag that pause the judgement"}}},
    [DET_UNAVAILABLE_UNREQUESTED] = {"unavailable_unrequested", "Unavailable without a request",
				     "Unavailable for debounce_s without an operator's ChangeAvailability.", H,
				     {{"debounce_s", 300, "seconds"}}},
    [DET_SESSION_FAULTS] = {"session_faults", "Sessions ending in faults",
			    "stops transactions on a connector stopped with reason EmergencyStop, PowerLoss or "
			    "Other within window_s (not while a faulted or ground fault alert explains them).",
			    DAY, {{"stops", 3, "stops"}, {"window_s", 7 * DAY, "seconds"}}},
    [DET_FIRMWARE_FAILED] = {"firmware_failed", "Firmware update failed",
			     "FirmwareStatusNotification DownloadFailed or InstallationFailed.", DAY, {{0}}},
    [DET_DIAGNOSTICS_FAILED] = {"diagnostics_failed", "Diagnostics upload failed",
				"DiagnosticsStatusNotification UploadFailed.", DAY, {{0}}},
    [DET_TELEMETRY_DRIFT] = {"telemetry_drift", "Telemetry drift",
			     "One-sided CUSUM on the log of each session's temperature rise per square ampere "
			     "against the connector's own baseline: slack k and threshold h in baseline standard "
			     "deviations, after min_sessions baseline sessions.",
			     2 * DAY, {{"k", 0.5, "slack (sigmas)"}, {"h", 5, "threshold (sigmas)"}, {"min_sessions", 5, "sessions"}}},
    [DET_SIGNED_METER] = {"signed_meter_invalid", "Signed meter values do not verify",
			  "A finished transaction's OCMF signed meter values fail the signature check against the "
			  "charger's meter key, or the transparency checks (one begin and one end reading, begin <= end, "
			  "meter status G, no error flags), or the charger has no meter key registered.",
			  7 * DAY, {{0}}},
};

void det_defaults(diag *d)
{
	for (int i = 0; i < DET__COUNT; i++) {
		d->prm[i].enabled = 1;
		d->prm[i].resolve_s = det_table[i].resolve_s;
		for (int k = 0; k < DET_MAX_PARAMS; k++)
			d->prm[i].v[k] = det_table[i].p[k].def;
	}
	d->flap_window_s = 6 * H;
}

/* Reads {"offline": {"grace_s": 600}, "flapping": {"enabled": false}, "flap_window_s": N}. */
int det_load_rules(diag *d, const char *path, char *err, size_t errlen)
{
	if (!path || !*path)
		return 0;
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	int rc = -1;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, root ? "not a JSON object" : je.text);
		goto out;
	}
	const char *name;
	json_t *v;
	json_object_foreach(root, name, v)
	{
		if (strcmp(name, "flap_window_s") == 0 && json_is_number(v)) {
			d->flap_window_s = json_number_value(v);
			continue;
		}
		int det = -1;
		for (int i = 0; i < DET__COUNT; i++)
			if (strcmp(det_table[i].name, name) == 0)
				det = i;
		if (det < 0 || !json_is_object(v)) {
			snprintf(err, errlen, "%s: %s: not a detector (see GET /api/v1/diagnosis/rules)", path, name);
			goto out;
		}
		const char *key;
		json_t *pv;
		json_object_foreach(v, key, pv)
		{
			int k = -1;
			for (int j = 0; j < DET_MAX_PARAMS && det_table[det].p[j].key; j++)
				if (strcmp(det_table[det].p[j].key, key) == 0)
					k = j;
			if (strcmp(key, "enabled") == 0 && json_is_boolean(pv))
				d->prm[det].enabled = json_is_true(pv);
			else if (strcmp(key, "resolve_s") == 0 && json_is_number(pv))
				d->prm[det].resolve_s = json_number_value(pv);
			else if (k >= 0 && json_is_number(pv))
				d->prm[det].v[k] = json_number_value(pv);
			else {
				snprintf(err, errlen, "%s: %s.%s: unknown parameter or not a number", path, name, key);
				goto out;
			}
		}
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}
