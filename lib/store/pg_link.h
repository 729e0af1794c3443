/* The PostgreSQL backend's connection (lib/store/ only): what it was
 * opened with, so it can connect again after the server went away. */
#ifndef SOSAFE_PG_LINK_H
#define SOSAFE_PG_LINK_H

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>

#include "store/store.h"

struct pg_link {
	PGconn *conn;          /* NULL until connected, and after a failure */
	char conninfo_file[PATH_MAX];
	bool insecure;         /* pg_insecure = yes */
	unsigned connect_timeout_ms;
	unsigned timeout_ms;   /* each statement, lock waits included */
	long changes;          /* rows of the last statement */
	long long total_changes;
	unsigned connects;     /* connections made (the first and every reconnection) */
};

/* Read the connection string from L->conninfo_file, apply the TLS policy
 * and connect within the timeouts. On failure returns the status with a
 * message (never the password) in ERR; L->conn stays NULL. DESCR gets
 * "host/dbname" for messages. */
enum store_status pg_link_connect(struct pg_link *l, char *descr, size_t descrlen, char *err,
				  size_t errlen);

/* SQL of the shared dialect with its "?" and "?N" parameters numbered as
 * SQLite numbers them, as "$N" (quoted text and names left alone); *NPARAMS
 * gets the highest number. Malloc'd; NULL if out of memory. */
char *pg_translate(const char *sql, int *nparams);

#endif
