/*
 * schema16.c - the OCPP 1.6 JSON message set as data: one row per action in
 * actions[], one field table per payload, following the OCA's OCPP-J 1.6 JSON
 * schema files (2019:12 edition) field by field: property names, "integer"
 * versus "number", maxLength of every CiString, every enum value, "multipleOf",
 * the "required" lists, and additionalProperties false everywhere. Adding an
 * action or a field is adding a row; validate.c walks the rows.
 *
 * Types the schemas repeat inline (IdTagInfo, MeterValue/SampledValue,
 * ChargingProfile/ChargingSchedule/ChargingSchedulePeriod) are written once
 * here and shared. The one place where sharing changes the official text: the
 * StopTransaction schema's unit enum lacks "Celsius" (it has only the
 * misspelt "Celcius"), while MeterValues has both; we accept both in both, as
 * later corrected copies of the schema do, so a charge point that spells the
 * unit correctly is not refused at the end of a transaction.
 *
 * The official 1.6 schemas carry no "minimum"; the spec text's "connectorId
 * >= 0" and "> 0" are therefore left to the handlers, and OCPP_F_MINIMUM is
 * unused by these tables.
 */
#include "ocpp/schema.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* The tables are laid out by hand, one row per line. */
/* clang-format off */

/* Row builders: they keep each table one line per property. */
#define REQ OCPP_F_REQUIRED
#define OPT 0u
#define F_STR(n, fl, len) {.name = (n), .type = OCPP_T_STRING, .flags = (fl), .max_len = (len)}
#define F_TEXT(n, fl) F_STR(n, fl, 0)
#define F_ENUM(n, fl, list) {.name = (n), .type = OCPP_T_STRING, .flags = (fl), .enums = (list)}
#define F_TIME(n, fl)                                                                              \
	{.name = (n), .type = OCPP_T_STRING, .flags = (fl), .format = OCPP_FMT_DATE_TIME}
#define F_URI(n, fl) {.name = (n), .type = OCPP_T_STRING, .flags = (fl), .format = OCPP_FMT_URI}
#define F_INT(n, fl) {.name = (n), .type = OCPP_T_INTEGER, .flags = (fl)}
#define F_NUM(n, fl, step) {.name = (n), .type = OCPP_T_NUMBER, .flags = (fl), .multiple_of = (step)}
#define F_BOOL(n, fl) {.name = (n), .type = OCPP_T_BOOLEAN, .flags = (fl)}
#define F_OBJ(n, fl, table) {.name = (n), .type = OCPP_T_OBJECT, .flags = (fl), .props = (table)}
#define F_ARR(n, fl, item) {.name = (n), .type = OCPP_T_ARRAY, .flags = (fl), .items = &(item)}

/* CiStringNN lengths as the schemas spell them. */
enum { CI20 = 20, CI25 = 25, CI50 = 50, CI255 = 255, CI500 = 500 };

/* ---- enumerations (NULL-terminated) ---- */

static const char *const authorization_status[] = {
	"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx", NULL,
};
static const char *const registration_status[] = {"Accepted", "Pending", "Rejected", NULL};
/* CancelReservationStatus, ClearCacheStatus, GetCompositeScheduleStatus,
 * RemoteStartStopStatus and ResetStatus all have exactly these two values. */
