"""A heap with a known answer for the fragmentation analysis.

    pinned.py N CLASSNAME ORACLE IDS [free]

Allocates N instances of a slotted class named CLASSNAME, keeps one in
every pool's worth (the stride is the number of blocks a pool holds, so
one instance per pool survives), frees the rest, and writes the kept
instances' addresses (id()) to IDS.  With "free", keeps none.  Then, as
target.py does, prints a marker line on stdout and its own
sys._debugmallocstats() to ORACLE, and sleeps without allocating.
"""
import gc
import os
import sys
import time

n, name, oracle, ids = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
free_all = len(sys.argv) > 5 and sys.argv[5] == "free"
gc.disable()
cls = type(name, (), {"__slots__": ("a",)})
probe = cls()
# Geometry: 16 KiB pools from 3.10 on, 4 KiB before; 48-byte headers;
# blocks are the object's size (GC head included) rounded up to 16.
pool = 16384 if sys.version_info >= (3, 10) else 4096
block = (sys.getsizeof(probe) + 15) // 16 * 16
stride = (pool - 48) // block
del probe
objs = [cls() for _ in range(n)]
kept = [] if free_all else objs[::stride]
del objs
with open(ids, "w") as f:
    f.write("".join("%d\n" % id(o) for o in kept))
n = 19 if sys.version_info < (3, 11) else 20
sys.stdout.write("marker: free %d-sized PyTupleObjects\n" % n)
sys.stdout.flush()
fd = os.open(oracle, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
os.dup2(fd, 2)
stats = sys._debugmallocstats
sleep = time.sleep
stats()
sleep(600)
