/*
 * taxonomy.c - what a fault means, as tables: the OCPP 1.6 ChargePointErrorCode
 * values, the conditions the detectors derive (named as in det_table), and a
 * short list of built-in vendorErrorCode conventions. Each row gives a
 * category, a severity, the probable causes (most likely first), the action an
 * operator should take (a remote action first where one can help) and the
 * parts a technician should bring. The built-in vendor rows are generic
 * conventions, not vendors' documentation: operators add or override mappings
 * through the API (table vendor_error_codes), and those rows win.
 */
#include "diag/taxonomy.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const categories[] = {
	"connector", "power", "metering", "communication", "authorisation", "ev", "grid", "safety", "firmware",
};

/* In rank order: the index is the rank. */
static const char *const severities[] = {"info", "warning", "major", "critical"};

/* ---- OCPP 1.6 ChargePointErrorCode (NoError has no entry) ---- */

static const diag_entry error_codes[] = {
	{"ConnectorLockFailure", "connector", "major",
	 "Lock actuator jammed or failed; plug not fully inserted or its latch damaged; dirt or ice in the socket; "
	 "lock motor wiring or position feedback fault",
	 "Unlock the connector remotely and ask the driver to re-insert the plug; soft reset if it recurs; then "
	 "field visit to clean the socket and replace the lock actuator",
	 "unlock", "Lock actuator (motor or solenoid); socket outlet"},
	{"EVCommunicationError", "ev", "warning",
	 "EV side not answering the pilot signal (EV fault, EV not ready or charge timer set); dirty or damaged "
	 "CP/PP contacts on the plug or the EV inlet; damaged cable (CP wire); on DC, a failed HomePlug/ISO 15118 "
	 "handshake; charger control-pilot circuit fault",
	 "Ask the driver to re-plug; if several different EVs fail, soft reset; then field visit to clean the "
	 "contacts and check CP/PP signalling and the cable",
	 "soft_reset", "Charging cable with connector"},
	{"GroundFailure", "safety", "critical",
	 "Residual-current device tripped: insulation fault in the charging cable or the EV; moisture or water in "
	 "the connector, socket or inlet; faulty RCD or residual-current monitor; wiring fault in the charger",
	 "Check whether the trips follow one EV (EV-side insulation fault) or stay with the charger; do not reset "
	 "it back into service repeatedly; if it trips again make the connector Inoperative and send an "
	 "electrician to test cable insulation and the RCD and look for water ingress",
	 "none", "RCD or residual-current monitor; charging cable with connector; seals"},
	{"HighTemperature", "connector", "major",
	 "Worn or contaminated connector contacts; loose power terminal in the connector or socket; plug not "
	 "fully inserted; hot ambient or direct sun with blocked ventilation or a failed fan; temperature sensor "
	 "fault",
	 "Soft reset once it has cooled down and limit the current meanwhile; if it recurs, field visit to "
	 "inspect the contacts, re-torque the terminals and check fans and filters",
	 "soft_reset", "Connector/cable assembly; temperature sensor; air filter"},
	{"InternalError", "firmware", "major",
	 "Firmware fault or crash; controller board hardware fault; corrupted configuration or storage",
	 "Soft reset; if it recurs within 24 h, hard reset; check the firmware version against the vendor's "
	 "release notes and update; then field visit",
	 "soft_reset", "Controller board"},
	{"LocalListConflict", "authorisation", "warning",
	 "Local authorisation list out of step with the central system (an idTag's status differs); local list "
	 "version mismatch after a reset or an interrupted SendLocalList",
	 "Send the full local list again (SendLocalList, Full) and clear the authorisation cache; no visit needed",
	 "none", ""},
	{"OtherError", "firmware", "warning",
	 "A vendor-specific condition: see vendorErrorCode and info; often a transient controller condition",
	 "Look up the vendorErrorCode (map it under /api/v1/diagnosis/vendor-codes); soft reset if the connector "
	 "is unusable; then field visit",
	 "soft_reset", ""},
	{"OverCurrentFailure", "power", "major",
	 "EV drawing more than the signalled current (onboard charger fault); short circuit or insulation "
	 "breakdown in the cable or connector; current measurement or pilot duty-cycle fault in the charger; "
	 "overcurrent protection tripped",
	 "Soft reset; if it follows one EV, tell the driver; if it repeats with different EVs, make the connector "
	 "Inoperative and field visit to check the cable, the protection and current sensing",
	 "soft_reset", "Charging cable with connector; circuit breaker; current sensor"},
	{"OverVoltage", "grid", "major",
	 "Supply voltage above the limit (grid, transformer tap, local PV export); lost or loose neutral on a "
	 "three-phase supply; charger voltage measurement fault",
	 "Usually clears when the supply returns to range; compare with the other chargers of the site; if it "
	 "persists or the site is affected, send an electrician to measure the supply and check the neutral",
	 "none", ""},
	{"PowerMeterFailure", "metering", "major",
	 "Energy meter not answering (RS-485/Modbus wiring, termination or address); meter failed or lost its "
	 "supply; meter settings changed by a firmware update",
	 "Soft reset; if it persists, hard reset; then field visit to check the meter bus wiring or replace the "
	 "meter; sessions meanwhile may not be billable",
	 "soft_reset", "Energy meter (type as installed); RS-485 cable"},
	{"PowerSwitchFailure", "power", "critical",
	 "Welded contactor (relay) contacts; contactor coil or its driver failed; contactor feedback (mirror "
	 "contact) wiring fault",
	 "No remote fix: make the connector Inoperative (ChangeAvailability) and send a technician to replace the "
	 "contactor; a welded contactor can leave the outlet live",
	 "none", "Contactor"},
	{"ReaderFailure", "authorisation", "major",
	 "RFID reader module failed or lost its connection to the controller; reader cable loose; reader "
	 "firmware hung after an update",
	 "Soft reset; if it persists, hard reset; meanwhile start sessions remotely or by app; then field visit "
	 "to replace the reader",
	 "soft_reset", "RFID reader module; reader cable"},
	{"ResetFailure", "firmware", "major",
	 "Firmware could not complete the reset (a process hung); an active transaction or hardware blocked it; "
	 "controller fault",
	 "Hard reset; if the charger does not come back, have it power-cycled at its breaker on site; then field "
	 "visit",
	 "hard_reset", "Controller board"},
	{"UnderVoltage", "grid", "major",
	 "Supply voltage low (grid sag, undersized or long supply cable, overloaded site); a lost phase or blown "
	 "upstream fuse; loose supply terminal; charger voltage measurement fault",
	 "Usually clears when the supply recovers; compare with the other chargers of the site; if it persists, "
	 "send an electrician to check fuses, terminals and the voltage under load",
	 "none", "Supply fuses"},
	{"WeakSignal", "communication", "warning",
	 "Poor cellular coverage; antenna loose, damaged or mounted inside the cabinet; SIM or data plan issue; "
	 "Wi-Fi access point too far away",
	 "Watch for disconnections; if they follow, field visit to check the antenna and its cable, fit an "
	 "external antenna or move the charger to a wired network",
	 "none", "External antenna with cable; SIM card"},
};

