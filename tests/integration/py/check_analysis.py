# Checks the fragmentation analysis of a pymfrag JSON report against
# what is known about the target independently:
#
#   python check_analysis.py REPORT.json PID CLASSNAME IDS
#
# - the residency partition has CPython's byte partition's sizes and
#   sums to the arenas' bytes;
# - per arena, resident bytes equal a fresh read of /proc/PID/pagemap,
#   and never-touched pools have no page in RAM;
# - the histogram, packed arenas, stranded bytes, pinned and stranded
#   arenas follow from the per-arena and per-class figures by their
#   documented formulas; every pinned and stranded arena was read;
# - CLASSNAME heads the types pinning sparse arenas, with exactly as many
#   blocks as the kept instances (IDS) lying in the arenas read;
# - the process memory split adds up to RSS.
# Exits 1 with a message on the first failure.
import json
import struct
import sys

report, pid, name, ids_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
d = json.load(open(report))
ids = [int(x) for x in open(ids_path).read().split()]
PAGE = 4096


def fail(msg):
    print("check_analysis: " + msg)
    sys.exit(1)


def expect(what, got, want):
    if got != want:
        fail("%s: pymfrag says %r, expected %r" % (what, got, want))


an = d["analysis"]
if an is None:
    fail("no analysis in the report")
if not an["residency_valid"]:
    fail("pagemap was not read")
A, P, OV = d["arena_size"], d["pool_size"], d["pool_overhead"]
b, r = d["bytes"], an["regions"]
expect("live blocks", r["live_blocks"]["bytes"], b["allocated_blocks"])
expect("free blocks", r["free_blocks"]["bytes"], b["available_blocks"])
expect("empty + never-touched pools",
       r["empty_pools"]["bytes"] + r["untouched_pools"]["bytes"],
       b["unused_pools"])
expect("pool headers", r["pool_headers"]["bytes"], b["pool_headers"])
expect("quantization", r["quantization"]["bytes"], b["quantization"])
expect("alignment", r["alignment"]["bytes"], b["arena_alignment"])
expect("total", an["total"]["bytes"], b["total"])
expect("total is the sum of the regions", an["total"]["resident_bytes"],
       sum(x["resident_bytes"] for x in r.values()))
expect("never-touched pools in RAM", r["untouched_pools"]["resident_bytes"], 0)

arenas = d["arena_list"]
expect("arena_list length", len(arenas), d["arenas"]["current"])
with open("/proc/%d/pagemap" % pid, "rb") as pm:
    def pages(addr, n):
        pm.seek(addr // PAGE * 8)
        raw = pm.read(8 * n)
        return [struct.unpack_from("<Q", raw, 8 * k)[0] for k in range(n)]

    resident_total = 0
    for a in arenas:
        ents = pages(a["address"], A // PAGE)
        res = sum(PAGE for e in ents if e >> 63 & 1)
        expect("resident bytes of arena 0x%x" % a["address"],
               a["resident_bytes"], res)
        resident_total += res
        base = -(-a["address"] // P) * P
        first = base + (a["pools_total"] - a["pools_untouched"]) * P
        end = base + a["pools_total"] * P
        if first < end:
            ents = pages(first, (end - first) // PAGE)
            if any(e >> 63 & 1 for e in ents):
                fail("arena 0x%x: a never-touched pool has a page in RAM"
                     % a["address"])
expect("resident arena bytes", an["total"]["resident_bytes"], resident_total)

hist = [0] * 10
for a in arenas:
    hist[min(9, a["bytes_live"] * 10 // A)] += 1
expect("histogram", an["histogram"], hist)

pools = 0
for c in d["size_classes"]:
    nb = (P - OV) // c["size"]
    pools += -(-c["blocks_in_use"] // nb)
ppa = min([a["pools_total"] for a in arenas] + [A // P])
packed = -(-pools // ppa)
expect("packed arenas", an["packed_arenas"], packed)
expect("stranded bytes", an["stranded_bytes"],
       max(0, d["arenas"]["current"] - packed) * A)

below = an["pinned"]["below"]
pinned = [a for a in arenas if a["blocks_live"] > 0 and a["bytes_live"] < below * A]
expect("pinned arenas", an["pinned"]["arenas"], len(pinned))
for a in arenas:
    expect("arena 0x%x pinned" % a["address"], a["pinned"], a in pinned)
examined = [a for a in arenas if "types" in a]
expect("pinned arenas read", an["pinned"]["examined"],
       sum(1 for a in examined if a["pinned"]))
expect("every pinned arena read", an["pinned"]["examined"], len(pinned))
# The stranded arenas: the (current - packed) least utilized, by address
# among equals; read unless empty.
order = sorted(arenas, key=lambda a: (a["bytes_live"], a["address"]))
k = an["stranded_bytes"] // A
expect("stranded arenas", an["stranded"]["arenas"], k)
for i, a in enumerate(order):
    expect("arena 0x%x stranded" % a["address"], a["stranded"], i < k)
expect("stranded arenas read or empty", an["stranded"]["examined"],
       sum(1 for a in order[:k] if "types" in a or a["blocks_live"] == 0))
for a in examined:
    if not (a["pinned"] or a["stranded"]):
        fail("arena 0x%x read though neither pinned nor stranded"
             % a["address"])

if ids:
    types = an["pinned"]["types"]
    if not types or types[0]["name"] != name:
        fail("%s does not head the pinning types: %r" % (name, types[:3]))
    inside = sum(1 for i in ids for a in examined
                 if a["address"] <= i < a["address"] + A)
    expect(name + " blocks in the arenas read", types[0]["count"], inside)
    if inside == 0:
        fail("no kept instance lies in an arena that was read")
    per_arena = sum(t["count"] for a in examined for t in a["types"]
                    if t["name"] == name)
    expect(name + " summed over the arenas", per_arena, inside)

p = d["process"]
if p is None or p["split"] is None:
    fail("no process memory split")
s = p["split"]
expect("split adds up to RSS",
       s["arena_bytes"] + s["other_anon_bytes"] + s["stack_bytes"] + s["file_bytes"],
       p["rss_bytes"])
if not (s["arena_bytes"] > 0 and s["uss_bytes"] <= p["rss_bytes"]):
    fail("implausible split: %r" % s)
print("check_analysis: %d arenas, %d pinned, %d read, %d kept instances"
      % (len(arenas), len(pinned), len(examined), len(ids)))
