#!/usr/bin/env python3
"""Filter static-analysis findings of tests/hardening/static.sh.

    static_filter.py tidy FILE        clang-tidy output -> remaining findings
    static_filter.py scanbuild DIR    scan-build HTML reports -> remaining findings

Prints one line per finding that is NOT suppressed and exits 1 if any.
A finding is suppressed only for a reason written next to the code:

* the flagged line carries NOLINT(clang-analyzer-...) or the line before it
  NOLINTNEXTLINE(clang-analyzer-...) with a justification (scan-build has no
  suppression syntax of its own; it runs the same analyzer as clang-tidy's
  clang-analyzer-* checks, so both honour the same comment);
* "Potential leak of memory pointed to by 'X'" where X is declared in the
  same function with a _cleanup_*_ attribute: clang 14's analyzer does not
  model __attribute__((cleanup)) (support arrived in clang 17), so every
  such variable looks leaked. The attribute is how this project frees.
"""
import glob
import html
import re
import sys

CLEANUP_DECL = r"_cleanup_[a-z]+_\b[^;=]*\b{}\s*="


def source_lines(path, cache={}):
    if path not in cache:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                cache[path] = f.read().split("\n")
        except OSError:
            cache[path] = []
    return cache[path]


def nolint(path, line):
    lines = source_lines(path)
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    prev = lines[line - 2] if 1 < line <= len(lines) + 1 else ""
    return ("NOLINT(clang-analyzer-" in here or "NOLINTNEXTLINE(clang-analyzer-" in prev)


def cleanup_leak(path, line, desc):
    m = re.search(r"Potential (?:leak of )?memory (?:pointed to by|leak)[^']*'(\w+)'", desc)
    if not m:
        return False
    var = m.group(1)
    lines = source_lines(path)
    # walk back to the start of the enclosing function (a '{' in column 0)
    i = min(line, len(lines)) - 1
    while i >= 0 and not lines[i].startswith("{"):
        if re.search(CLEANUP_DECL.format(re.escape(var)), lines[i]):
            return True
        i -= 1
    return False


def suppressed(path, line, desc):
    return nolint(path, line) or cleanup_leak(path, line, desc)


def tidy(out_file):
    left = []
    pat = re.compile(r"^(/[^:]+):(\d+):\d+: (?:warning|error): (.*)$")
    with open(out_file, encoding="utf-8", errors="replace") as f:
        for row in f:
            m = pat.match(row.rstrip("\n"))
            if not m:
                continue
            path, line, desc = m.group(1), int(m.group(2)), m.group(3)
            if "clang-analyzer-" in desc and suppressed(path, line, desc):
                continue
            left.append(row.rstrip("\n"))
    return sorted(set(left))


def scanbuild(report_dir):
    left = []
    for rep in glob.glob(report_dir + "/**/report-*.html", recursive=True):
        with open(rep, encoding="utf-8", errors="replace") as f:
            text = f.read()
        meta = dict(re.findall(r"<!-- (BUG\w+|FUNCTIONNAME) (.*?) -->", text))
        path = meta.get("BUGFILE", "?")
        line = int(meta.get("BUGLINE", "0"))
        desc = html.unescape(meta.get("BUGDESC", ""))
        if suppressed(path, line, desc):
            continue
        left.append("{}:{}: {} [{}]".format(path, line, desc, meta.get("BUGTYPE", "?")))
    return sorted(set(left))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("tidy", "scanbuild"):
        print(__doc__, file=sys.stderr)
        return 2
    left = tidy(sys.argv[2]) if sys.argv[1] == "tidy" else scanbuild(sys.argv[2])
    for row in left:
        print(row)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