static const char *const accepted_rejected[] = {"Accepted", "Rejected", NULL};
static const char *const availability_type[] = {"Inoperative", "Operative", NULL};
static const char *const availability_status[] = {"Accepted", "Rejected", "Scheduled", NULL};
static const char *const configuration_status[] = {
	"Accepted", "Rejected", "RebootRequired", "NotSupported", NULL,
};
static const char *const charging_profile_purpose[] = {
	"ChargePointMaxProfile", "TxDefaultProfile", "TxProfile", NULL,
};
static const char *const charging_profile_kind[] = {"Absolute", "Recurring", "Relative", NULL};
static const char *const recurrency_kind[] = {"Daily", "Weekly", NULL};
static const char *const charging_rate_unit[] = {"A", "W", NULL};
static const char *const clear_charging_profile_status[] = {"Accepted", "Unknown", NULL};
static const char *const data_transfer_status[] = {
	"Accepted", "Rejected", "UnknownMessageId", "UnknownVendorId", NULL,
};
static const char *const diagnostics_status[] = {
	"Idle", "Uploaded", "UploadFailed", "Uploading", NULL,
};
static const char *const firmware_status[] = {
	"Downloaded", "DownloadFailed", "Downloading", "Idle",
	"InstallationFailed", "Installing", "Installed", NULL,
};
static const char *const reading_context[] = {
	"Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic",
	"Transaction.Begin", "Transaction.End", "Trigger", "Other", NULL,
};
static const char *const value_format[] = {"Raw", "SignedData", NULL};
static const char *const measurand[] = {
	"Energy.Active.Export.Register", "Energy.Active.Import.Register",
	"Energy.Reactive.Export.Register", "Energy.Reactive.Import.Register",
	"Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
	"Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval",
	"Power.Active.Export", "Power.Active.Import", "Power.Offered",
	"Power.Reactive.Export", "Power.Reactive.Import", "Power.Factor",
	"Current.Import", "Current.Export", "Current.Offered",
	"Voltage", "Frequency", "Temperature", "SoC", "RPM", NULL,
};
static const char *const phase[] = {
	"L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1", NULL,
};
static const char *const location[] = {"Cable", "EV", "Inlet", "Outlet", "Body", NULL};
static const char *const unit_of_measure[] = {
	"Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar",
	"A", "V", "K", "Celcius", "Celsius", "Fahrenheit", "Percent", NULL,
};
static const char *const reservation_status[] = {
	"Accepted", "Faulted", "Occupied", "Rejected", "Unavailable", NULL,
};
static const char *const reset_type[] = {"Hard", "Soft", NULL};
static const char *const update_type[] = {"Differential", "Full", NULL};
static const char *const update_status[] = {
	"Accepted", "Failed", "NotSupported", "VersionMismatch", NULL,
};
static const char *const charging_profile_status[] = {
	"Accepted", "Rejected", "NotSupported", NULL,
};
static const char *const charge_point_error_code[] = {
	"ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
	"InternalError", "LocalListConflict", "NoError", "OtherError",
	"OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure",
	"ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal", NULL,
};
static const char *const charge_point_status[] = {
	"Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV",
	"Finishing", "Reserved", "Unavailable", "Faulted", NULL,
};
static const char *const stop_reason[] = {
	"EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss",
	"Reboot", "Remote", "SoftReset", "UnlockCommand", "DeAuthorized", NULL,
};
static const char *const message_trigger[] = {
	"BootNotification", "DiagnosticsStatusNotification", "FirmwareStatusNotification",
	"Heartbeat", "MeterValues", "StatusNotification", NULL,
};
static const char *const trigger_message_status[] = {
	"Accepted", "Rejected", "NotImplemented", NULL,
};
static const char *const unlock_status[] = {"Unlocked", "UnlockFailed", "NotSupported", NULL};

/* ---- shared structures ---- */

static const ocpp_field no_fields[] = {OCPP_FIELDS_END};

static const ocpp_field id_tag_info[] = {
	F_TIME("expiryDate", OPT),
	F_STR("parentIdTag", OPT, CI20),
	F_ENUM("status", REQ, authorization_status),
	OCPP_FIELDS_END,
};

static const ocpp_field sampled_value[] = {
	F_TEXT("value", REQ),
	F_ENUM("context", OPT, reading_context),
	F_ENUM("format", OPT, value_format),
	F_ENUM("measurand", OPT, measurand),
	F_ENUM("phase", OPT, phase),
	F_ENUM("location", OPT, location),
	F_ENUM("unit", OPT, unit_of_measure),
	OCPP_FIELDS_END,
};
static const ocpp_field sampled_value_item = {.type = OCPP_T_OBJECT, .props = sampled_value};

