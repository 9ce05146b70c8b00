# A target that keeps pymalloc busy: THREADS threads build and drop
# lists, dicts, tuples and strings of varied sizes as fast as they can,
# on top of a heap of about HEAP_MB MiB held for the whole run.
# Prints "ready" once the threads run; then answers on stdin/stdout:
#   ping -> "pong N"  (N: units of work done so far; must keep growing)
#   dms  -> runs sys._debugmallocstats() (to stderr) -> "dms ok"
#   quit -> exits 0
# Usage: hammer.py HEAP_MB THREADS
import sys
import threading

heap_mb = int(sys.argv[1])
nthreads = int(sys.argv[2])

# About 1 MiB per 6,000 small tuples holding a small string and an int.
held = [("x" * (i % 40), i) for i in range(heap_mb * 6000)]

done = [0] * nthreads


def work(slot):
    keep = []
    i = slot
    while True:
        i += 1
        n = i % 61
        items = [(j, "s" * (j % 23)) for j in range(n)]
        d = {k: v for k, v in items}
        t = tuple(items[: n // 2])
        keep.append((d, t, bytes(n * 3)))
        if len(keep) > 300:
            del keep[: 150 + i % 100]
        done[slot] += 1


for k in range(nthreads):
    threading.Thread(target=work, args=(k,), daemon=True).start()

sys.stdout.write("ready\n")
sys.stdout.flush()
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "ping":
        sys.stdout.write("pong %d\n" % sum(done))
    elif cmd == "dms":
        sys._debugmallocstats()
        sys.stderr.flush()
        sys.stdout.write("dms ok\n")
    elif cmd == "quit":
        break
    sys.stdout.flush()
