# Checks a pymfrag JSON report against CPython's own statistics printed by
# the same quiescent process:
#
#   python check_json.py REPORT.json ORACLE [SUB_ORACLE]
#
# Every number CPython prints must equal the matching JSON field; the
# schema's required keys must be there.  Exits 1 with a message on the
# first mismatch.
import json
import re
import sys


def parse_oracle(path):
    text = open(path).read()
    start = text.index("Small block threshold")
    text = text[start:]
    out = {"classes": {}, "values": {}}
    m = re.match(r"Small block threshold = (\d+), in (\d+) size classes", text)
    out["threshold"], out["nclasses"] = int(m.group(1)), int(m.group(2))
    for line in text.splitlines():
        row = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", line)
        if row:
            idx, size, pools, used, avail = map(int, row.groups())
            out["classes"][idx] = (size, pools, used, avail)
            continue
        kv = re.match(r"^(.*?)\s*=\s*([\d,]+)$", line)
        if kv:
            label, value = kv.group(1), int(kv.group(2).replace(",", ""))
            if label == "Total" and "total" in out["values"]:
                label = "map total"
            elif label == "Total":
                label = "total"
            elif "unused pools" in label:
                out["unused_count"] = int(label.split()[0])
                label = "unused pools"
            elif "arenas *" in label:
                out["arena_size"] = int(label.split()[3])
                label = "arena bytes"
            out["values"][label] = value
    return out


def fail(msg):
    sys.stderr.write("check_json: %s\n" % msg)
    sys.exit(1)


def eq(what, got, want):
    if got != want:
        fail("%s: JSON has %r, CPython printed %r" % (what, got, want))


def check_interp(report, o, top):
    v = o["values"]
    a = report["arenas"]
    eq("arenas.allocated_total", a["allocated_total"], v["# arenas allocated total"])
    eq("arenas.reclaimed", a["reclaimed"], v["# arenas reclaimed"])
    eq("arenas.highwater", a["highwater"], v["# arenas highwater mark"])
    eq("arenas.current", a["current"], v["# arenas allocated current"])
    b = report["bytes"]
    eq("bytes.allocated_blocks", b["allocated_blocks"], v["# bytes in allocated blocks"])
    eq("bytes.available_blocks", b["available_blocks"], v["# bytes in available blocks"])
    eq("bytes.unused_pools", b["unused_pools"], v["unused pools"])
    eq("bytes.unused_pool_count", b["unused_pool_count"], o["unused_count"])
    eq("bytes.pool_headers", b["pool_headers"], v["# bytes lost to pool headers"])
    eq("bytes.quantization", b["quantization"], v["# bytes lost to quantization"])
    eq("bytes.arena_alignment", b["arena_alignment"], v["# bytes lost to arena alignment"])
    eq("bytes.total", b["total"], v["total"])
    classes = report["size_classes"]
    eq("number of size classes", len(classes), o["nclasses"])
    for c in classes:
        want = o["classes"].get(c["index"])
        if want is None:
            eq("class %d pools" % c["index"], c["pools"], 0)
            continue
        size, pools, used, avail = want
        eq("class %d size" % c["index"], c["size"], size)
        eq("class %d pools" % c["index"], c["pools"], pools)
        eq("class %d blocks_in_use" % c["index"], c["blocks_in_use"], used)
        eq("class %d blocks_available" % c["index"], c["blocks_available"], avail)
        total = used + avail
        if abs(c["utilization"] - (float(used) / total if total else 0.0)) > 1e-5:
            fail("class %d utilization %r" % (c["index"], c["utilization"]))
    m = report["arena_map"]
    if "# arena map mid nodes" in v:
        eq("arena_map.mid_nodes", m["mid_nodes"], v["# arena map mid nodes"])
        eq("arena_map.bot_nodes", m["bot_nodes"], v["# arena map bot nodes"])
        eq("arena_map.total_bytes", m["total_bytes"], v["map total"])
    elif m is not None:
        fail("arena_map should be null for this version")
    if top:
        eq("arena_size", report["arena_size"], o["arena_size"])
        eq("small_request_threshold", report["small_request_threshold"], o["threshold"])


def main():
    report = json.load(open(sys.argv[1]))
    for key in ("schema_version", "python", "allocator", "locate",
                "arena_size", "pool_size", "arenas", "size_classes",
                "bytes", "process", "pause_us"):
        if key not in report:
            fail("missing key %r" % key)
    eq("schema_version", report["schema_version"], 2)
    eq("allocator", report["allocator"], "pymalloc")
    want_version = "%d.%d.%d" % sys.version_info[:3]
    if sys.version_info[3] != "final":
        want_version = report["python"]["version"]  # rc/beta formatting
    eq("python.version", report["python"]["version"], want_version)
    if report["locate"]["method"] not in ("symbols", "debugfile", "table", "scan"):
        fail("locate.method %r" % report["locate"]["method"])
    if report["process"]["rss_bytes"] <= 0 or report["process"]["pss_bytes"] <= 0:
        fail("process memory missing")
    if report["nonblocking"] or report["pause_us"] <= 0:
        fail("a blocking snapshot must report its pause")
    main_oracle = parse_oracle(sys.argv[2])
    check_interp(report, main_oracle, True)
    if len(sys.argv) > 3:
        interps = report.get("interpreters")
        if not interps or len(interps) != 2:
            fail("interpreters[] should list 2 states")
        eq("interpreters[0].interpreter_id", interps[0]["interpreter_id"], 0)
        check_interp(interps[0], main_oracle, False)
        check_interp(interps[1], parse_oracle(sys.argv[3]), False)
    elif "interpreters" in report:
        fail("interpreters[] present with a single state")


main()
