# bench/embed.py CALLS HEAP: the measuring side of bench/embed (run with
# the module pymfrag on sys.path).  Prints one block of results.
import os
import sys
import time

import pymfrag


def parse_size(s):
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if s[-1].upper() in mult:
        return int(float(s[:-1]) * mult[s[-1].upper()])
    return int(s)


class Rec(object):
    __slots__ = ("a", "b")


def build_heap(arena_bytes):
    # Fragmented like a cache after eviction: one object in eight kept,
    # spread over all pools.  A 48-byte-class object is ~56 bytes with its
    # pool share; build until the arenas hold about ARENA_BYTES.
    n = max(1000, arena_bytes // 64)
    objs = [Rec() for _ in range(n)]
    kept = objs[::8]
    del objs
    return kept


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def in_use(s):
    return sum(c["blocks_in_use"] for c in s["size_classes"])


def per_call(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def main():
    calls = int(sys.argv[1])
    keep = build_heap(parse_size(sys.argv[2]))
    st = pymfrag.stats
    s0 = st()
    print("python %s, %d arenas, %d pools in use, %d blocks in use"
          % (s0["python"]["version"], s0["arenas"]["current"],
             sum(c["pools"] for c in s0["size_classes"]), in_use(s0)))
    for line in pymfrag.notes().splitlines():
        if line.startswith("maps: "):
            print(line)
    # Warm up: the interpreter's caches settle within ~500 calls (some
    # 100 blocks on 3.11), the C heap's free lists too.
    for _ in range(1000):
        st()
    rss0, blk0, pm0 = rss(), sys.getallocatedblocks(), in_use(st())
    t0 = time.perf_counter()
    for _ in range(calls):
        st()
    total = time.perf_counter() - t0
    rss1, blk1, pm1 = rss(), sys.getallocatedblocks(), in_use(st())
    print("leak: %d x stats() in %.2f s" % (calls, total))
    print("  RSS                      %12d -> %12d  (%+d bytes)"
          % (rss0, rss1, rss1 - rss0))
    print("  sys.getallocatedblocks() %12d -> %12d  (%+d)"
          % (blk0, blk1, blk1 - blk0))
    print("  pymalloc blocks in use   %12d -> %12d  (%+d)"
          % (pm0, pm1, pm1 - pm0))

    devnull = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    os.dup2(devnull, 2)
    dms = sys._debugmallocstats
    rep = pymfrag.report
    n = max(100, calls // 10)
    # Interleaved rounds, so that a noisy neighbour hits all alike.
    res = {"dms": [], "stats": [], "stats_noproc": [], "report_dms": []}
    for _ in range(5):
        res["dms"].append(per_call(dms, n))
        res["stats"].append(per_call(st, n))
        res["stats_noproc"].append(per_call(lambda: st(process=False), n))
        res["report_dms"].append(per_call(lambda: rep("debugmallocstats"), n))
    os.dup2(saved, 2)
    med = {k: sorted(v)[len(v) // 2] for k, v in res.items()}
    base = med["dms"]
    print("cost per call (median of 5 interleaved rounds of %d calls):" % n)
    for k, label in (("dms", "sys._debugmallocstats() > /dev/null"),
                     ("stats", "pymfrag.stats()"),
                     ("stats_noproc", "pymfrag.stats(process=False)"),
                     ("report_dms", "pymfrag.report('debugmallocstats')")):
        print("  %-38s %8.1f us  %5.2fx" % (label, med[k] * 1e6,
                                            med[k] / base))
    del keep


main()
