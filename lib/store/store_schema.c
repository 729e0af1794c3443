/* Schema of the state store, one part per feature. A part's steps are
 * applied in order and never edited once released: add a step instead. */
#include <config.h>
#include "base/util.h"
#include "store/schema_parts.h"

/* Feature parts are declared in their own files and listed here. */
const struct schema_part *const store_schema_parts[] = {
	&lockout_schema_part,
	&otp_schema_part,
	&directory_schema_part,
	&audit_schema_part,
	&four_eyes_schema_part,
};
const unsigned store_schema_nparts = ARRAY_SIZE(store_schema_parts);
