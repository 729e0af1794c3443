/* The schema parts of the state store, one per feature. Each part is
 * defined next to that feature's queries and listed once, in order, in
 * store_schema.c; nothing above lib/store/ needs to know them. */
#ifndef SOSAFE_SCHEMA_PARTS_H
#define SOSAFE_SCHEMA_PARTS_H

#include "store/store.h"

extern const struct schema_part lockout_schema_part;
extern const struct schema_part otp_schema_part;
extern const struct schema_part directory_schema_part;
extern const struct schema_part audit_schema_part;
extern const struct schema_part four_eyes_schema_part;

#endif
