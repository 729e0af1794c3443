/* The stable identity of an account as sosafeStableId writes it:
 * objectSid as S-1-5-21-..., objectGUID as text, anything else as it is
 * (or in hex), prefixed by the attribute's name. The live pull and the
 * LDIF reader (objectSid:: in a file export) both write it this way, so a
 * host can move between them without every account looking new. */
#include <config.h>
#include "directory/directory.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>


/* objectSid (binary) as S-1-5-21-...; 0 or -1 when malformed. */
static int format_sid(const unsigned char *p, size_t n, char *out, size_t len)
{
	if (n < 8 || p[0] != 1 || p[1] > 15 || n != 8 + 4 * (size_t)p[1])
		return -1;
	unsigned long long auth = 0;
	for (int i = 2; i < 8; i++)
		auth = auth << 8 | p[i];
	int w = snprintf(out, len, "S-1-%llu", auth);
	for (unsigned i = 0; i < p[1] && w > 0 && (size_t)w < len; i++) {
		const unsigned char *s = p + 8 + 4 * i;
		unsigned long v = (unsigned long)s[0] | (unsigned long)s[1] << 8 |
				  (unsigned long)s[2] << 16 | (unsigned long)s[3] << 24;
		w += snprintf(out + w, len - (size_t)w, "-%lu", v);
	}
	return w > 0 && (size_t)w < len ? 0 : -1;
}

/* objectGUID (16 bytes, the first three fields little-endian) as text. */
static int format_guid(const unsigned char *p, size_t n, char *out, size_t len)
{
	if (n != 16)
		return -1;
	snprintf(out, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 p[3], p[2], p[1], p[0], p[5], p[4], p[7], p[6], p[8], p[9], p[10], p[11], p[12],
		 p[13], p[14], p[15]);
	return 0;
}

/* "ATTR:VALUE": the attribute named, so that changing ldap_attr_id re-keys
 * the rows instead of looking like other accounts. Binary values that are
 * neither a SID nor a GUID are written in hex. */
int directory_stable_id(const char *attr, const void *value, size_t n, char *out, size_t len)
{
	char val[200];
	const unsigned char *p = value;
	if (!strcasecmp(attr, "objectSid")) {
		if (format_sid(p, n, val, sizeof(val)))
			return -1;
	} else if (!strcasecmp(attr, "objectGUID")) {
		if (format_guid(p, n, val, sizeof(val)))
			return -1;
	} else {
		bool text = n > 0 && n < sizeof(val);
		for (size_t i = 0; i < n && text; i++)
			text = p[i] > 0x20 && p[i] < 0x7f;
		if (text) {
			memcpy(val, p, n);
			val[n] = 0;
		} else if (n > 0 && 2 * n < sizeof(val)) {
			for (size_t i = 0; i < n; i++)
				snprintf(val + 2 * i, 3, "%02x", p[i]);
		} else {
			return -1;
		}
	}
	char lower[70];
	size_t i = 0;
	for (; attr[i] && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)attr[i]);
	lower[i] = 0;
	int w = snprintf(out, len, "%s:%s", lower, val);
	return w > 0 && (size_t)w < len ? 0 : -1;
}
