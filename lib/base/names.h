/* Validation of user names arriving from PAM, the command line or a directory. */
#ifndef SOSAFE_NAMES_H
#define SOSAFE_NAMES_H
#include <stdbool.h>
#include <stddef.h>

#define SOSAFE_NAME_MAX 256

/* True if NAME is acceptable as a key in the state store: 1..256 bytes,
 * no '/', no control characters (C0, DEL), not "." or "..", valid UTF-8. */
bool name_is_valid(const char *name);

/* Copy NAME into OUT (size OUTLEN) so that it is safe in a log line:
 * control characters, spaces, quotes and backslashes are escaped,
 * and long names are cut with "...". Never fails. */
void name_for_log(const char *name, char *out, size_t outlen);

#endif