static const ocpp_field meter_value[] = {
	F_TIME("timestamp", REQ),
	F_ARR("sampledValue", REQ, sampled_value_item),
	OCPP_FIELDS_END,
};
static const ocpp_field meter_value_item = {.type = OCPP_T_OBJECT, .props = meter_value};

static const ocpp_field charging_schedule_period[] = {
	F_INT("startPeriod", REQ),
	F_NUM("limit", REQ, 0.1),
	F_INT("numberPhases", OPT),
	OCPP_FIELDS_END,
};
static const ocpp_field charging_schedule_period_item = {
	.type = OCPP_T_OBJECT,
	.props = charging_schedule_period,
};

static const ocpp_field charging_schedule[] = {
	F_INT("duration", OPT),
	F_TIME("startSchedule", OPT),
	F_ENUM("chargingRateUnit", REQ, charging_rate_unit),
	F_ARR("chargingSchedulePeriod", REQ, charging_schedule_period_item),
	F_NUM("minChargingRate", OPT, 0.1),
	OCPP_FIELDS_END,
};

static const ocpp_field charging_profile[] = {
	F_INT("chargingProfileId", REQ),
	F_INT("transactionId", OPT),
	F_INT("stackLevel", REQ),
	F_ENUM("chargingProfilePurpose", REQ, charging_profile_purpose),
	F_ENUM("chargingProfileKind", REQ, charging_profile_kind),
	F_ENUM("recurrencyKind", OPT, recurrency_kind),
	F_TIME("validFrom", OPT),
	F_TIME("validTo", OPT),
	F_OBJ("chargingSchedule", REQ, charging_schedule),
	OCPP_FIELDS_END,
};

static const ocpp_field key_value[] = {
	F_STR("key", REQ, CI50),
	F_BOOL("readonly", REQ),
	F_STR("value", OPT, CI500),
	OCPP_FIELDS_END,
};
static const ocpp_field key_value_item = {.type = OCPP_T_OBJECT, .props = key_value};
static const ocpp_field ci50_item = {.type = OCPP_T_STRING, .max_len = CI50};

static const ocpp_field authorization_data[] = {
	F_STR("idTag", REQ, CI20),
	F_OBJ("idTagInfo", OPT, id_tag_info),
	OCPP_FIELDS_END,
};
static const ocpp_field authorization_data_item = {
	.type = OCPP_T_OBJECT,
	.props = authorization_data,
};

/* ---- payloads, in the order of the actions table ---- */

static const ocpp_field authorize_req[] = {
	F_STR("idTag", REQ, CI20),
	OCPP_FIELDS_END,
};
static const ocpp_field authorize_conf[] = {
	F_OBJ("idTagInfo", REQ, id_tag_info),
	OCPP_FIELDS_END,
};

static const ocpp_field boot_notification_req[] = {
	F_STR("chargePointVendor", REQ, CI20),
	F_STR("chargePointModel", REQ, CI20),
	F_STR("chargePointSerialNumber", OPT, CI25),
	F_STR("chargeBoxSerialNumber", OPT, CI25),
	F_STR("firmwareVersion", OPT, CI50),
	F_STR("iccid", OPT, CI20),
	F_STR("imsi", OPT, CI20),
	F_STR("meterType", OPT, CI25),
	F_STR("meterSerialNumber", OPT, CI25),
	OCPP_FIELDS_END,
};
static const ocpp_field boot_notification_conf[] = {
	F_ENUM("status", REQ, registration_status),
	F_TIME("currentTime", REQ),
	F_INT("interval", REQ),
	OCPP_FIELDS_END,
};

