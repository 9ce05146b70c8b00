# A small service-like workload for the pymfrag demo: it fills a cache
# with many small records, evicts nine in ten (the request-scoped ones),
# and keeps the rest.  The freed blocks cannot go back to the OS because
# every pool still holds a few survivors: the classic pymalloc
# high-water-mark pattern.  Prints "ready PID" and waits to be stopped.
import os
import sys
import time


class Record(object):
    __slots__ = ("key", "value", "ts")

    def __init__(self, key, value):
        self.key = key
        self.value = value
        self.ts = 0.0


def main():
    cache = {}
    for i in range(400000):
        cache[i] = Record("k%d" % i, float(i))
    # Evict the request-scoped 90%.
    for i in range(400000):
        if i % 10:
            del cache[i]
    sys.stdout.write("ready %d\n" % os.getpid())
    sys.stdout.flush()
    deadline = time.time() + 600
    while time.time() < deadline:
        time.sleep(1)


main()
