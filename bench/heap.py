# Benchmark target for bench/snapshot: builds a fragmented pymalloc heap of
# about BYTES of arenas, times CPython's own sys._debugmallocstats() on it,
# prints one line of JSON on stdout and then sleeps until killed.
#
#   python heap.py BYTES [RUNS [KEEP]]
#
# BYTES may carry a K, M or G suffix (powers of 1024).  RUNS (default 9)
# is how many times sys._debugmallocstats() is timed.  KEEP (default
# 0.15) is the fraction of objects that survive: at 0.05 nearly every
# arena ends up below pymfrag's 10% pinned threshold.
#
# The heap: small objects of many size classes (instances of a class with
# __slots__, floats, bytes of 0..255 bytes, tuples of 2..58 items) are
# allocated in chunks until the arenas reach BYTES; only then is about 85%
# of them freed at random (fixed seed; KEEP survive).  Nothing is freed while the heap
# grows, so the holes are not refilled: every pool keeps a few live blocks,
# arenas cannot be returned and most pools end up sparse.
#
# Everything per object runs in C (map, itertools, bytes.translate) so that
# 4 GiB builds in well under a minute.  Python 3.6+.
import gc
import itertools
import json
import operator
import os
import random
import re
import sys
import tempfile
import time

KEEP = 0.15            # default fraction of objects that survive
SEED = 20240607
LIFETIME = 30 * 60     # seconds; the target exits by itself after this


def die_with_parent():
    # If bench/snapshot dies, so do we (Linux PR_SET_PDEATHSIG).
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except Exception:
        pass


class Pin(object):
    __slots__ = ("a", "b")


def parse_bytes(text):
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", text, re.I)
    if not m:
        raise SystemExit("heap.py: bad size %r (e.g. 256M, 1G, 4G)" % text)
    mult = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    return int(float(m.group(1)) * mult[m.group(2).upper()])


def capture_stats():
    """Run sys._debugmallocstats() once with fd 2 on a temp file; return
    its text."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        return tmp.read().decode("ascii", "replace")


def arena_stats(text):
    """(arenas allocated current, arena size in bytes) from the text of
    sys._debugmallocstats()."""
    cur = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    size = re.search(r"arenas \* (\d+) bytes/arena", text)
    if not cur or not size:
        raise SystemExit("heap.py: cannot read the arena count from "
                         "sys._debugmallocstats() (no pymalloc?)")
    return int(cur.group(1).replace(",", "")), int(size.group(1))


def random_bytes(rng, n):
    # Deterministic for a given seed, C speed (random.randbytes is 3.9+).
    return rng.getrandbits(8 * n).to_bytes(n, "little")


def table(func):
    return bytes(bytearray(func(i) for i in range(256)))


TUPLE_LEN = table(lambda b: 2 + b * 57 // 256)        # 2..58 items


def keep_mask(keep):
    return table(lambda b: 1 if b < int(round(256 * keep)) else 0)


def build_chunk(rng, n):
    """About n new objects of many size classes, as a list of lists."""
    q = max(n // 8, 1)
    out = []
    # Interleave the kinds in slices so that pools of different size
    # classes share arenas.
    for _ in range(2):
        out.append(list(map(object.__new__, itertools.repeat(Pin, q))))
        base = rng.random()
        out.append(list(map(float.__add__, itertools.repeat(base, q),
                            map(float, range(q)))))
        out.append(list(map(bytes, random_bytes(rng, q))))
        lens = random_bytes(rng, q).translate(TUPLE_LEN)
        out.append(list(map(operator.mul, itertools.repeat((None,)), lens)))
    return out


def build(target, keep):
    rng = random.Random(SEED)
    arenas, arena_size = arena_stats(capture_stats())
    start_arenas = arenas
    chunks = []
    n = 200000
    objects = 0
    per_arena = None      # objects per arena, measured as we go
    while arenas * arena_size < target:
        chunk = build_chunk(rng, n)
        chunks.append(chunk)
        objects += sum(len(c) for c in chunk)
        arenas, _ = arena_stats(capture_stats())
        grown = arenas - start_arenas
        if grown > 0:
            per_arena = float(objects) / grown
            left = target // arena_size - arenas
            # The next chunk fills at most half of what is left (at
            # most 64 MiB of arenas), so we stop close to the target.
            want = max(left // 2, 1)
            want = min(want, (64 << 20) // arena_size)
            n = int(max(8 * 64, min(want * per_arena, 4000000)))
    # Now free all but KEEP of everything, at random.
    mask_table = keep_mask(keep)
    kept = []
    for chunk in chunks:
        for part in chunk:
            mask = random_bytes(rng, len(part)).translate(mask_table)
            kept.append(list(itertools.compress(part, mask)))
        del chunk[:]
    del chunks
    return kept, objects


def main():
    die_with_parent()
    if len(sys.argv) not in (2, 3, 4):
        raise SystemExit("usage: heap.py BYTES [RUNS [KEEP]]")
    target = parse_bytes(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    keep = float(sys.argv[3]) if len(sys.argv) > 3 else KEEP
    if not 0 < keep < 1:
        raise SystemExit("heap.py: KEEP must be between 0 and 1, not %r"
                         % keep)
    gc.disable()          # no collections: faster build, quiet target
    t0 = time.perf_counter()
    kept_lists, objects = build(target, keep)
    build_s = time.perf_counter() - t0
    kept = sum(len(k) for k in kept_lists)

    # Time CPython's own statistics with fd 2 on /dev/null.
    times = []
    sys.stderr.flush()
    null = os.open(os.devnull, os.O_WRONLY)
    saved = os.dup(2)
    try:
        os.dup2(null, 2)
        for _ in range(runs):
            t = time.perf_counter()
            sys._debugmallocstats()
            times.append(time.perf_counter() - t)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    times.sort()
    mid = len(times) // 2
    if len(times) % 2:
        median = times[mid]
    else:
        median = (times[mid - 1] + times[mid]) / 2.0
    arenas, arena_size = arena_stats(capture_stats())

    line = json.dumps({
        "ready": True,
        "pid": os.getpid(),
        "python": "%d.%d.%d" % sys.version_info[:3],
        "target_bytes": target,
        "arenas": arenas,
        "arena_size": arena_size,
        "objects_allocated": objects,
        "objects_kept": kept,
        "build_s": round(build_s, 3),
        "dms_runs": runs,
        "dms_median_us": round(median * 1e6, 1),
        "dms_min_us": round(times[0] * 1e6, 1),
    })
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

    deadline = time.time() + LIFETIME
    while time.time() < deadline:
        time.sleep(1.0)


main()