static const ocpp_field cancel_reservation_req[] = {
	F_INT("reservationId", REQ),
	OCPP_FIELDS_END,
};
static const ocpp_field accepted_rejected_conf[] = {
	F_ENUM("status", REQ, accepted_rejected),
	OCPP_FIELDS_END,
};

static const ocpp_field change_availability_req[] = {
	F_INT("connectorId", REQ),
	F_ENUM("type", REQ, availability_type),
	OCPP_FIELDS_END,
};
static const ocpp_field change_availability_conf[] = {
	F_ENUM("status", REQ, availability_status),
	OCPP_FIELDS_END,
};

static const ocpp_field change_configuration_req[] = {
	F_STR("key", REQ, CI50),
	F_STR("value", REQ, CI500),
	OCPP_FIELDS_END,
};
static const ocpp_field change_configuration_conf[] = {
	F_ENUM("status", REQ, configuration_status),
	OCPP_FIELDS_END,
};

static const ocpp_field clear_charging_profile_req[] = {
	F_INT("id", OPT),
	F_INT("connectorId", OPT),
	F_ENUM("chargingProfilePurpose", OPT, charging_profile_purpose),
	F_INT("stackLevel", OPT),
	OCPP_FIELDS_END,
};
static const ocpp_field clear_charging_profile_conf[] = {
	F_ENUM("status", REQ, clear_charging_profile_status),
	OCPP_FIELDS_END,
};

static const ocpp_field data_transfer_req[] = {
	F_STR("vendorId", REQ, CI255),
	F_STR("messageId", OPT, CI50),
	F_TEXT("data", OPT),
	OCPP_FIELDS_END,
};
static const ocpp_field data_transfer_conf[] = {
	F_ENUM("status", REQ, data_transfer_status),
	F_TEXT("data", OPT),
	OCPP_FIELDS_END,
};

static const ocpp_field diagnostics_status_notification_req[] = {
	F_ENUM("status", REQ, diagnostics_status),
	OCPP_FIELDS_END,
};

static const ocpp_field firmware_status_notification_req[] = {
	F_ENUM("status", REQ, firmware_status),
	OCPP_FIELDS_END,
};

static const ocpp_field get_composite_schedule_req[] = {
	F_INT("connectorId", REQ),
	F_INT("duration", REQ),
	F_ENUM("chargingRateUnit", OPT, charging_rate_unit),
	OCPP_FIELDS_END,
};
static const ocpp_field get_composite_schedule_conf[] = {
	F_ENUM("status", REQ, accepted_rejected),
	F_INT("connectorId", OPT),
	F_TIME("scheduleStart", OPT),
	F_OBJ("chargingSchedule", OPT, charging_schedule),
	OCPP_FIELDS_END,
};

static const ocpp_field get_configuration_req[] = {
	F_ARR("key", OPT, ci50_item),
	OCPP_FIELDS_END,
};
static const ocpp_field get_configuration_conf[] = {
	F_ARR("configurationKey", OPT, key_value_item),
	F_ARR("unknownKey", OPT, ci50_item),
	OCPP_FIELDS_END,
};

static const ocpp_field get_diagnostics_req[] = {
	F_URI("location", REQ),
	F_INT("retries", OPT),
	F_INT("retryInterval", OPT),
	F_TIME("startTime", OPT),
	F_TIME("stopTime", OPT),
	OCPP_FIELDS_END,
};
static const ocpp_field get_diagnostics_conf[] = {
	F_STR("fileName", OPT, CI255),
	OCPP_FIELDS_END,
};

static const ocpp_field get_local_list_version_conf[] = {
	F_INT("listVersion", REQ),
	OCPP_FIELDS_END,
};

static const ocpp_field heartbeat_conf[] = {
	F_TIME("currentTime", REQ),
	OCPP_FIELDS_END,
};

static const ocpp_field meter_values_req[] = {
	F_INT("connectorId", REQ),
	F_INT("transactionId", OPT),
	F_ARR("meterValue", REQ, meter_value_item),
	OCPP_FIELDS_END,
};

