# A test target: builds a known heap, prints CPython's own allocator
# statistics (the oracle) and then stays still until killed.
#
#   python target.py HEAP ORACLE
#
# HEAP is one of the builders below.  The script writes "marker: LINE" on
# stdout, LINE being the last line the oracle will contain; the harness
# waits for that line to appear in ORACLE.  After the print nothing may
# allocate or free: the process only calls sleep() (one argument) until
# the harness kills it.  sleep is bound beforehand: even looking up
# time.sleep after the print can free a block, when the lookup evicts a
# name from the type attribute cache (seen on 3.10).
import os
import sys
import time


def die_with_parent():
    # If the harness dies, so do we (Linux PR_SET_PDEATHSIG).
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)
    except Exception:
        pass


class Pin(object):
    __slots__ = ("a", "b")


def heap_sparse(keep):
    # Many small objects of one size class, nine in ten freed: pools stay
    # in use but mostly empty.
    objs = [Pin() for _ in range(300000)]
    keep.append(objs[::10])
    del objs


def heap_mixed(keep):
    import random
    rng = random.Random(1234)
    items = []
    for i in range(120000):
        k = rng.randrange(6)
        if k == 0:
            items.append(b"x" * rng.randrange(0, 480))
        elif k == 1:
            items.append([None] * rng.randrange(0, 40))
        elif k == 2:
            items.append(dict.fromkeys(range(rng.randrange(0, 12))))
        elif k == 3:
            items.append(tuple(range(rng.randrange(0, 30))))
        elif k == 4:
            items.append(float(i))
        else:
            items.append(str(i) * rng.randrange(1, 20))
    rng.shuffle(items)
    keep.append(items[: len(items) // 3])
    del items


def heap_churn(keep):
    # Grow to many arenas, free nearly everything: arenas are reclaimed
    # and the high-water mark stays above the current count.
    big = [Pin() for _ in range(600000)]
    del big
    keep.append([Pin() for _ in range(1000)])


def heap_idle(keep):
    pass


SUB_CODE = """
import _thread, os, sys, time
class Sub(object):
    __slots__ = ("x",)
objs = [Sub() for _ in range(200000)]
kept = objs[::7]
del objs
def printer(go, oracle):
    # Print only once run_string() has returned in the main interpreter:
    # it frees the parser's objects on the way out, in this state.
    while not os.path.exists(go):
        time.sleep(0.02)
    fd = os.open(oracle, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    stats = sys._debugmallocstats
    sleep = time.sleep
    stats()
    sleep(600)
_thread.start_new_thread(printer, (GO, ORACLE_SUB))
"""


def heap_subinterp(keep):
    # A subinterpreter with its own obmalloc state and GIL (3.12+) builds
    # its own heap; a thread of its own prints its statistics to
    # ORACLE.sub and then sleeps.  (A thread of the main interpreter
    # sleeping inside the subinterpreter would keep the main GIL.)
    try:
        import _interpreters as interp
    except ImportError:
        import _xxsubinterpreters as interp
    sub = interp.create()
    oracle_sub = sys.argv[2] + ".sub"
    go = sys.argv[2] + ".go"
    code = SUB_CODE.replace("ORACLE_SUB", repr(oracle_sub))
    interp.run_string(sub, code.replace("GO", repr(go)))
    open(go, "w").close()
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with open(oracle_sub) as f:
                text = f.read()
            # CPython writes the last line in pieces: it is complete
            # when the file ends with its newline.
            if marker_line() in text and text.endswith("\n"):
                break
        except (IOError, OSError):
            pass
        time.sleep(0.02)
    keep.append([Pin() for _ in range(5000)])
    keep.append(sub)


def heap_threads(keep):
    # PMF_THREADS threads (default 300), each asleep in one call; the
    # snapshot must stop and release every one of them.
    import _thread
    n = int(os.environ.get("PMF_THREADS", "300"))
    for _ in range(n):
        _thread.start_new_thread(time.sleep, (600,))
    # Let the last ones get from their bootstrap into sleep().
    time.sleep(1)
    keep.append(n)


def heap_bigtable(keep):
    # Grows the arena table: PMF_ARENAS arenas (default 8200) live at
    # once, in 512-byte blocks (bytes of 479), then all freed.  CPython
    # doubles the table from 16 entries when it runs out, and never
    # shrinks it: 8193 to 16384 arenas leave a table of 16384 entries,
    # nearly all unused.
    n = int(os.environ.get("PMF_ARENAS", "8200"))
    arena = 256 << 10 if sys.version_info < (3, 10) else 1 << 20
    pool = 4 << 10 if sys.version_info < (3, 10) else 16 << 10
    per_arena = (arena // pool) * ((pool - 48) // 512)
    big = [bytes(479) for _ in range(n * per_arena)]
    del big
    keep.append([Pin() for _ in range(1000)])


def heap_secret(keep):
    # A known secret (PMF_SECRET) in many str and bytes objects, as dict
    # keys and values and as an attribute value, in arenas left sparse
    # (pinned) so that --examine reads them.
    secret = os.environ["PMF_SECRET"]
    objs = []
    for i in range(20000):
        objs.append("%s-%d" % (secret, i))
        objs.append(("%s+%d" % (secret, i)).encode())
        objs.append(Pin())
    keep.append(objs[::9])
    keep.append(dict((secret + str(i), secret) for i in range(100)))

    class Holder(object):
        pass
    h = Holder()
    h.value = secret
    setattr(h, secret, secret)
    keep.append(h)
    del objs
    # Where the secret lives, for the test to check that pymfrag did read
    # those arenas.
    with open(sys.argv[2] + ".ids", "w") as f:
        for o in keep[0]:
            f.write("%d\n" % id(o))


def marker_line():
    # _debugmallocstats ends with the tuple free-list lines: 19 of them
    # before 3.11, 20 since.
    n = 19 if sys.version_info < (3, 11) else 20
    return "free %d-sized PyTupleObjects" % n


def main():
    die_with_parent()
    heap = sys.argv[1]
    oracle = sys.argv[2]
    keep = []
    globals()["heap_" + heap](keep)
    sys.stdout.write("marker: %s\n" % marker_line())
    sys.stdout.flush()
    fd = os.open(oracle, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    stats = sys._debugmallocstats
    sleep = time.sleep
    stats()
    sleep(600)


if __name__ == "__main__":
    main()
