/* The QR code drawn by `sosafectl enroll` decodes back to the URI: the
 * half-block text is parsed back into modules, compared with libqrencode's
 * matrix, scaled into a PBM image and read by zbarimg (zbar-tools). */
#include <config.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qr_term.h"

#define MAXW 200

/* Parse the text back: returns the side length, fills LIGHT[y][x]. */
static int parse_text(const char *text, unsigned char light[MAXW][MAXW])
{
	int y = 0, w = -1;
	const char *p = text;
	while (*p) {
		int x = 0;
		while (*p && *p != '\n') {
			int up, lo;
			if (*p == ' ') {
				up = 0, lo = 0, p += 1;
			} else if (!strncmp(p, "\xe2\x96\x80", 3)) {
				up = 1, lo = 0, p += 3;
			} else if (!strncmp(p, "\xe2\x96\x84", 3)) {
				up = 0, lo = 1, p += 3;
			} else if (!strncmp(p, "\xe2\x96\x88", 3)) {
				up = 1, lo = 1, p += 3;
			} else {
				fail_msg("unexpected byte 0x%02x in the QR text", (unsigned char)*p);
				return -1;
			}
			assert_true(x < MAXW && y + 1 < MAXW);
			light[y][x] = (unsigned char)up;
			light[y + 1][x] = (unsigned char)lo;
			x++;
		}
		if (w < 0)
			w = x;
		assert_int_equal(x, w);   /* every row as wide */
		if (*p == '\n')
			p++;
		y += 2;
	}
	return w;
}

static void round_trip(void **state)
{
	const char *uri = "otpauth://totp/sosafe:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			  "&issuer=sosafe&algorithm=SHA1&digits=6&period=30";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(qr_print_utf8(uri, f), 0);
	fclose(f);
	static unsigned char light[MAXW][MAXW];
	int w = parse_text(text, light);
	free(text);
	/* 1. matrix round trip against libqrencode */
	QRcode *q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_non_null(q);
	assert_int_equal(w, q->width + 2 * QR_QUIET);
	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			assert_int_equal(light[y + QR_QUIET][x + QR_QUIET], !(q->data[y * q->width + x] & 1));
	for (int i = 0; i < w; i++) {   /* quiet zone is light */
		assert_int_equal(light[0][i], 1);
		assert_int_equal(light[i][0], 1);
	}
	QRcode_free(q);
	/* 2. decode with zbarimg from a PBM (dark = 1), 4 px per module, wider margin */
	char path[] = "/tmp/sosafe-qr-XXXXXX.pbm";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	FILE *img = fdopen(fd, "w");
	const int scale = 4, margin = 4;
	int side = (w + 2 * margin) * scale;
	fprintf(img, "P1\n%d %d\n", side, side);
	for (int py = 0; py < side; py++) {
		for (int px = 0; px < side; px++) {
			int mx = px / scale - margin, my = py / scale - margin;
			int dark = mx >= 0 && my >= 0 && mx < w && my < w && !light[my][mx];
			fputs(dark ? "1 " : "0 ", img);
		}
		fputc('\n', img);
	}
	fclose(img);
	char cmd[256], out[1024] = "";
	snprintf(cmd, sizeof(cmd), "zbarimg --quiet --raw '%s' 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	unlink(path);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	printf("# zbarimg: %s\n", out);
	assert_int_equal(rc, 0);
	assert_string_equal(out, uri);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