static const ocpp_field remote_start_transaction_req[] = {
	F_INT("connectorId", OPT),
	F_STR("idTag", REQ, CI20),
	F_OBJ("chargingProfile", OPT, charging_profile),
	OCPP_FIELDS_END,
};

static const ocpp_field remote_stop_transaction_req[] = {
	F_INT("transactionId", REQ),
	OCPP_FIELDS_END,
};

static const ocpp_field reserve_now_req[] = {
	F_INT("connectorId", REQ),
	F_TIME("expiryDate", REQ),
	F_STR("idTag", REQ, CI20),
	F_STR("parentIdTag", OPT, CI20),
	F_INT("reservationId", REQ),
	OCPP_FIELDS_END,
};
static const ocpp_field reserve_now_conf[] = {
	F_ENUM("status", REQ, reservation_status),
	OCPP_FIELDS_END,
};

static const ocpp_field reset_req[] = {
	F_ENUM("type", REQ, reset_type),
	OCPP_FIELDS_END,
};

static const ocpp_field send_local_list_req[] = {
	F_INT("listVersion", REQ),
	F_ARR("localAuthorizationList", OPT, authorization_data_item),
	F_ENUM("updateType", REQ, update_type),
	OCPP_FIELDS_END,
};
static const ocpp_field send_local_list_conf[] = {
	F_ENUM("status", REQ, update_status),
	OCPP_FIELDS_END,
};

static const ocpp_field set_charging_profile_req[] = {
	F_INT("connectorId", REQ),
	F_OBJ("csChargingProfiles", REQ, charging_profile),
	OCPP_FIELDS_END,
};
static const ocpp_field set_charging_profile_conf[] = {
	F_ENUM("status", REQ, charging_profile_status),
	OCPP_FIELDS_END,
};

static const ocpp_field start_transaction_req[] = {
	F_INT("connectorId", REQ),
	F_STR("idTag", REQ, CI20),
	F_INT("meterStart", REQ),
	F_INT("reservationId", OPT),
	F_TIME("timestamp", REQ),
	OCPP_FIELDS_END,
};
static const ocpp_field start_transaction_conf[] = {
	F_OBJ("idTagInfo", REQ, id_tag_info),
	F_INT("transactionId", REQ),
	OCPP_FIELDS_END,
};

static const ocpp_field status_notification_req[] = {
	F_INT("connectorId", REQ),
	F_ENUM("errorCode", REQ, charge_point_error_code),
	F_STR("info", OPT, CI50),
	F_ENUM("status", REQ, charge_point_status),
	F_TIME("timestamp", OPT),
	F_STR("vendorId", OPT, CI255),
	F_STR("vendorErrorCode", OPT, CI50),
	OCPP_FIELDS_END,
};

static const ocpp_field stop_transaction_req[] = {
	F_STR("idTag", OPT, CI20),
	F_INT("meterStop", REQ),
	F_TIME("timestamp", REQ),
	F_INT("transactionId", REQ),
	F_ENUM("reason", OPT, stop_reason),
	F_ARR("transactionData", OPT, meter_value_item),
	OCPP_FIELDS_END,
};
static const ocpp_field stop_transaction_conf[] = {
	F_OBJ("idTagInfo", OPT, id_tag_info),
	OCPP_FIELDS_END,
};

static const ocpp_field trigger_message_req[] = {
	F_ENUM("requestedMessage", REQ, message_trigger),
	F_INT("connectorId", OPT),
	OCPP_FIELDS_END,
};
static const ocpp_field trigger_message_conf[] = {
	F_ENUM("status", REQ, trigger_message_status),
	OCPP_FIELDS_END,
};

static const ocpp_field unlock_connector_req[] = {
	F_INT("connectorId", REQ),
	OCPP_FIELDS_END,
};
static const ocpp_field unlock_connector_conf[] = {
	F_ENUM("status", REQ, unlock_status),
	OCPP_FIELDS_END,
};

