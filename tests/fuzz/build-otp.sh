#!/bin/sh
# Build and run the TOTP fuzzers with clang's libFuzzer + ASan/UBSan.
#   tests/fuzz/build-otp.sh BUILD_DIR [SECONDS]
# (BUILD_DIR is a configured build tree; it provides config.h.)
set -eu
B=${1:?build dir}
SECS=${2:-60}
S=$(cd "$(dirname "$0")/../.." && pwd)
O="$B/tests/fuzz"
mkdir -p "$O"
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I$B -I$S/lib"
LIBSRC="$S/lib/otp_answer.c $S/lib/base32.c $S/lib/otp_import.c $S/lib/totp.c $S/lib/names.c $S/lib/otp_store.c $S/lib/store.c $S/lib/store_schema.c $S/lib/fsutil.c"
LIBS="$(pkg-config --libs liboath sqlite3) -lpthread"
clang $FLAGS -o "$O/fuzz_otp_answer" "$S/tests/fuzz/fuzz_otp_answer.c" $S/lib/otp_answer.c $S/lib/base32.c
clang $FLAGS -o "$O/fuzz_otp_import" "$S/tests/fuzz/fuzz_otp_import.c" $LIBSRC $LIBS
for f in fuzz_otp_answer fuzz_otp_import; do
	mkdir -p "$O/corpus-$f"
	"$O/$f" -max_total_time="$SECS" -max_len=12000 "$O/corpus-$f" 2>&1 | tail -3
done
