# Checks pymfrag's pinning tables against the target's own census:
#
#   python check_census.py REPORT.json CENSUS [--exact NAME]... [--show]
#
# CENSUS has one "ID TYPENAME" line per object the target could reach
# (py/census.py).  The objects lying in pinned arenas are counted per
# type; pymfrag's table of what pins the arenas (analysis.pinned.types)
# must name at least 99% of them with their type, for every type: a type
# with fewer than 100 such objects may miss one.  Each type NAME given
# with --exact (the target's own classes, reachable only through the
# census) must be counted exactly: more would be stale or free blocks
# counted as live.  The per-arena tables must sum to the pinned table.
# Every pinned arena must have been read.
# Prints the table; exits 1 when a check fails.
import json
import sys
from bisect import bisect_right
from collections import Counter

args = sys.argv[1:]
exact = []
while "--exact" in args:
    i = args.index("--exact")
    exact.append(args[i + 1])
    del args[i:i + 2]
show = "--show" in args
if show:
    args.remove("--show")
report, census = args
with open(report) as f:
    d = json.load(f)
an = d.get("analysis")
fails = []
if not an:
    print("check_census: no analysis in the report")
    sys.exit(1)
A = d["arena_size"]
arenas = d["arena_list"]
pinned = sorted(a["address"] for a in arenas if a["pinned"])
unread = [a for a in arenas if a["pinned"] and "types" not in a]
if unread:
    fails.append("%d of %d pinned arenas were not read"
                 % (len(unread), len(pinned)))


def in_pinned(addr):
    i = bisect_right(pinned, addr) - 1
    return i >= 0 and addr < pinned[i] + A


want = Counter()
total = 0
with open(census) as f:
    for line in f:
        k, name = line.rstrip("\n").split(" ", 1)
        total += 1
        if in_pinned(int(k)):
            want[name] += 1
got = Counter()
for t in an["pinned"]["types"]:
    got[t["name"]] += t["count"]
summed = Counter()
for a in arenas:
    if a["pinned"]:
        for t in a.get("types", []):
            summed[t["name"]] += t["count"]
if summed != got:
    fails.append("the per-arena tables do not sum to the pinned table")

named = sum(min(got[n], w) for n, w in want.items())
inside = sum(want.values())
print("check_census: %d census objects, %d in %d pinned arenas, "
      "%d named (%.2f%%)" % (total, inside, len(pinned), named,
                             100.0 * named / max(1, inside)))
for name, w in sorted(want.items(), key=lambda kv: -kv[1]):
    g = got[name]
    low = w - 1 if w < 100 else -(-w * 99 // 100)
    bad = g < low or (name in exact and g != w)
    if bad:
        fails.append("%s: %d named, %d in the census" % (name, g, w))
    if show or bad:
        print("  %-40s census %8d  pymfrag %8d%s"
              % (name[:40], w, g, "  <-" if bad else ""))
for name in exact:
    if want[name] == 0:
        fails.append("%s: no census object in a pinned arena" % name)
if show:
    for name in ("<non-object>", "<free-listed>", "<unknown>"):
        print("  %-40s %26d" % (name, got[name]))
    for name, g in got.most_common():
        if name not in want and not name.startswith("<"):
            print("  %-40s not in census %8d" % (name[:40], g))
for msg in fails:
    print("check_census: " + msg)
sys.exit(1 if fails else 0)