static const ocpp_field update_firmware_req[] = {
	F_URI("location", REQ),
	F_INT("retries", OPT),
	F_TIME("retrieveDate", REQ),
	F_INT("retryInterval", OPT),
	OCPP_FIELDS_END,
};

/* ---- the action table, sorted by name (strcmp) for bsearch ---- */

#define CP OCPP_FROM_CP
#define CS OCPP_FROM_CS

static const struct ocpp_action_def actions[] = {
	{"Authorize", CP, authorize_req, authorize_conf},
	{"BootNotification", CP, boot_notification_req, boot_notification_conf},
	{"CancelReservation", CS, cancel_reservation_req, accepted_rejected_conf},
	{"ChangeAvailability", CS, change_availability_req, change_availability_conf},
	{"ChangeConfiguration", CS, change_configuration_req, change_configuration_conf},
	{"ClearCache", CS, no_fields, accepted_rejected_conf},
	{"ClearChargingProfile", CS, clear_charging_profile_req, clear_charging_profile_conf},
	{"DataTransfer", CP | CS, data_transfer_req, data_transfer_conf},
	{"DiagnosticsStatusNotification", CP, diagnostics_status_notification_req, no_fields},
	{"FirmwareStatusNotification", CP, firmware_status_notification_req, no_fields},
	{"GetCompositeSchedule", CS, get_composite_schedule_req, get_composite_schedule_conf},
	{"GetConfiguration", CS, get_configuration_req, get_configuration_conf},
	{"GetDiagnostics", CS, get_diagnostics_req, get_diagnostics_conf},
	{"GetLocalListVersion", CS, no_fields, get_local_list_version_conf},
	{"Heartbeat", CP, no_fields, heartbeat_conf},
	{"MeterValues", CP, meter_values_req, no_fields},
	{"RemoteStartTransaction", CS, remote_start_transaction_req, accepted_rejected_conf},
	{"RemoteStopTransaction", CS, remote_stop_transaction_req, accepted_rejected_conf},
	{"ReserveNow", CS, reserve_now_req, reserve_now_conf},
	{"Reset", CS, reset_req, accepted_rejected_conf},
	{"SendLocalList", CS, send_local_list_req, send_local_list_conf},
	{"SetChargingProfile", CS, set_charging_profile_req, set_charging_profile_conf},
	{"StartTransaction", CP, start_transaction_req, start_transaction_conf},
	{"StatusNotification", CP, status_notification_req, no_fields},
	{"StopTransaction", CP, stop_transaction_req, stop_transaction_conf},
	{"TriggerMessage", CS, trigger_message_req, trigger_message_conf},
	{"UnlockConnector", CS, unlock_connector_req, unlock_connector_conf},
	{"UpdateFirmware", CS, update_firmware_req, no_fields},
};

/* clang-format on */

#define N_ACTIONS (sizeof(actions) / sizeof(actions[0]))

static int action_cmp(const void *key, const void *row)
{
	const struct ocpp_action_def *def = row;
	return strcmp(key, def->name);
}

/* Borrows action; the result points into a static table. */
const ocpp_action_def *ocpp16_action(const char *action)
{
	if (!action)
		return NULL;
	return bsearch(action, actions, N_ACTIONS, sizeof(actions[0]), action_cmp);
}

const char *ocpp16_action_name(const ocpp_action_def *def)
{
	assert(def);
	return def->name;
}

enum ocpp_direction ocpp16_action_direction(const ocpp_action_def *def)
{
	assert(def);
	return (enum ocpp_direction)def->direction;
}

size_t ocpp16_action_count(void)
{
	return N_ACTIONS;
}

const ocpp_action_def *ocpp16_action_at(size_t i)
{
	return i < N_ACTIONS ? &actions[i] : NULL;
}
