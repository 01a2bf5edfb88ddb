/*
 * tmpstore.h - the unit tests' fixture of a store in a temporary data
 * directory: make the directory and open the store (migrated database) in it,
 * run SQL that must succeed, close the store and remove the directory with
 * everything in it. Header-only (static inline) because every unit test file
 * is a binary of its own. A failure fails the running test or setup through
 * cmocka, as the fixtures' own assertions did.
 */
#ifndef CHARGEOPS_TESTS_TMPSTORE_H
#define CHARGEOPS_TESTS_TMPSTORE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"

#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Makes a new directory /tmp/chargeops-<name>-XXXXXX and writes its path into dir
 * (n bytes). The caller owns the directory and removes it with tmpstore_rmdir(). */
static inline void tmpstore_mkdir(char dir[], size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/chargeops-%s-XXXXXX", name);
	assert_non_null(mkdtemp(dir));
}

/* Makes a directory as tmpstore_mkdir() does and opens a store in it into *st.
 * The caller owns both and ends them with tmpstore_close(*st, dir). */
static inline void tmpstore_open(char dir[], size_t n, const char *name, store **st)
{
	char err[256];
	tmpstore_mkdir(dir, n, name);
	if (store_open(dir, st, err, sizeof(err)) != 0)
		fail_msg("store_open(%s): %s", dir, err);
}

/* nftw() callback of tmpstore_rmdir(): removes one entry (children come before
 * their directory). Owns nothing. */
static inline int tmpstore_remove(const char *path, const struct stat *sb, int flag,
				  struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything in it, without following links, like `rm -rf`: a
 * directory that is already gone is fine. Borrows dir. */
static inline void tmpstore_rmdir(const char *dir)
{
	if (nftw(dir, tmpstore_remove, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		fail_msg("removing %s: %s", dir, strerror(errno));
}

/* Ends what tmpstore_open() began: closes st (takes it; NULL when the test closed
 * it already) and removes dir (borrowed) with everything in it. */
static inline void tmpstore_close(store *st, const char *dir)
{
	store_close(st);
	tmpstore_rmdir(dir);
}

/* Runs sql (borrowed) on db (borrowed); an error fails the test with the
 * statement and SQLite's message. */
static inline void tmpstore_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		char why[256];
		snprintf(why, sizeof(why), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		fail_msg("%s: %s", sql, why);
	}
}

/* As tmpstore_exec(), but takes sql (from sqlite3_mprintf()) and frees it once
 * it has run. */
static inline void tmpstore_exec_free(sqlite3 *db, char *sql)
{
	tmpstore_exec(db, sql);
	sqlite3_free(sql);
}

#endif
