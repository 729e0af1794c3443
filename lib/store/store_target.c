/* The store a configuration names. */
#include <config.h>
#include "store/store.h"

#include "base/conf.h"

void store_target_from_config(struct store_target *t, const struct sosafe_config *cfg)
{
	*t = (struct store_target){
		.backend = cfg->store_backend == 1 ? STORE_BACKEND_POSTGRESQL : STORE_BACKEND_SQLITE,
		.state_dir = cfg->state_dir,
		.pg_conninfo_file = cfg->pg_conninfo_file,
		.pg_insecure = cfg->pg_insecure,
		.timeout_ms = cfg->store_timeout_ms,
		.connect_timeout_ms = cfg->pg_connect_timeout_ms,
	};
}
