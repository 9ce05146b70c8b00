# check_inproc.py OUTSIDE.json INSIDE.json: pymfrag.stats() taken inside
# a quiescent process must equal `pymfrag report --format json` taken of
# it from outside: the same keys (one schema), the same allocator state
# (size classes, arenas, bytes, free lists...).  What may differ is what
# describes the taking: time, walk and pause times, how it was taken, the
# process's memory (the in-process side reads /proc after the other).
import json
import sys

# Keys that describe the taking, not the heap.
TAKING = {"time", "walk_us", "pause_us", "threads_stopped", "nonblocking",
          "in_process", "process", "retries", "locate", "guard"}


def fail(msg):
    print("check_inproc: " + msg)
    sys.exit(1)


def main():
    out = json.load(open(sys.argv[1]))
    ins = json.load(open(sys.argv[2]))
    if sorted(out) != sorted(ins):
        fail("keys differ: outside only %s, inside only %s"
             % (sorted(set(out) - set(ins)), sorted(set(ins) - set(out))))
    if ins["in_process"] is not True or out["in_process"] is not False:
        fail("in_process: inside %r, outside %r"
             % (ins["in_process"], out["in_process"]))
    if not ins["nonblocking"] or ins["threads_stopped"] != 0:
        fail("an in-process snapshot stopped threads")
    if ins["pools_failed_validation"] != 0:
        fail("in-process: %d pools failed validation"
             % ins["pools_failed_validation"])
    # The locate method and addresses are the heap's; only the time
    # locating took differs.
    for k in ("method", "addresses"):
        if out["locate"][k] != ins["locate"][k]:
            fail("locate.%s: outside %r, inside %r"
                 % (k, out["locate"][k], ins["locate"][k]))
    if sum(c["blocks_in_use"] for c in ins["size_classes"]) == 0:
        fail("no block in use: not a real heap")
    n = 0
    for k in sorted(out):
        if k in TAKING:
            continue
        n += 1
        if out[k] != ins[k]:
            if k == "size_classes":
                for a, b in zip(out[k], ins[k]):
                    if a != b:
                        fail("size class %d: outside %r, inside %r"
                             % (a["index"], a, b))
            fail("%s: outside %r, inside %r" % (k, out[k], ins[k]))
    print("check_inproc: %d keys equal" % n)


main()
