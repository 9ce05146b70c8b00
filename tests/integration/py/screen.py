# Reads a screen of "pymfrag top" (tmux capture-pane text) and checks it
# against a "pymfrag report --format json" of the same process.
#   screen.py classes SCREEN JSON   the size-class rows and arena count
#   screen.py sorted SCREEN COLUMN  rows sorted by COLUMN, biggest first
#   screen.py arena SCREEN JSON     the drill-down shows the first arena
# Exits 1 with the first difference on standard error.
import json
import re
import sys

ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%")
COLS = {"class": 0, "size": 1, "pools": 2, "used": 3, "avail": 4}


def last_screen(text):
    """A batch run prints frames one after another: the last counts."""
    lines = text.splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith("pymfrag ")]
    return "\n".join(lines[starts[-1]:] if starts else lines)


def rows(text):
    out = []
    for line in last_screen(text).splitlines():
        m = ROW.match(line)
        if m:
            out.append(tuple(int(m.group(i)) for i in range(1, 6)))
    return out


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def main():
    what, screen = sys.argv[1], open(sys.argv[2]).read()
    if what == "sorted":
        col = COLS[sys.argv[3]]
        got = [r[col] for r in rows(screen)]
        if len(got) < 2 or got != sorted(got, reverse=True):
            fail("not sorted by %s: %s" % (sys.argv[3], got))
        return
    rep = json.load(open(sys.argv[3]))
    if what == "classes":
        want = [(c["index"], c["size"], c["pools"], c["blocks_in_use"],
                 c["blocks_available"]) for c in rep["size_classes"]
                if c["pools"] > 0]
        got = sorted(rows(screen))
        if got != want:
            fail("size classes differ:\n screen %s\n report %s" % (got, want))
        m = re.search(r"^arenas (\d+) / hw (\d+)", last_screen(screen), re.M)
        if not m:
            fail("no arena count on the screen")
        a = rep["arenas"]
        if (int(m.group(1)), int(m.group(2))) != (a["current"], a["highwater"]):
            fail("arenas: screen %s/%s, report %d/%d" %
                 (m.group(1), m.group(2), a["current"], a["highwater"]))
        return
    if what == "arena":
        a = rep["arena_list"][0]
        head = "ARENA #%d 0x%x" % (a["index"], a["address"])
        if head not in screen:
            fail("no '%s' on the screen" % head)
        pools = ("pools %d: used %d (full %d)  empty %d  untouched %d" %
                 (a["pools_total"], a["pools_used"], a["pools_full"],
                  a["pools_empty"], a["pools_untouched"]))
        if pools not in screen:
            fail("no '%s' on the screen" % pools)
        listed = len(re.findall(r"^\s*\d+\s+\d+\s+\d+\s+\d+/\d+", screen, re.M))
        if listed == 0:
            fail("no pool listed")
        if "TYPE" not in screen or "reading its objects" in screen:
            fail("the arena's objects are not shown")
        return
    fail("unknown check " + what)


main()
