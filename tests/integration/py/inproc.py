# The in-process side of tests/integration/pymod.sh: a process that
# builds one of target.py's heaps and takes pymfrag's snapshot of itself
# through the extension module.
#
#   python inproc.py MODDIR dms HEAP ORACLE OUT
#       CPython's sys._debugmallocstats() into ORACLE (fd 2 redirected
#       first), then at once pymfrag.report("debugmallocstats") into OUT.
#   python inproc.py MODDIR json HEAP OUT
#       prints "ready", waits for SIGUSR1 (the harness takes its
#       out-of-process report meanwhile), then stats() into OUT as JSON.
#   python inproc.py MODDIR dmsloop HEAP OUTDIR ROUNDS
#       ROUNDS times: grow or shrink the heap by whole arenas (or leave
#       it), then the pair of "dms" into OUTDIR/N.oracle and OUTDIR/N.got:
#       a handle kept across arenas that come and go.
#   python inproc.py MODDIR leak HEAP CALLS
#       stats() CALLS times; fails if the process grew (see below).
#   python inproc.py MODDIR api HEAP OUTDIR
#       the rest of the module's interface: every format into
#       OUTDIR/report.FORMAT, the options, the errors, a fork child.
#
# Quiescence: between the two prints of "dms", and between the wait and
# stats() of "json", nothing may allocate or free.  Every name is bound
# beforehand (a lookup can evict a type-cache entry and free a block), the
# calls take their argument as a constant, and the module parses it
# without building an argument tuple.
import gc
import json
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import target  # noqa: E402  (the heap builders)


def load_module(moddir):
    sys.path.insert(0, moddir)
    import pymfrag
    # The module must be the one just built, not an installed one.
    assert os.path.dirname(pymfrag.__file__) == moddir, pymfrag.__file__
    return pymfrag


def run_dms(pymfrag, oracle, out):
    # The first call opens the handle (and anything else once-only).
    pymfrag.report("debugmallocstats")
    fd = os.open(oracle, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    saved = os.dup(2)
    os.dup2(fd, 2)
    stats = sys._debugmallocstats
    rep = pymfrag.report
    stats()
    r = rep("debugmallocstats")
    os.dup2(saved, 2)
    with open(out, "w") as f:
        f.write(r)
    with open(out + ".notes", "w") as f:
        f.write(pymfrag.notes())


class Blob(object):
    __slots__ = ("a", "b", "c")


def run_dmsloop(pymfrag, outdir, rounds):
    pymfrag.report("debugmallocstats")
    stats = sys._debugmallocstats
    rep = pymfrag.report
    saved = os.dup(2)
    grown = []
    for i in range(rounds):
        # Three rounds in four change the arenas: some 3 MiB of new
        # objects (new arenas), or the last such batch freed (its arenas
        # unmapped); every fourth leaves them as they are.
        if i % 4 == 1 and grown:
            grown.pop()
        elif i % 4 != 3:
            grown.append([Blob() for _ in range(48000)])
        path = os.path.join(outdir, "%d.oracle" % i)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 2)
        stats()
        r = rep("debugmallocstats")
        os.dup2(saved, 2)
        os.close(fd)
        with open(os.path.join(outdir, "%d.got" % i), "w") as f:
            f.write(r)
    with open(os.path.join(outdir, "notes"), "w") as f:
        f.write(pymfrag.notes())


def run_json(pymfrag, out):
    pymfrag.stats()  # imports json, opens the handle
    ss = {signal.SIGUSR1}
    signal.pthread_sigmask(signal.SIG_BLOCK, ss)
    # _signal's, not signal's: that one is Python code turning the
    # number into an enum, and its first call allocates frames.
    import _signal
    wait = _signal.sigwait
    st = pymfrag.stats
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    wait(ss)
    s = st()
    with open(out, "w") as f:
        json.dump(s, f)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def blocks_in_use(s):
    return sum(c["blocks_in_use"] for c in s["size_classes"])


