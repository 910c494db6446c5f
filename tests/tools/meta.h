/* meta.h - open a vaultd metadata directory (STATE/meta) for the test
 * tools. Only for a stopped vaultd, or read-only next to a running one. */
#ifndef VG_TOOLS_META_H
#define VG_TOOLS_META_H

#include <stdio.h>
#include <stdlib.h>

#include <lmdb.h>

static inline void meta_die(const char *what, int rc)
{
	fprintf(stderr, "%s: %s\n", what, mdb_strerror(rc));
	exit(1);
}

/* Opens the environment and the named database `name` in a new txn. */
static inline void meta_open(const char *dir, const char *name, int rdonly,
	MDB_env **env, MDB_txn **txn, MDB_dbi *dbi)
{
	int rc;

	if ((rc = mdb_env_create(env)) || (rc = mdb_env_set_maxdbs(*env, 32)) ||
	    (rc = mdb_env_set_mapsize(*env, 16ull << 30)) ||
	    (rc = mdb_env_open(*env, dir, rdonly ? MDB_RDONLY : 0, 0600)))
		meta_die(dir, rc);
	if ((rc = mdb_txn_begin(*env, NULL, rdonly ? MDB_RDONLY : 0, txn)))
		meta_die("txn", rc);
	if ((rc = mdb_dbi_open(*txn, name, 0, dbi)))
		meta_die(name, rc);
}

#endif