/* ---- Conditions the detectors derive (names as in det_table, detect.c) ---- */

static const diag_entry conditions[] = {
	{"offline", "communication", "major",
	 "Site power outage or tripped breaker; network outage (router, cellular, SIM); charger hung or crashed; "
	 "central system address or credentials changed on the charger",
	 "Check whether the site's other chargers are offline too (site outage); ask the site to check power and "
	 "the router; remote actions need the charger back online; then field visit",
	 "none", ""},
	{"site_outage", "communication", "critical",
	 "Site power outage or main breaker tripped; site router or internet uplink down; cellular outage in the "
	 "area",
	 "Contact the site host and check the grid operator's outage map; chargers usually reconnect on their "
	 "own when power and network return; one visit for the site, not one per charger",
	 "none", ""},
	{"flapping", "communication", "warning",
	 "Weak cellular signal or a loose antenna; unstable site router or Wi-Fi; network idle timeouts shorter "
	 "than the heartbeat or ping interval; short power interruptions",
	 "Check the signal strength and WeakSignal reports; shorten the heartbeat or WebSocket ping interval; "
	 "soft reset; then field visit to check the antenna or the router",
	 "soft_reset", "External antenna with cable; SIM card"},
	{"boot_loop", "firmware", "major",
	 "Faulty or incompatible firmware, usually right after an update; corrupted configuration; failing "
	 "power supply or controller board (brown-out reboots)",
	 "Roll back or re-push the firmware (UpdateFirmware) while it is briefly online; if it keeps rebooting, "
	 "field visit to reflash it locally or replace the controller",
	 "none", "Controller board; internal power supply unit"},
	{"firmware_failed", "firmware", "warning",
	 "Download location unreachable or wrong (expired link, TLS, firewall); image corrupt or not for this "
	 "model; not enough storage; installation refused (signature or version check)",
	 "Check the URL from the charger's network and that the image is for this model; retry UpdateFirmware; "
	 "if the installation keeps failing, vendor support or a local update on site",
	 "none", ""},
	{"diagnostics_failed", "firmware", "info",
	 "Upload location unreachable or wrong (credentials, firewall); slow or metered link timing out; log "
	 "file too large",
	 "Check the upload location and its credentials; retry GetDiagnostics with a shorter time window", "none",
	 ""},
	{"contact_wear", "connector", "major",
	 "Worn or pitted connector contacts; loose power terminal in the connector or socket; contamination or "
	 "corrosion on the contacts",
	 "Limit the connector's current meanwhile; field visit before it turns into a HighTemperature fault: "
	 "inspect the contacts, re-torque the terminals, replace the connector if worn",
	 "none", "Connector/cable assembly (or socket outlet)"},
	{"connector_overtemp", "connector", "critical",
	 "Worn contacts or a loose terminal; plug not fully inserted; high current in direct sun or hot ambient; "
	 "temperature sensor fault",
	 "Limit the current (charging profile) or stop the session remotely; if it recurs, field visit to "
	 "inspect the contacts and terminals",
	 "none", "Connector/cable assembly; temperature sensor"},
	{"cabinet_overtemp", "power", "major",
	 "Failed or blocked cooling fan; clogged air filter; hot ambient or direct sun on the cabinet; liquid "
	 "cooling fault (pump, coolant level) on high-power chargers",
	 "Compare with the site's other chargers (ambient); field visit to clean or replace filters and fans; "
	 "the charger derates until it is fixed",
	 "none", "Cooling fan; air filter"},
	{"power_derating", "power", "major",
	 "Degraded or failed power module; thermal derating (cooling fault, clogged filters); site load "
	 "management or grid limit capping power",
	 "Rule out the site's load-management limit and cabinet temperature; soft reset to re-initialise the "
	 "power modules; then field visit to test and replace the weak module",
	 "soft_reset", "Power module; air filter"},
	{"voltage_range", "grid", "warning",
	 "Supply voltage outside tolerance (grid, transformer tap, PV export); voltage drop under load on an "
	 "undersized supply cable; lost or loose neutral; charger voltage measurement fault",
	 "Compare with the site's other chargers; report to the site electrician or the grid operator; field "
	 "visit to measure the supply under load",
	 "none", ""},
	{"phase_imbalance", "grid", "warning",
	 "One phase limited by a failing contactor pole or a loose terminal; upstream fuse or supply fault on one "
	 "phase; EV onboard charger with a failing phase; current measurement fault",
	 "Check whether it follows one EV or stays with the charger; field visit to check terminals, fuses and "
	 "contactor poles under load",
	 "none", "Contactor; supply fuses"},
	{"power_mismatch", "metering", "warning",
	 "Current sensor fault or wiring (a phase's current paired with another phase's voltage); wrong meter "
	 "scaling or CT ratio; firmware reporting power in the wrong unit or multiplier",
	 "Check the meter settings and the units the firmware sends; soft reset; then field visit to check the "
	 "meter wiring or replace the meter",
	 "soft_reset", "Energy meter"},
	{"meter_stuck", "metering", "major",
	 "Energy meter failed or its register frozen; meter link lost and the charger repeating the last value; "
	 "firmware reading the wrong register",
	 "Soft reset to re-initialise the meter link; if the register still does not move, field visit to "
	 "replace the meter; sessions meanwhile are not billable",
	 "soft_reset", "Energy meter"},
	{"signed_meter_invalid", "metering", "major",
	 "Meter key not registered or registered wrong; meter replaced without updating its key; a record altered "
	 "on its way (firmware, gateway); meter reporting an error or an incomplete session",
	 "Check the charger's meter_public_key against the meter's label; compare the record with the transparency "
	 "software; the session is not billable under calibration law until it verifies; field visit if the meter "
	 "reports errors",
	 "none", "Energy meter"},
	{"meter_decreasing", "metering", "major",
	 "Meter replaced or reset without carrying the register over; firmware reading the wrong register or "
	 "overflowing; meter link glitch returning a stale or partial value",
	 "Check for a meter exchange or firmware update at that time; correct the affected sessions; if it "
	 "repeats, field visit to check or replace the meter",
	 "none", "Energy meter"},
	{"meter_jump", "metering", "major",
	 "Wrong scaling (kWh sent as Wh or the reverse); meter replaced or reconfigured; meter link glitch "
	 "returning a corrupt value",
	 "Check for a meter exchange, configuration change or firmware update at that time; correct the affected "
	 "sessions; if it repeats, field visit to check or replace the meter",
	 "none", "Energy meter"},
	{"ground_fault_recurring", "safety", "critical",
	 "Insulation fault in the charging cable or connector; water ingress in the connector, socket or "
	 "cabinet; faulty RCD or residual-current monitor; one EV with an insulation fault",
	 "Make the connector Inoperative and send an electrician: insulation test of cable and connector, RCD "
	 "test, look for water ingress; do not put it back into service remotely",
	 "none", "Charging cable with connector; RCD or residual-current monitor; seals"},
	{"reader_silent", "authorisation", "major",
	 "RFID reader dead or disconnected; reader firmware hung; reader or its antenna damaged (vandalism)",
	 "Soft reset; if it persists, hard reset; meanwhile start sessions remotely or by app; then field visit "
	 "to replace the reader",
	 "soft_reset", "RFID reader module; reader cable"},
	{"auth_rejections", "authorisation", "warning",
	 "Reader misreading card UIDs (byte order, truncated UID); stale local list or authorisation cache on the "
	 "charger; charger configured for another id tag format",
	 "Clear the authorisation cache and send the local list again; soft reset; then field visit to test the "
	 "reader with a known card",
	 "soft_reset", "RFID reader module"},
	{"failed_start", "ev", "major",
	 "EV not taking charge (EV fault, battery full, charge timer set); CP/PP pilot signalling fault (dirty "
	 "contacts, damaged cable); contactor not closing",
	 "Check whether the failures follow one EV or several; soft reset; then field visit to check the cable, "
	 "pilot signalling and the contactor",
	 "soft_reset", "Charging cable with connector; contactor"},
	{"start_success_low", "ev", "warning",
	 "EV compatibility issues (pilot signalling, DC handshake); authorisation friction (reader, app); "
	 "degrading cable or connector contacts",
	 "See which step fails (authorisation, plug-in, energy); soft reset; update the firmware if the vendor "
	 "fixed EV compatibility; then field visit",
	 "soft_reset", "Charging cable with connector"},
	{"stuck_transaction", "firmware", "warning",
	 "StopTransaction lost (offline queue dropped at a reboot); firmware hung in the session state machine; "
	 "EV left plugged in for a long time (long-running case)",
	 "Ask for MeterValues (TriggerMessage) and check the connector's status; RemoteStopTransaction, soft "
	 "reset if it does not answer; close the transaction through the API so billing is not blocked",
	 "soft_reset", ""},
	{"stuck_status", "connector", "warning",
	 "Preparing: plugged in but never authorised, or a tethered cable detected as plugged in its holder; "
	 "Finishing: EV or cable left plugged in after the session; plug detection (PP) or lock fault",
	 "Unlock the connector remotely; soft reset if the status does not change; then field visit to check "
	 "plug detection and the lock",
	 "unlock", "Lock actuator"},
	{"unavailable_unrequested", "firmware", "major",
	 "Charger took itself out of service after an internal fault or self-test; availability changed locally "
	 "(display, service tool); a ChangeAvailability from before a reboot still applied",
	 "Send ChangeAvailability Operative; soft reset if it does not come back; then field visit", "soft_reset",
	 ""},
	{"session_faults", "power", "major",
	 "Power electronics or contactor tripping under load; supply interruptions (PowerLoss) or an upstream "
	 "breaker tripping; emergency stop pressed or faulty; EV aborting the session",
	 "Look at the stop reasons and whether they follow one EV; soft reset; then field visit to check the "
	 "contactor, the protection and the emergency-stop circuit",
	 "soft_reset", "Contactor; emergency stop button"},
	{"telemetry_drift", "connector", "warning",
	 "Contact resistance rising (early wear or a loosening terminal); sensor drift; changed conditions "
	 "(season, a different mix of EVs)",
	 "Watch the trend; inspect the connector and re-torque its terminals at the next visit", "none",
	 "Connector/cable assembly"},
	/* The two detectors below carry the charger's own error code and are described
	 * by it; these rows are the fallback for an error code the taxonomy lacks. */
	{"faulted", "firmware", "major",
	 "A fault the charger reports with an error code outside this taxonomy: see vendorErrorCode and info",
	 "Soft reset; if it recurs within 24 h, hard reset; then field visit", "soft_reset", ""},
	{"error_reported", "firmware", "warning",
	 "A warning the charger reports while still usable: see the error code, vendorErrorCode and info",
	 "Watch whether it recurs; soft reset if the connector becomes unusable", "none", ""},
};

