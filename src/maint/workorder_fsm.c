/*
 * workorder_fsm.c - the work-order lifecycle as a table: each row is a state,
 * an action, the state it leads to and who may take it. Anything not in the
 * table is refused, and the API answers with the actions the table allows.
 */
#include "maint/internal.h"

#include <string.h>

static const char *const state_names[WO__STATES] = {
    [WO_OPEN] = "open",         [WO_ASSIGNED] = "assigned", [WO_IN_PROGRESS] = "in_progress",
    [WO_ON_HOLD] = "on_hold",   [WO_RESOLVED] = "resolved", [WO_VERIFIED] = "verified",
    [WO_CLOSED] = "closed",     [WO_CANCELLED] = "cancelled",
};

static const char *const action_names[WA__COUNT] = {
    [WA_ASSIGN] = "assign", [WA_START] = "start",   [WA_HOLD] = "hold",
    [WA_RESUME] = "resume", [WA_RESOLVE] = "resolve", [WA_VERIFY] = "verify",
    [WA_REOPEN] = "reopen", [WA_CLOSE] = "close",   [WA_CANCEL] = "cancel",
};

#define OP WHO_OPERATOR
#define TECH WHO_TECHNICIAN
#define SYS WHO_SYSTEM

static const struct transition {
	enum wo_state from;
	enum wo_action action;
	enum wo_state to;
	unsigned who;
} transitions[] = {
    {WO_OPEN, WA_ASSIGN, WO_ASSIGNED, OP},
    {WO_ASSIGNED, WA_ASSIGN, WO_ASSIGNED, OP}, /* reassign */
    {WO_ON_HOLD, WA_ASSIGN, WO_ASSIGNED, OP},  /* hand over a parked order */
    {WO_ASSIGNED, WA_START, WO_IN_PROGRESS, OP | TECH},
    {WO_IN_PROGRESS, WA_HOLD, WO_ON_HOLD, OP | TECH},
    {WO_ON_HOLD, WA_RESUME, WO_IN_PROGRESS, OP | TECH},
    {WO_IN_PROGRESS, WA_RESOLVE, WO_RESOLVED, OP | TECH},
    {WO_RESOLVED, WA_VERIFY, WO_VERIFIED, OP | SYS},
    {WO_RESOLVED, WA_REOPEN, WO_OPEN, OP | SYS},
    {WO_VERIFIED, WA_REOPEN, WO_OPEN, OP | SYS},
    {WO_VERIFIED, WA_CLOSE, WO_CLOSED, OP | SYS},
    {WO_OPEN, WA_CANCEL, WO_CANCELLED, OP | SYS},
    {WO_ASSIGNED, WA_CANCEL, WO_CANCELLED, OP | SYS},
    {WO_IN_PROGRESS, WA_CANCEL, WO_CANCELLED, OP | SYS},
    {WO_ON_HOLD, WA_CANCEL, WO_CANCELLED, OP | SYS},
    {WO_RESOLVED, WA_CANCEL, WO_CANCELLED, OP | SYS},
    {WO_VERIFIED, WA_CANCEL, WO_CANCELLED, OP | SYS},
};

const char *const wo_priorities[WO_PRIORITIES] = {"critical", "high", "medium", "low"};

const char *wo_state_name(enum wo_state s)
{
	return s < WO__STATES ? state_names[s] : "?";
}

int wo_state_parse(const char *name)
{
	for (int i = 0; name && i < WO__STATES; i++)
		if (strcmp(state_names[i], name) == 0)
			return i;
	return -1;
}

const char *wo_action_name(enum wo_action a)
{
	return a < WA__COUNT ? action_names[a] : "?";
}

int wo_action_parse(const char *name)
{
	for (int i = 0; name && i < WA__COUNT; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return -1;
}

int wo_next(enum wo_state s, enum wo_action a, unsigned who)
{
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (transitions[i].from == s && transitions[i].action == a && (transitions[i].who & who))
			return (int)transitions[i].to;
	return -1;
}

json_t *wo_allowed_json(enum wo_state s, unsigned who)
{
	json_t *arr = json_array();
	for (int a = 0; a < WA__COUNT; a++)
		if (wo_next(s, (enum wo_action)a, who) >= 0)
			json_array_append_new(arr, json_string(action_names[a]));
	return arr;
}

int wo_terminal(enum wo_state s)
{
	return s == WO_CLOSED || s == WO_CANCELLED;
}

const char *wo_priority_canonical(const char *name)
{
	static const struct {
		const char *alias;
		int index;
	} aliases[] = {{"p1", 0}, {"p2", 1}, {"p3", 2}, {"p4", 3}, {"urgent", 0}, {"normal", 2}};
	if (!name)
		return NULL;
	for (int i = 0; i < WO_PRIORITIES; i++)
		if (strcmp(wo_priorities[i], name) == 0)
			return wo_priorities[i];
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].alias, name) == 0)
			return wo_priorities[aliases[i].index];
	return NULL;
}
