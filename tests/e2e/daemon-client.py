#!/usr/bin/python3
"""Hostile clients of sosafed for the daemon-*.test suites, run as an
unprivileged user. Each command prints one line of key=value counts.

  su-stop STATE_DIR N PIDFILE         start `su root` on a pty and SIGSTOP it at
                                      a random moment until N were caught
                                      running; then hold the ptys until killed
  client-stop STATE_DIR N PIDFILE USER
                                      direct clients of the socket, SIGSTOPped
                                      at a random moment of their request,
                                      until N were caught unfinished
  stall STATE_DIR N SECONDS USER      N connections that send nothing or half
                                      a frame; when did the daemon close them
  flood STATE_DIR SECONDS USER        whole requests as fast as they go

The moments are random or timed on what an unprivileged user can observe:
the state dir is searchable, so stat() of state.db-wal shows a write
transaction, and the socket is there to connect to. Stopped processes stay
stopped; their PIDs go to PIDFILE, one a line, for the suite to kill."""

import errno
import os
import pty
import random
import resource
import select
import signal
import socket
import struct
import sys
import time

SD_PROTO_VERSION = 1
SD_PING, SD_OTP = 1, 4
SDT_USER, SDT_SERVICE, SDT_ANSWER = 1, 2, 10
SDT_VERDICT = 64
VERDICTS = ["allow", "deny", "deny-as-failure", "expired", "unavailable", "busy", "bad-request"]


def frame(kind, fields):
    payload = bytes([SD_PROTO_VERSION, kind])
    for tag, value in fields:
        payload += struct.pack(">BH", tag, len(value)) + value
    return struct.pack(">I", len(payload)) + payload


def otp_request(user):
    return frame(SD_OTP, [(SDT_USER, user.encode()), (SDT_SERVICE, b"daemon-attack"),
                          (SDT_ANSWER, b"000000")])


def verdict(reply):
    """The verdict name of a whole reply frame, or what went wrong."""
    if len(reply) < 6:
        return "no-reply"
    p = reply[4:]
    i = 2
    while i + 3 <= len(p):
        tag, n = struct.unpack(">BH", p[i:i + 3])
        if tag == SDT_VERDICT and n == 8:
            v = struct.unpack(">q", p[i + 3:i + 11])[0]
            return VERDICTS[v] if 0 <= v < len(VERDICTS) else "verdict-%d" % v
        i += 3 + n
    return "no-verdict"


def connect(state_dir):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(state_dir, "sosafed.sock"))
    return s


def observe(state_dir):
    """What changes while the daemon works: the WAL's size and mtime."""
    try:
        st = os.stat(os.path.join(state_dir, "state.db-wal"))
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return None


def wait_for_change(state_dir, limit):
    before = observe(state_dir)
    end = time.monotonic() + limit
    while time.monotonic() < end and observe(state_dir) == before:
        pass


def read_until(fd, needle, limit):
    seen = b""
    end = time.monotonic() + limit
    while needle not in seen and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not r:
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return needle in seen


