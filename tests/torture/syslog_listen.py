#!/usr/bin/env python3
"""Private syslog for tests: bind a datagram socket at PATH (normally
/dev/log inside a private mount namespace) and append every message to
OUTFILE as one line. A raw control byte in a message is written as
[[RAW-NN]], which no escaping by the module can produce, so a test can
tell a log injection from a properly escaped \\xNN."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    f.write("# listening\n")
    while True:
        data = s.recv(65536)
        text = "".join(chr(b) if 0x20 <= b < 0x7f or b >= 0x80 else "[[RAW-%02x]]" % b
                       for b in data.rstrip(b"\n\0"))
        f.write(text + "\n")
