/*
 * schema.c - every schema change, in order. Never edit a migration that has
 * shipped: add a new one. Times are integer milliseconds since the Unix epoch
 * (UTC); meter values keep the charger's original text next to the normalised
 * number.
 */
#include "store/schema.h"

static const char *const migrations[] = {
	/* 1: the core central system */
	"CREATE TABLE sites("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', address TEXT, latitude REAL, longitude REAL,"
	"  grid_limit_kw REAL, opening_hours TEXT, timezone TEXT, created_at INTEGER NOT NULL);"
	"CREATE TABLE chargers("
	"  id TEXT PRIMARY KEY, password_hash TEXT, registration TEXT NOT NULL DEFAULT 'accepted',"
	"  site_id TEXT, description TEXT, vendor TEXT, model TEXT, serial_number TEXT,"
	"  charge_box_serial_number TEXT, firmware_version TEXT, iccid TEXT, imsi TEXT, meter_type TEXT,"
	"  meter_serial_number TEXT, firmware_status TEXT, diagnostics_status TEXT,"
	"  online INTEGER NOT NULL DEFAULT 0, last_seen INTEGER, last_boot INTEGER, created_at INTEGER NOT NULL);"
	"CREATE INDEX chargers_site ON chargers(site_id);"
	"CREATE TABLE connectors("
	"  charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, status TEXT, error_code TEXT, info TEXT,"
	"  vendor_id TEXT, vendor_error_code TEXT, status_time INTEGER, updated_at INTEGER,"
	"  PRIMARY KEY(charger_id, connector_id)) WITHOUT ROWID;"
	"CREATE TABLE status_history("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, status TEXT NOT NULL,"
	"  error_code TEXT, info TEXT, vendor_id TEXT, vendor_error_code TEXT, charger_time INTEGER,"
	"  received_at INTEGER NOT NULL);"
	"CREATE INDEX status_history_charger ON status_history(charger_id, received_at);"
	"CREATE TABLE connectivity("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, time INTEGER NOT NULL, online INTEGER NOT NULL,"
	"  reason TEXT);"
	"CREATE INDEX connectivity_charger ON connectivity(charger_id, time);"
	"CREATE TABLE id_tags("
	"  id_tag TEXT PRIMARY KEY, status TEXT NOT NULL, expiry_date INTEGER, parent_id_tag TEXT,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE transactions("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, id_tag TEXT NOT NULL,"
	"  reservation_id INTEGER, start_time INTEGER NOT NULL, start_raw TEXT, meter_start INTEGER NOT NULL,"
	"  stop_time INTEGER, meter_stop INTEGER, energy_wh INTEGER, stop_reason TEXT, stop_id_tag TEXT,"
	"  status TEXT NOT NULL, closed_by TEXT, close_reason TEXT, flags TEXT, register_energy_wh INTEGER,"
	"  created_at INTEGER NOT NULL);"
	"CREATE INDEX transactions_charger ON transactions(charger_id, start_time);"
	"CREATE INDEX transactions_start ON transactions(start_time);"
	"CREATE INDEX transactions_active ON transactions(status) WHERE status = 'active';"
	"CREATE TABLE meter_values("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, transaction_id INTEGER,"
	"  time INTEGER NOT NULL, received_at INTEGER NOT NULL, measurand TEXT NOT NULL, phase TEXT,"
	"  location TEXT, context TEXT, format TEXT, unit TEXT, value REAL, raw_value TEXT NOT NULL,"
	"  raw_unit TEXT);"
	"CREATE INDEX meter_values_charger ON meter_values(charger_id, time);"
	"CREATE INDEX meter_values_txn ON meter_values(transaction_id) WHERE transaction_id IS NOT NULL;"
	"CREATE TABLE events("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,"
	"  status TEXT, detail TEXT);"
	"CREATE INDEX events_charger ON events(charger_id, time);"
	"CREATE TABLE frames("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, time INTEGER NOT NULL, direction TEXT NOT NULL,"
	"  message_type INTEGER, unique_id TEXT, action TEXT, payload TEXT NOT NULL);"
	"CREATE INDEX frames_charger ON frames(charger_id, time);"
	"CREATE INDEX frames_time ON frames(time);"
	"CREATE TABLE anomalies("
	"  id INTEGER PRIMARY KEY, charger_id TEXT, time INTEGER NOT NULL, kind TEXT NOT NULL, detail TEXT,"
	"  unique_id TEXT);"
	"CREATE INDEX anomalies_charger ON anomalies(charger_id, time);"
	"CREATE TABLE tokens("
	"  hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL);",

	/* 2: fewer, cheaper rows per message. A meterValue (one timestamp, all its
	 * sampled values) is one row whose samples are a JSON array of objects with
	 * measurand, phase, location, context, format, unit (normalised), value
	 * (normalised), raw_value and raw_unit; location, context and format may be left
	 * out for their OCPP defaults and null members may be left out. meter_values stays
	 * readable as a view with one row per sampled value. Frames lose their time
	 * index: retention deletes by id, which grows with time. */
	"CREATE TABLE meter_readings("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, transaction_id INTEGER,"
	"  time INTEGER NOT NULL, received_at INTEGER NOT NULL, samples TEXT NOT NULL);"
	"INSERT INTO meter_readings(charger_id, connector_id, transaction_id, time, received_at, samples)"
	"  SELECT charger_id, connector_id, transaction_id, time, received_at,"
	"    json_group_array(json_object('measurand', measurand, 'phase', phase, 'location', location,"
	"      'context', context, 'format', format, 'unit', unit, 'value', value, 'raw_value', raw_value,"
	"      'raw_unit', raw_unit))"
	"  FROM (SELECT * FROM meter_values ORDER BY id)"
	"  GROUP BY charger_id, connector_id, transaction_id, time, received_at ORDER BY min(id);"
	"DROP TABLE meter_values;"
	"CREATE INDEX meter_readings_charger ON meter_readings(charger_id, time);"
	"CREATE INDEX meter_readings_txn ON meter_readings(transaction_id) WHERE transaction_id IS NOT NULL;"
	"CREATE VIEW meter_values AS SELECT r.id AS reading_id, j.key AS sample, r.charger_id, r.connector_id,"
	"  r.transaction_id, r.time, r.received_at, j.value ->> 'measurand' AS measurand,"
	"  j.value ->> 'phase' AS phase, coalesce(j.value ->> 'location', 'Outlet') AS location,"
	"  coalesce(j.value ->> 'context', 'Sample.Periodic') AS context,"
	"  coalesce(j.value ->> 'format', 'Raw') AS format, j.value ->> 'unit' AS unit, j.value ->> 'value' AS value,"
	"  j.value ->> 'raw_value' AS raw_value, j.value ->> 'raw_unit' AS raw_unit"
	"  FROM meter_readings r, json_each(r.samples) j;"
	"DROP INDEX frames_time;",

	/* 3: fault diagnosis. Alerts (one row per detected condition, updated as it
	 * repeats, is acknowledged and resolves), the remote actions taken on them,
	 * work orders for field visits, operators' vendor error code mappings and the
	 * webhook outbox. */
	"CREATE TABLE alerts("
	"  id INTEGER PRIMARY KEY, charger_id TEXT, connector_id INTEGER NOT NULL DEFAULT 0, site_id TEXT,"
	"  detector TEXT NOT NULL, code TEXT, category TEXT NOT NULL, severity TEXT NOT NULL,"
	"  status TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	"  count INTEGER NOT NULL DEFAULT 1, title TEXT NOT NULL, diagnosis TEXT, action TEXT, evidence TEXT,"
	"  parent_id INTEGER, acknowledged_at INTEGER, acknowledged_by TEXT, resolved_at INTEGER,"
	"  resolved_by TEXT, resolution TEXT, remediation TEXT, updated_at INTEGER NOT NULL);"
	"CREATE INDEX alerts_charger ON alerts(charger_id, first_seen);"
	"CREATE INDEX alerts_first_seen ON alerts(first_seen);"
	"CREATE INDEX alerts_unresolved ON alerts(status) WHERE status <> 'resolved';"
	"CREATE TABLE remediation_actions("
	"  id INTEGER PRIMARY KEY, alert_id INTEGER NOT NULL, charger_id TEXT NOT NULL, step INTEGER NOT NULL,"
	"  action TEXT NOT NULL, time INTEGER NOT NULL, outcome TEXT, detail TEXT);"
	"CREATE INDEX remediation_actions_alert ON remediation_actions(alert_id);"
	"CREATE TABLE work_orders("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL DEFAULT 0,"
	"  kind TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL, title TEXT NOT NULL,"
	"  description TEXT, alert_id INTEGER, created_at INTEGER NOT NULL, created_by TEXT,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX work_orders_charger ON work_orders(charger_id, created_at);"
	"CREATE TABLE vendor_error_codes("
	"  vendor TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', code TEXT NOT NULL, category TEXT NOT NULL,"
	"  severity TEXT NOT NULL, causes TEXT, action TEXT, remote_action TEXT, parts TEXT,"
	"  created_at INTEGER NOT NULL, PRIMARY KEY(vendor, model, code)) WITHOUT ROWID;"
	"CREATE TABLE webhook_outbox("
	"  id INTEGER PRIMARY KEY, url TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,"
	"  attempts INTEGER NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL, status TEXT NOT NULL,"
	"  last_error TEXT, created_at INTEGER NOT NULL, delivered_at INTEGER);"
	"CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt) WHERE status = 'pending';",
	/* 4: maintenance. Work orders grow their lifecycle fields (category and cause
	 * class from the fault taxonomy, the outage's cause class for reliability
	 * exclusions, SLA deadlines, the technician, labour, notes and references),
	 * with their transition history, linked alerts, checklist, parts, the
	 * technicians, per-model standard procedures, inspection plans and their
	 * per-charger schedule, drivers' defect reports, and technician tokens. */
	"ALTER TABLE work_orders ADD COLUMN category TEXT;"
	"ALTER TABLE work_orders ADD COLUMN cause_class TEXT;"
	"ALTER TABLE work_orders ADD COLUMN outage_cause TEXT;"
	"ALTER TABLE work_orders ADD COLUMN problem_key TEXT;"
	"ALTER TABLE work_orders ADD COLUMN technician_id INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN plan_id INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN response_due INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN resolution_due INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN responded_at INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN resolved_at INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN verified_at INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN closed_at INTEGER;"
	"ALTER TABLE work_orders ADD COLUMN labour_minutes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE work_orders ADD COLUMN notes TEXT;"
	"ALTER TABLE work_orders ADD COLUMN attachments TEXT;"
	"ALTER TABLE work_orders ADD COLUMN frames TEXT;"
	"ALTER TABLE work_orders ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;"
	"UPDATE work_orders SET priority = CASE priority WHEN 'urgent' THEN 'critical' WHEN 'normal' THEN 'medium'"
	"  ELSE priority END;"
	"CREATE INDEX work_orders_status ON work_orders(status);"
	"CREATE TABLE work_order_events("
	"  id INTEGER PRIMARY KEY, work_order_id INTEGER NOT NULL, time INTEGER NOT NULL, actor TEXT NOT NULL,"
	"  action TEXT NOT NULL, from_status TEXT, to_status TEXT NOT NULL, note TEXT);"
	"CREATE INDEX work_order_events_order ON work_order_events(work_order_id, id);"
	"CREATE TABLE work_order_alerts("
	"  work_order_id INTEGER NOT NULL, alert_id INTEGER NOT NULL, time INTEGER NOT NULL,"
	"  PRIMARY KEY(work_order_id, alert_id)) WITHOUT ROWID;"
	"CREATE INDEX work_order_alerts_alert ON work_order_alerts(alert_id);"
	"INSERT OR IGNORE INTO work_order_alerts(work_order_id, alert_id, time)"
	"  SELECT id, alert_id, created_at FROM work_orders WHERE alert_id IS NOT NULL;"
	"CREATE TABLE work_order_checklist("
	"  work_order_id INTEGER NOT NULL, item INTEGER NOT NULL, text TEXT NOT NULL, state TEXT NOT NULL,"
	"  reading TEXT, note TEXT, updated_at INTEGER, updated_by TEXT,"
	"  PRIMARY KEY(work_order_id, item)) WITHOUT ROWID;"
	"CREATE TABLE work_order_parts("
	"  id INTEGER PRIMARY KEY, work_order_id INTEGER NOT NULL, part TEXT NOT NULL, quantity REAL NOT NULL,"
	"  unit_cost REAL NOT NULL DEFAULT 0, time INTEGER NOT NULL, added_by TEXT);"
	"CREATE INDEX work_order_parts_order ON work_order_parts(work_order_id);"
	"CREATE TABLE technicians("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, skills TEXT NOT NULL DEFAULT '', site_id TEXT,"
	"  active INTEGER NOT NULL DEFAULT 1, email TEXT, phone TEXT, created_at INTEGER NOT NULL);"
	"CREATE TABLE procedures("
	"  vendor TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT '',"
	"  category TEXT NOT NULL DEFAULT '', checklist TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  PRIMARY KEY(vendor, model, kind, category)) WITHOUT ROWID;"
	"CREATE TABLE plans("
	"  id INTEGER PRIMARY KEY, name TEXT NOT NULL, vendor TEXT, model TEXT, site_id TEXT,"
	"  every_days INTEGER, every_sessions INTEGER, every_kwh REAL, every_hours REAL,"
	"  lead_days INTEGER NOT NULL DEFAULT 7, checklist TEXT, priority TEXT NOT NULL DEFAULT 'low',"
	"  active INTEGER NOT NULL DEFAULT 1, start_at INTEGER NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE TABLE plan_state("
	"  plan_id INTEGER NOT NULL, charger_id TEXT NOT NULL, last_done INTEGER NOT NULL, readings TEXT,"
	"  updated_at INTEGER NOT NULL, PRIMARY KEY(plan_id, charger_id)) WITHOUT ROWID;"
	"CREATE TABLE defect_reports("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL DEFAULT 0,"
	"  problem TEXT NOT NULL, text TEXT, contact TEXT, client TEXT, time INTEGER NOT NULL,"
	"  work_order_id INTEGER);"
	"CREATE INDEX defect_reports_charger ON defect_reports(charger_id, time);"
	"ALTER TABLE tokens ADD COLUMN technician_id INTEGER;",

	/* 5: reliability reporting. Cause records that explain (and may exclude) outage
	 * time, charge attempts brought from a previous system (live ones are the
	 * transactions), and a charger's rated power per port for the UK rapid scope.
	 * connector_id NULL in cause_records means every connector of the charger. */
	"CREATE TABLE cause_records("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER, class TEXT NOT NULL,"
	"  start_time INTEGER NOT NULL, end_time INTEGER, note TEXT, source TEXT NOT NULL DEFAULT 'operator',"
	"  work_order_id INTEGER, created_by TEXT, created_at INTEGER NOT NULL);"
	"CREATE INDEX cause_records_charger ON cause_records(charger_id, start_time);"
	"CREATE TABLE charge_attempts("
	"  id INTEGER PRIMARY KEY, charger_id TEXT NOT NULL, connector_id INTEGER NOT NULL, id_tag TEXT,"
	"  start_time INTEGER NOT NULL, stop_time INTEGER, transaction_started INTEGER NOT NULL,"
	"  energy_wh INTEGER, stop_reason TEXT, source TEXT NOT NULL DEFAULT 'import', created_at INTEGER NOT NULL);"
	"CREATE INDEX charge_attempts_charger ON charge_attempts(charger_id, start_time);"
	"ALTER TABLE chargers ADD COLUMN max_power_kw REAL;",

	/* 6: tamper-evident ledger. Each charger's meter public key (PEM or hex DER), against
	 * which the OCMF signed meter values it sends are verified. The ledger itself
	 * lives in its own file, ledger.db (see src/ledger/ledger.h). */
	"ALTER TABLE chargers ADD COLUMN meter_public_key TEXT;",
};

size_t schema_migration_count(void)
{
	return sizeof(migrations) / sizeof(migrations[0]);
}

const char *schema_migration(size_t i)
{
	return i < schema_migration_count() ? migrations[i] : NULL;
}
