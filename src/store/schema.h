/*
 * schema.h - the versioned schema migrations, applied in order by store_open().
 */
#ifndef CHARGEOPS_SCHEMA_H
#define CHARGEOPS_SCHEMA_H
#include <stddef.h>

size_t schema_migration_count(void);
/* SQL of migration i (0-based); applying it moves user_version to i + 1. */
const char *schema_migration(size_t i);

#endif