/* ---- Built-in vendorErrorCode conventions ----
 * Generic conventions for codes some chargers of these vendors send as
 * vendorErrorCode; built-in, not vendor documentation: operators override
 * them (or add their own) through the API, and their rows win. */

struct vendor_row {
	const char *vendor; /* compared case-insensitively */
	const char *model;  /* "" = every model */
	diag_entry e;
};

static const struct vendor_row vendor_codes[] = {
	{"ABB", "",
	 {"IsolationFault", "safety", "critical",
	  "DC insulation monitor tripped: insulation fault in the DC cable or connector, moisture in the "
	  "connector, EV-side insulation fault",
	  "Check whether it follows one EV; make the connector Inoperative if it repeats and send an electrician "
	  "for an insulation test",
	  "none", "DC charging cable with connector"}},
	{"ABB", "",
	 {"PowerModuleFault", "power", "major", "Power module failed or overheated; cooling fault; module communication lost",
	  "Soft reset; if the module stays down, field visit to replace it", "soft_reset", "Power module; air filter"}},
	{"Keba", "",
	 {"RDC-DD", "safety", "critical",
	  "DC residual current (6 mA) detected: EV onboard charger fault, insulation fault, moisture",
	  "Check whether it follows one EV; if it stays with the charger, send an electrician to test the "
	  "residual-current detection and the cable",
	  "none", "Residual-current detection module; charging cable with connector"}},
	{"Keba", "",
	 {"CP-Error", "ev", "warning",
	  "Control pilot signal out of range: dirty or damaged plug contacts, damaged cable, EV side fault",
	  "Ask the driver to re-plug; soft reset if different EVs fail; then field visit to check the cable",
	  "soft_reset", "Charging cable with connector"}},
	{"Mennekes", "",
	 {"RCMU", "safety", "critical",
	  "Residual-current monitor tripped: insulation fault in the cable or EV, moisture in the socket",
	  "Check whether it follows one EV; make the connector Inoperative if it repeats and send an electrician",
	  "none", "Residual-current monitor; socket outlet"}},
	{"Mennekes", "",
	 {"LockActuator", "connector", "major", "Socket lock actuator jammed or failed; plug not fully inserted",
	  "Unlock remotely and ask the driver to re-insert the plug; then field visit to replace the actuator",
	  "unlock", "Lock actuator"}},
	{"Alfen", "",
	 {"SocketLock", "connector", "major", "Socket lock actuator jammed or failed; dirt or ice in the socket",
	  "Unlock remotely; soft reset if it recurs; then field visit to clean the socket or replace the actuator",
	  "unlock", "Lock actuator"}},
	{"Alfen", "",
	 {"MeterTimeout", "metering", "major", "Energy meter not answering on its bus: wiring, termination, meter supply",
	  "Soft reset; if it persists, field visit to check the meter wiring or replace the meter", "soft_reset",
	  "Energy meter; RS-485 cable"}},
	{"Wallbox", "",
	 {"PowerBoostNoComm", "metering", "warning",
	  "Load-management meter not answering: wiring to the external meter, meter supply, wrong meter address",
	  "Charging continues without dynamic load management; field visit to check the external meter and its "
	  "wiring",
	  "none", "External load-management meter; RS-485 cable"}},
	{"Wallbox", "",
	 {"WifiDisconnected", "communication", "warning", "Wi-Fi access point out of range or its password changed",
	  "Ask the site to check the Wi-Fi; field visit to reconfigure or move to a wired or cellular link", "none",
	  ""}},
};

