/*
 * features_table.c - the feature table of predictive maintenance: one row
 * per feature with its name, unit, what it says to an operator and how
 * features.c computes it. `chargeops predict features` and docs/prediction.md
 * print it; model files name their columns by it.
 */
#include "predict/predict.h"

#include <string.h>

const predict_feature predict_features[PF_COUNT] = {
    [PF_RISE_1D] = {"temp_rise_per_100a_1d", "°C per 100 A",
		    "how much hotter than the cabinet the connector runs per 100 A of charging current, today",
		    "mean over the day's charging samples with current >= 6 A of (connector temperature - Body temperature) / max phase current * 100"},
    [PF_RISE_7D] = {"temp_rise_per_100a_7d", "°C per 100 A", "the same over the last 7 days",
		    "sample-weighted mean of the daily values over days d-6..d"},
    [PF_RISE_DELTA_14D] = {"temp_rise_delta_14d", "°C per 100 A",
			   "change of the 7-day temperature rise against two weeks earlier",
			   "temp_rise_per_100a_7d(d) - temp_rise_per_100a_7d(d-14)"},
    [PF_RISE_VS_OWN] = {"temp_rise_vs_own_baseline", "°C per 100 A",
			"7-day temperature rise above the connector's own best (lowest) 7-day value so far",
			"temp_rise_per_100a_7d(d) - min over earlier days of temp_rise_per_100a_7d"},
    [PF_RISE_VS_MODEL] = {"temp_rise_vs_model", "°C per 100 A",
			  "7-day temperature rise above the median of the same model's connectors that day",
			  "temp_rise_per_100a_7d - median over the model's connectors on day d"},
    [PF_RISE_SLOPE_7D] = {"temp_rise_slope_7d", "°C per 100 A per day", "trend of the daily temperature rise",
			  "least-squares slope of the daily temp_rise_per_100a_1d over days d-6..d (at least 3 days)"},
    [PF_TEMP_MAX_7D] = {"connector_temp_max_7d", "°C", "hottest connector temperature in 7 days",
			"max of Temperature (Outlet) samples over days d-6..d"},
    [PF_CABINET_MARGIN_7D] = {"cabinet_margin_7d", "°C", "headroom of the cabinet temperature below 60 °C",
			      "60 - max of Temperature (Body) samples over days d-6..d"},
    [PF_POWER_RATIO_1D] = {"power_ratio_1d", "ratio",
			   "best power delivered today to sessions that asked for more, against the model's rated power",
			   "max Power.Active.Import of the day on samples where the EV asks for full power / the model's rated power (below)"},
    [PF_POWER_RATIO_7D] = {"power_ratio_7d", "ratio",
			   "best power delivered to sessions that asked for more, against the model's rated power",
			   "max Power.Active.Import over 7 days on samples where the EV asks for full power (AC: any; DC: SoC < 50 %) / the highest such power of the model in the data"},
    [PF_POWER_DELTA_14D] = {"power_ratio_delta_14d", "ratio", "change of power_ratio_7d against two weeks earlier",
			    "power_ratio_7d(d) - power_ratio_7d(d-14)"},
    [PF_POWER_VS_OWN] = {"power_vs_own_best", "ratio", "7-day best power against the connector's own best 7 days so far",
			 "max power 7 d / max over earlier days of max power 7 d"},
    [PF_OFFERED_RATIO_LAST] = {"offered_power_ratio_last", "ratio",
			       "the most power the charger offered lately (its best of the last 3 days, else its latest day up to 7 days back), against its model's",
			       "best daily max Power.Offered (any of the charger's connectors, charging samples) of days d-2..d, else of the latest day in d-6..d that has one / the model's highest"},
    [PF_OFFERED_SLOPE_14D] = {"offered_power_slope_14d", "ratio per day", "trend of the power the charger offers",
			      "median of the slopes between every two days of the daily max Power.Offered / the model's highest over days d-13..d (Theil-Sen, at least 3 days)"},
    [PF_OFFERED_RATIO_7D] = {"offered_power_ratio_7d", "ratio",
			     "the most power the charger offered while charging in 7 days, against its model's",
			     "max Power.Offered on charging samples of any of the charger's connectors over days d-6..d / the highest Power.Offered of the model in the data"},
    [PF_OFFERED_DELTA_14D] = {"offered_power_delta_14d", "ratio", "change of offered_power_ratio_7d against two weeks earlier",
			      "offered_power_ratio_7d(d) - offered_power_ratio_7d(d-14)"},
    [PF_OFFERED_VS_OWN] = {"offered_power_vs_own_best", "ratio",
			   "7-day best offered power against the charger's own best 7 days so far",
			   "max Power.Offered 7 d / max over earlier days of max Power.Offered 7 d"},
    [PF_GROUND_7D] = {"ground_faults_7d", "count", "GroundFailure faults in 7 days",
		      "StatusNotification status Faulted, errorCode GroundFailure on the connector (or connector 0) over days d-6..d"},
    [PF_GROUND_28D] = {"ground_faults_28d", "count", "GroundFailure faults in 28 days", "the same over days d-27..d"},
    [PF_GROUND_WARN_7D] = {"ground_warnings_7d", "count",
			   "ground-fault warnings in 7 days: the insulation check reported GroundFailure and the connector went on",
			   "StatusNotification errorCode GroundFailure with a status other than Faulted over days d-6..d"},
    [PF_GROUND_WARN_28D] = {"ground_warnings_28d", "count", "ground-fault warnings in 28 days", "the same over days d-27..d"},
    [PF_OVERTEMP_7D] = {"overtemp_faults_7d", "count", "HighTemperature faults in 7 days",
			"StatusNotification errorCode HighTemperature over days d-6..d"},
    [PF_EVCOMM_7D] = {"ev_comm_errors_7d", "count", "EV communication errors in 7 days",
		      "StatusNotification errorCode EVCommunicationError over days d-6..d"},
    [PF_EVCOMM_28D] = {"ev_comm_errors_28d", "count", "EV communication errors in 28 days", "the same over days d-27..d"},
    [PF_OTHER_ERR_7D] = {"other_errors_7d", "count", "other reported errors in 7 days",
			 "StatusNotification errorCode other than NoError and the three above over days d-6..d"},
    [PF_FAULTED_7D] = {"faulted_7d", "count", "Faulted statuses in 7 days", "status Faulted over days d-6..d"},
    [PF_STARTS_7D] = {"starts_7d", "count", "transactions started in 7 days", "transactions by start_time over days d-6..d"},
    [PF_FIRST_ATTEMPT_7D] = {"first_attempt_success_7d", "ratio", "share of start attempts that charged",
			     "(starts - failed) / (starts + EV communication errors); failed = under 5 min and 100 Wh"},
    [PF_REBOOTS_7D] = {"reboots_7d", "count", "charger boots in 7 days", "events of kind boot over days d-6..d"},
    [PF_DISCONNECTS_7D] = {"disconnects_7d", "count", "connection losses in 7 days",
			   "connectivity rows with online = 0 over days d-6..d"},
    [PF_GAP_CV_7D] = {"message_interval_cv_7d", "ratio", "irregularity of the meter value interval while charging",
		      "standard deviation / mean of the gaps between a transaction's meter readings over days d-6..d"},
    [PF_METER_ANOM_7D] = {"meter_anomalies_7d", "count", "meter readings that did not add up in 7 days",
			  "readings at >= 1 kW whose register did not grow, plus the charger's anomalies rows, over days d-6..d"},
    [PF_ENERGY_SINCE_REPAIR] = {"energy_since_repair_kwh", "kWh", "energy delivered since the connector last came back from Faulted or was repaired",
				"sum of transaction energy since the last Faulted -> other status or resolved work order on it (or the start of the data read)"},
    [PF_HOURS_SINCE_REPAIR] = {"hours_since_repair", "h", "charging hours since the connector last came back from Faulted or was repaired",
			       "sum of transaction durations since the same time"},
    [PF_AGE_DAYS] = {"age_days", "days", "days since the charger was registered", "end of day d - chargers.created_at"},
    [PF_IS_DC] = {"is_dc", "0/1", "a DC charger", "1 when the charger reports the EV's SoC (DC charging)"},
    [PF_FW_MINORITY] = {"firmware_minority", "0/1", "runs another firmware than most chargers of its model",
			"1 when chargers.firmware_version differs from the most common one of the model"},
    [PF_SITE_FAULTS_28D] = {"site_faults_28d", "count", "Faulted statuses of the other chargers at the site in 28 days",
			    "site total - own charger's over days d-27..d"},
    [PF_ALERTS_7D] = {"alerts_7d", "count", "diagnosis alerts raised on the connector in 7 days",
		      "alerts by first_seen on the connector (or connector 0) over days d-6..d"},
    [PF_ENERGY_7D] = {"energy_7d_kwh", "kWh", "energy delivered in 7 days", "transaction energy by start_time over days d-6..d"},
};

int predict_feature_index(const char *name)
{
	for (int i = 0; i < PF_COUNT; i++)
		if (!strcmp(predict_features[i].name, name))
			return i;
	return -1;
}
