# A target whose heap changes when it is told to: each SIGUSR1 moves it to
# the next phase, after which it writes "phase N" to the file named by
# argv[1] and sleeps, allocating nothing, until the next signal.
#   phase 1: build a cache of records (dicts, strings, tuples, floats)
#   phase 2: evict nine in ten of them, so sparse pools and arenas stay
#   phase 3: drop the rest
import signal
import sys
import time

done_file = sys.argv[1]
state = {"phase": 0, "cache": None}


class Record:
    __slots__ = ("key", "value", "tags")

    def __init__(self, i):
        self.key = "k%07d" % i
        self.value = float(i) * 1.5
        self.tags = (i, i + 1)


def step(signum, frame):
    state["phase"] += 1
    p = state["phase"]
    if p == 1:
        state["cache"] = [Record(i) for i in range(120000)]
        state["cache"] += [{"id": i, "name": "n%d" % i} for i in range(60000)]
    elif p == 2:
        state["cache"] = state["cache"][::10]
    else:
        state["cache"] = None
    with open(done_file, "w") as f:
        f.write("phase %d\n" % p)


signal.signal(signal.SIGUSR1, step)
with open(done_file, "w") as f:
    f.write("phase 0\n")
while True:
    time.sleep(3600)