/* ---- lookups ---- */

static const diag_entry *find(const diag_entry *t, size_t n, const char *code)
{
	if (!code)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].code, code) == 0)
			return &t[i];
	return NULL;
}

/* Returns a pointer into the static table (never freed), or NULL. */
const diag_entry *taxonomy_error_code(const char *code)
{
	return find(error_codes, COUNT(error_codes), code);
}

/* Returns a pointer into the static table (never freed), or NULL. */
const diag_entry *taxonomy_condition(const char *detector)
{
	return find(conditions, COUNT(conditions), detector);
}

int taxonomy_severity_rank(const char *severity)
{
	if (!severity)
		return -1;
	for (size_t i = 0; i < COUNT(severities); i++)
		if (strcmp(severities[i], severity) == 0)
			return (int)i;
	return -1;
}

int taxonomy_category_valid(const char *category)
{
	if (!category)
		return 0;
	for (size_t i = 0; i < COUNT(categories); i++)
		if (strcmp(categories[i], category) == 0)
			return 1;
	return 0;
}

/* ---- vendor codes ---- */

/* Where taxonomy_vendor_code() copies an operator's row: valid until the next call
 * on the same thread. Sizes cover what the API accepts (see api/diagnosis.c). */
static _Thread_local struct {
	char code[64];
	char category[32];
	char severity[16];
	char causes[1024];
	char action[1024];
	char remote_action[16];
	char parts[512];
} tl_buf;

