/* Loading sosafectl's configuration: the system file, or --conf FILE
 * under the rules that keep an admin allowed only `sudo sosafectl` from
 * choosing the policy that binds them. */
#ifndef SOSAFECTL_CONF_GUARD_H
#define SOSAFECTL_CONF_GUARD_H

#include "base/conf.h"

/* Fill CFG from CONF (NULL: the system file). Prints the error and returns
 * an exit code (EXIT_CONFIG) on failure, 0 on success. */
int cli_load_config(struct sosafe_config *cfg, const char *conf);

#endif