def stop(pid, pids):
    """SIGSTOP PID and note it in PIDS; 1 when it was caught still running
    (stopped, not already finished)."""
    pids.write("%d\n" % pid)
    pids.flush()
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return 0
    end = time.monotonic() + 1
    while time.monotonic() < end:
        try:
            with open("/proc/%d/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return 0
        if state in "TZX":
            return 1 if state == "T" else 0
        time.sleep(0.001)
    return 0


def su_stop(state_dir, tries, pidfile):
    su = "/bin/su" if os.path.exists("/bin/su") else "/usr/bin/su"
    masters = []  # kept open: a hang-up would send SIGCONT to the stopped su
    stopped = 0
    with open(pidfile, "a") as pids:
        i = 0
        while stopped < tries and i < 3 * tries:
            i += 1
            pid, fd = pty.fork()
            if pid == 0:
                os.execve(su, ["su", "root", "-c", "true"], {"PATH": "/usr/bin:/bin", "LANG": "C"})
            way = i % 4
            if way == 0:  # anywhere in the first moments: open, preauth
                time.sleep(random.uniform(0, 0.2))
            elif way == 1:  # the instant the daemon writes (preauth's commit)
                wait_for_change(state_dir, 0.5)
            else:  # after the wrong password: the check, the delay
                if read_until(fd, b"assword", 5):
                    os.write(fd, b"not-the-root-password\n")
                if way == 2:
                    time.sleep(random.uniform(0, 0.05))
                else:
                    wait_for_change(state_dir, 0.3)
            stopped += stop(pid, pids)
            masters.append(fd)
    print("tries=%d stopped=%d" % (i, stopped), flush=True)
    # closing the masters would hang up the ptys: SIGHUP and SIGCONT
    signal.pause()


def client_stop(state_dir, tries, pidfile, user):
    req = otp_request(user)
    stopped = 0
    with open(pidfile, "a") as pids:
        i = 0
        while stopped < tries and i < 3 * tries:
            i += 1
            cut = random.randrange(0, len(req) + 1)
            pid = os.fork()
            if pid == 0:
                try:
                    s = connect(state_dir)
                    s.sendall(req[:cut])
                    # a pause longer than the parent's sleep below: an
                    # odd try catches the client holding a partial frame
                    # (or an unread reply)
                    time.sleep(random.uniform(0.05, 0.1))
                    s.sendall(req[cut:])
                    s.recv(65536)
                finally:
                    os._exit(0)
            if i % 2:
                time.sleep(random.uniform(0, 0.045))
            else:  # the instant the daemon writes (its commit of the attempt)
                wait_for_change(state_dir, 0.2)
            stopped += stop(pid, pids)
    print("tries=%d stopped=%d" % (i, stopped))


def stall(state_dir, n, seconds, user):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 64)), hard))
    half = otp_request(user)
    half = half[:len(half) // 2]
    opened = {}
    refused = 0
    for i in range(n):
        try:
            s = connect(state_dir)
            if i % 2:
                s.sendall(half)
        except OSError:
            refused += 1
            continue
        opened[s.fileno()] = (s, time.monotonic())
    start = time.monotonic()
    closed_after = []
    poller = select.poll()
    for fd in opened:
        poller.register(fd, select.POLLIN)
    while opened and time.monotonic() - start < seconds:
        for fd, _ in poller.poll(100):
            s, t = opened.pop(fd)
            poller.unregister(fd)
            closed_after.append(time.monotonic() - t)
            s.close()
    print("opened=%d refused=%d closed=%d still_open=%d max_close_s=%.1f" % (
        n - refused, refused, len(closed_after), len(opened), max(closed_after, default=0)))


def flood(state_dir, seconds, user):
    counts = {}
    req = otp_request(user)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s = connect(state_dir)
        except OSError as e:
            v = "connect-" + errno.errorcode.get(e.errno, "?")
        else:
            s.settimeout(10)
            try:
                s.sendall(req if random.random() < 0.5 else frame(SD_PING, []))
            except OSError:
                pass  # refused at once: the answer is already waiting
            reply = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
            v = verdict(reply)
            s.close()
        counts[v] = counts.get(v, 0) + 1
    print(" ".join("%s=%d" % kv for kv in sorted(counts.items())) or "none=0")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "su-stop" and len(argv) == 5:
        su_stop(argv[2], int(argv[3]), argv[4])
    elif cmd == "client-stop" and len(argv) == 6:
        client_stop(argv[2], int(argv[3]), argv[4], argv[5])
    elif cmd == "stall" and len(argv) == 6:
        stall(argv[2], int(argv[3]), float(argv[4]), argv[5])
    elif cmd == "flood" and len(argv) == 5:
        flood(argv[2], float(argv[3]), argv[4])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