/* Copies src (NULL = "") into dst, cut at a UTF-8 character boundary if too long. */
static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	assert(size > 0);
	size_t n = src ? strlen((const char *)src) : 0;
	if (n >= size) {
		n = size - 1;
		while (n > 0 && (src[n] & 0xC0) == 0x80) /* src[n] continues a character: drop it */
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The operators' row for (vendor, model, code): the model's own row before the
 * '' row. Returns 1 and fills *out from tl_buf, 0 if none (or on a query error:
 * the built-ins still answer). */
static int lookup_db(sqlite3 *db, const char *vendor, const char *model, const char *code, diag_entry *out)
{
	static const char sql[] =
		"SELECT code, category, severity, causes, action, remote_action, parts FROM vendor_error_codes"
		" WHERE vendor = ?1 COLLATE NOCASE AND code = ?3 AND (model = ?2 COLLATE NOCASE OR model = '')"
		" ORDER BY model = '' LIMIT 1";
	sqlite3_stmt *st = NULL;
	int found = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	copy_text(tl_buf.code, sizeof(tl_buf.code), sqlite3_column_text(st, 0));
	copy_text(tl_buf.category, sizeof(tl_buf.category), sqlite3_column_text(st, 1));
	copy_text(tl_buf.severity, sizeof(tl_buf.severity), sqlite3_column_text(st, 2));
	copy_text(tl_buf.causes, sizeof(tl_buf.causes), sqlite3_column_text(st, 3));
	copy_text(tl_buf.action, sizeof(tl_buf.action), sqlite3_column_text(st, 4));
	copy_text(tl_buf.remote_action, sizeof(tl_buf.remote_action), sqlite3_column_text(st, 5));
	copy_text(tl_buf.parts, sizeof(tl_buf.parts), sqlite3_column_text(st, 6));
	if (!tl_buf.remote_action[0])
		copy_text(tl_buf.remote_action, sizeof(tl_buf.remote_action), (const unsigned char *)"none");
	*out = (diag_entry){tl_buf.code,   tl_buf.category,      tl_buf.severity, tl_buf.causes,
			    tl_buf.action, tl_buf.remote_action, tl_buf.parts};
	found = 1;
out:
	sqlite3_finalize(st);
	return found;
}

/* db may be NULL (built-ins only). Does not keep any pointer it is given; *out's
 * strings live in thread-local storage or the static table. */
int taxonomy_vendor_code(sqlite3 *db, const char *vendor, const char *model, const char *code,
			 diag_entry *out)
{
	if (!vendor || !*vendor || !code || !*code || !out)
		return 0;
	if (!model)
		model = "";
	if (db && lookup_db(db, vendor, model, code, out))
		return 1;
	const struct vendor_row *any = NULL;
	for (size_t i = 0; i < COUNT(vendor_codes); i++) {
		const struct vendor_row *r = &vendor_codes[i];
		if (strcasecmp(r->vendor, vendor) != 0 || strcmp(r->e.code, code) != 0)
			continue;
		if (r->model[0] && strcasecmp(r->model, model) == 0) {
			*out = r->e; /* the model's own row wins */
			return 1;
		}
		if (!r->model[0] && !any)
			any = r;
	}
	if (!any)
		return 0;
	*out = any->e;
	return 1;
}

/* ---- JSON ---- */

/* A new object for e, with extra keys from the caller added afterwards. */
static json_t *entry_json(const diag_entry *e)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "code", e->code, "category", e->category, "severity",
			 e->severity, "causes", e->causes ? e->causes : "", "action", e->action ? e->action : "",
			 "remote_action", e->remote_action ? e->remote_action : "none", "parts",
			 e->parts ? e->parts : "");
}

