"""A heap whose composition the target itself states: the ground truth
for naming what pins arenas.

    census.py CENSUS READY [--scale K] [--load]

Builds, interleaved so that they share pools and arenas, heaps of the
kinds users have:

  - slotted records, each holding a str and a float (Rec);
  - instances of an ordinary class (Plain: a managed dict, or inline
    values on 3.13+), of which exactly 750 survive (Sparse750);
  - a mix of C-extension heap types (decimal.Decimal), containers (list,
    dict, set, frozenset, collections.OrderedDict), bytes and tuples;

then frees most of it (a fixed pattern), collects garbage, and writes
CENSUS: one line "ID TYPENAME" for every object reachable from
gc.get_objects() through gc.get_referents(), TYPENAME being the type's
module and qualified name as CPython shows them (repr(type) without
"<class '...'>").  The census is freed before the target goes quiet.
Then it writes READY (a marker for the harness) and sleeps, allocating
nothing.  With --load a thread keeps allocating and freeing objects of a
class of its own (Churn, and floats and tuples it makes) while pymfrag
reads: the census objects themselves never change.
"""
import gc
import os
import sys
import threading
import time
from collections import OrderedDict
from decimal import Decimal

from target import die_with_parent  # the harness's own helper

args = sys.argv[1:]
load = "--load" in args
if load:
    args.remove("--load")
scale = 1
if "--scale" in args:
    i = args.index("--scale")
    scale = int(args[i + 1])
    del args[i:i + 2]
census_path, ready_path = args[0], args[1]


class Rec(object):
    __slots__ = ("name", "value")

    def __init__(self, name, value):
        self.name = name
        self.value = value


class Plain(object):
    def __init__(self, i):
        self.i = i
        self.tag = "p"


class Sparse750(object):
    def __init__(self, i):
        self.i = i


class Churn(object):
    __slots__ = ("a", "b")


def build(n):
    """Every kind at once, so that they share pools and arenas."""
    out = []
    for i in range(n):
        k = i % 12
        if k == 0:
            out.append(Rec("r%d" % i, i * 0.5))
        elif k == 1:
            out.append(Plain(i))
        elif k == 2:
            out.append(Decimal(i) / 7)
        elif k == 3:
            out.append([i, i + 1, "l%d" % i])
        elif k == 4:
            out.append({"k": i, "v": i + 1})
        elif k == 5:
            out.append({i, i + 1})
        elif k == 6:
            out.append(frozenset((i, -i, i + 2)))
        elif k == 7:
            out.append(b"b" * (i % 200))
        elif k == 8:
            out.append((i, "t%d" % i, float(i)))
        elif k == 9:
            out.append(OrderedDict(a=i))
        elif k == 10:
            out.append(Rec("s%d" % (i * 3), -float(i)))
        else:
            out.append("u%d" % i * (1 + i % 5))
    return out


def main():
    die_with_parent()
    gc.disable()
    n = 240000 * scale
    objs = build(n)
    sparse = [Sparse750(i) for i in range(7500 * scale)]
    # Nine in ten freed (one kept in eleven of each kind, offset so
    # that every kind survives), and exactly 750 Sparse750.
    kept = objs[::11]
    kept_sparse = sparse[:: 10 * scale][:750]
    del objs, sparse
    gc.collect()
    gc.collect()
    seen = {}
    todo = gc.get_objects()
    ids = {id(todo)}
    ids.add(id(seen))
    ids.add(id(ids))
    # Breadth first through the referents: untracked tuples, strings,
    # floats and ints are found through what holds them.
    while todo:
        nxt = []
        for o in todo:
            k = id(o)
            if k in seen or k in ids:
                continue
            t = type(o)
            mod = getattr(t, "__module__", "builtins")
            qn = getattr(t, "__qualname__", t.__name__)
            seen[k] = qn if mod == "builtins" else "%s.%s" % (mod, qn)
            nxt.extend(gc.get_referents(o))
        todo = nxt
    with open(census_path + ".tmp", "w") as f:
        f.write("".join("%d %s\n" % kv for kv in seen.items()))
    os.rename(census_path + ".tmp", census_path)
    del seen, todo, nxt, ids, o
    gc.collect()
    sleep = time.sleep
    if load:
        def churn():
            box = []
            while True:
                for j in range(2000):
                    c = Churn()
                    c.a = j * 1.5
                    c.b = (j, j)
                    box.append(c)
                del box[:]
        threading.Thread(target=churn, daemon=True).start()
    with open(ready_path, "w") as f:
        f.write("ready\n")
    while True:
        sleep(600)


main()
