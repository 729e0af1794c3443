#include <config.h>
#include "qr_term.h"

#include <qrencode.h>
#include <stdbool.h>
#include <string.h>

static bool dark(const QRcode *q, int x, int y)
{
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return false;   /* quiet zone is light */
	return q->data[y * q->width + x] & 1;
}

int qr_print_utf8(const char *text, FILE *out)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	/* glyph for (upper light?, lower light?) */
	static const char *const glyph[2][2] = {
		{ " ", "\xe2\x96\x84" },              /* both dark / lower light: ▄ */
		{ "\xe2\x96\x80", "\xe2\x96\x88" },   /* upper light: ▀ / both light: █ */
	};
	int from = -QR_QUIET, to = q->width + QR_QUIET;
	for (int y = from; y < to; y += 2) {
		for (int x = from; x < to; x++) {
			bool up = !dark(q, x, y);
			bool lo = y + 1 < to ? !dark(q, x, y + 1) : false;
			fputs(glyph[up][lo], out);
		}
		fputc('\n', out);
	}
	/* the matrix encodes the secret: wipe it */
	memset(q->data, 0, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return ferror(out) ? -1 : 0;
}