/* Appends the operators' rows to arr (borrowed). A query error leaves arr as it is. */
static void operator_rows(sqlite3 *db, json_t *arr)
{
	static const char sql[] = "SELECT vendor, model, code, category, severity, causes, action, remote_action,"
				  " parts FROM vendor_error_codes ORDER BY vendor, model, code";
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *col[9];
		for (int i = 0; i < 9; i++) {
			col[i] = (const char *)sqlite3_column_text(st, i);
			if (!col[i])
				col[i] = "";
		}
		diag_entry e = {col[2], col[3], col[4], col[5], col[6], col[7][0] ? col[7] : "none", col[8]};
		json_t *o = entry_json(&e);
		if (!o) /* text that is not UTF-8: leave the row out rather than fail the lot */
			continue;
		json_object_set_new(o, "vendor", json_string(col[0]));
		json_object_set_new(o, "model", json_string(col[1]));
		json_object_set_new(o, "source", json_string("operator"));
		json_array_append_new(arr, o);
	}
out:
	sqlite3_finalize(st);
}

/* Returns a new reference owned by the caller; db may be NULL (built-ins only). */
json_t *taxonomy_json(sqlite3 *db)
{
	json_t *codes = json_array(), *conds = json_array(), *vendors = json_array();
	for (size_t i = 0; i < COUNT(error_codes); i++)
		json_array_append_new(codes, entry_json(&error_codes[i]));
	for (size_t i = 0; i < COUNT(conditions); i++)
		json_array_append_new(conds, entry_json(&conditions[i]));
	for (size_t i = 0; i < COUNT(vendor_codes); i++) {
		json_t *o = entry_json(&vendor_codes[i].e);
		json_object_set_new(o, "vendor", json_string(vendor_codes[i].vendor));
		json_object_set_new(o, "model", json_string(vendor_codes[i].model));
		json_object_set_new(o, "source", json_string("built_in"));
		json_array_append_new(vendors, o);
	}
	if (db)
		operator_rows(db, vendors);
	json_t *cats = json_array(), *sevs = json_array();
	for (size_t i = 0; i < COUNT(categories); i++)
		json_array_append_new(cats, json_string(categories[i]));
	for (size_t i = 0; i < COUNT(severities); i++)
		json_array_append_new(sevs, json_string(severities[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "categories", cats, "severities", sevs, "error_codes", codes,
			 "conditions", conds, "vendor_codes", vendors);
}
