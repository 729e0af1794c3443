/* A QR code in the terminal with UTF-8 half blocks: each text row shows two
 * module rows. Light modules are drawn (full/half blocks in the terminal's
 * foreground colour), dark modules are blank, with a 2-module quiet zone;
 * this is what reads right on the usual light-on-dark terminal. */
#ifndef SOSAFECTL_QR_TERM_H
#define SOSAFECTL_QR_TERM_H
#include <stdio.h>

#define QR_QUIET 2

/* Encode TEXT (error correction M) and write the picture to OUT. Returns 0 or -1. */
int qr_print_utf8(const char *text, FILE *out);

#endif
