/* The secret key file's part of `sosafectl init` (cmd_keys.c). */
#ifndef SOSAFECTL_KEYS_H
#define SOSAFECTL_KEYS_H

#include "cli.h"

/* Create secret_key_file if it is missing (a fresh random key, 0600) and
 * hand it to ST; seal the secrets a store from before sealing holds, in
 * one audited transaction. Prints what it did; returns an exit code. */
int keys_init(struct cli *cli, struct store *st);

#endif