def run_leak(pymfrag, calls):
    st = pymfrag.stats
    # Warm up: the handle, json's caches, the C heap's free lists; the
    # interpreter's own caches settle within ~500 calls (some 100 blocks
    # on 3.11 with a large heap).
    for _ in range(1000):
        st()
    # Collected before each reading, so that a cycle the collector has
    # not reached yet is not counted for or against the library.
    gc.collect()
    rss0, blk0, pm0 = rss_bytes(), sys.getallocatedblocks(), blocks_in_use(st())
    for _ in range(calls):
        st()
    gc.collect()
    rss1, blk1, pm1 = rss_bytes(), sys.getallocatedblocks(), blocks_in_use(st())
    print("calls %d: RSS %d -> %d (%+d bytes), allocated blocks %d -> %d "
          "(%+d), pymalloc blocks in use (stats) %d -> %d (%+d)"
          % (calls, rss0, rss1, rss1 - rss0, blk0, blk1, blk1 - blk0,
             pm0, pm1, pm1 - pm0))
    # Tolerances.  Every call mallocs and frees some 100 KiB (maps, the
    # snapshot, the JSON text and its dict), so leaking anything per call
    # shows as calls x bytes: 10,000 calls of even a 64-byte leak is
    # 640 KiB, of one pymalloc block 10,000 blocks.  What may move without
    # a leak: glibc keeping freed chunks (bounded by its trim threshold,
    # 128 KiB, plus page rounding) and a few dozen interpreter blocks
    # (method caches, the interned key strings json makes on first use;
    # once seen: +172 on 3.12 over 10,000 calls, +4 to +39 otherwise).
    # A leak of one block every 20 calls still fails.
    blocks = max(256, calls // 20)
    assert rss1 - rss0 <= 512 * 1024, "RSS grew by %d bytes" % (rss1 - rss0)
    assert abs(blk1 - blk0) <= blocks, "allocated blocks moved by %d" % (blk1 - blk0)
    assert abs(pm1 - pm0) <= blocks, "pymalloc blocks moved by %d" % (pm1 - pm0)


def expect_error(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc:
        return
    raise AssertionError("%s(%r, %r) did not raise %s"
                         % (fn.__name__, args, kw, exc.__name__))


class BadBool(object):
    def __bool__(self):
        raise ZeroDivisionError("no truth")


def run_api(pymfrag, outdir):
    for fmt in ("text", "json", "debugmallocstats", "prometheus"):
        r = pymfrag.report(fmt)
        assert isinstance(r, str) and r, fmt
        with open(os.path.join(outdir, "report." + fmt), "w") as f:
            f.write(r)
    assert pymfrag.report(format="text").startswith("pymfrag ")
    s = pymfrag.stats()
    assert sorted(s) == sorted(json.loads(pymfrag.report("json"))), "keys"
    assert s["in_process"] is True and s["nonblocking"] is True, s
    assert s["pid"] == os.getpid(), s["pid"]
    assert s["process"]["rss_bytes"] > 0, s["process"]
    # By default the counters of /proc/self/status: no PSS, no split.
    assert s["process"]["pss_bytes"] is None, s["process"]
    p = pymfrag.stats(pss=True)["process"]
    assert p["pss_bytes"] > 0 and p["rss_bytes"] > 0, p
    assert "PSS -," in pymfrag.report("text")
    assert "pymalloc_process_pss_bytes" not in pymfrag.report("prometheus")
    assert "pymalloc_process_pss_bytes" in pymfrag.report("prometheus",
                                                          pss=True)
    assert pymfrag.stats(process=False)["process"] is None
    a = pymfrag.stats(analysis=True, pss=True)
    assert a["analysis"]["histogram"], "analysis missing"
    assert a["process"]["split"]["arena_bytes"] > 0, a["process"]
    assert pymfrag.stats(analysis=True)["process"]["split"] is None
    assert pymfrag.report("text", analysis=True, process=False)
    expect_error(ValueError, pymfrag.report, "bogus")
    expect_error(TypeError, pymfrag.report, 1)
    expect_error(TypeError, pymfrag.report, "text", "json")
    expect_error(TypeError, pymfrag.stats, "json")
    expect_error(TypeError, pymfrag.stats, format="json")
    expect_error(TypeError, pymfrag.report, bogus=1)
    expect_error(ZeroDivisionError, pymfrag.stats, analysis=BadBool())
    assert "maps: " in pymfrag.notes(), pymfrag.notes()
    assert issubclass(pymfrag.Error, RuntimeError)
    assert pymfrag.__version__
    # A fork child takes its own snapshot, not its parent's.
    pid = os.fork()
    if pid == 0:
        ok = pymfrag.stats()["pid"] == os.getpid()
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    assert status == 0, "fork child: status %d" % status
    print("api: ok")


def main():
    target.die_with_parent()
    moddir, mode, heap = sys.argv[1], sys.argv[2], sys.argv[3]
    pymfrag = load_module(moddir)
    keep = []
    getattr(target, "heap_" + heap)(keep)
    if mode == "dms":
        run_dms(pymfrag, sys.argv[4], sys.argv[5])
    elif mode == "json":
        run_json(pymfrag, sys.argv[4])
    elif mode == "dmsloop":
        run_dmsloop(pymfrag, sys.argv[4], int(sys.argv[5]))
    elif mode == "api":
        run_api(pymfrag, sys.argv[4])
    elif mode == "leak":
        run_leak(pymfrag, int(sys.argv[4]))
    else:
        raise SystemExit("inproc.py: unknown mode " + mode)


if __name__ == "__main__":
    main()
