#!/usr/bin/env python3
"""Writes the structured seeds of the walk fuzz target into
tests/fuzz/corpus/walk/ (the input format is described in fuzz_walk.c).

Each seed is a valid synthetic heap for one layout row, with whole pools,
live objects of a made-up type "FuzzType" in the first pool, and (for the
3.11 row) a float free list, and (3.12, 3.13) a subinterpreter with its
own state, so that the fuzzer starts from inputs that reach the walk, the
analysis, the type resolution, the free-list checks and the interpreter
list.  Run from anywhere; rewrites the
seed-*.bin files only.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "walk")
ROWS = 9                  # layout rows in src/py/layouts.c (3.6 .. 3.14)
F_STRICT, F_BODIES = 1, 2
RUNTIME_311 = 2           # index of 166688 in fuzz_walk.c's runtime_sizes


def u16(v):
    return struct.pack("<H", v)


def raw(region, off, data):
    return bytes([0, region]) + u16(off) + bytes([len(data)]) + data


def ptr(region, off, to_region, to_off):
    return bytes([1, region]) + u16(off) + bytes([to_region]) + u16(to_off)


# 3.12 and 3.13: _PyRuntime's interpreters.head, and the
# PyInterpreterState's next and obmalloc offsets (src/py/layouts.c).
SUBINTERP = {6: (40, 0, None), 7: (632, 7264, 10800)}


def seed(row, flags, arenas, freelist):
    """ARENAS: list of (misaligned, [(class, count), ...])."""
    b = bytes([row, flags, len(arenas)])
    for mis, pools in arenas:
        b += bytes([(0x80 if mis else 0) | len(pools)])
        for c, n in pools:
            b += bytes([c]) + u16(n)
    b += bytes([2, 6, 3, 1, 1, RUNTIME_311 if freelist else 0])
    # Regions: 0 the state, 1 the arena table, then one per pool, then
    # _PyRuntime, the interpreter, free objects, types.
    npools = sum(len(p) for _, p in arenas)
    first_pool = 2
    rt, interp, objs, types = (first_pool + npools + k for k in range(4))
    q64 = lambda v: struct.pack("<Q", v)
    # A type object at TYPES+0, its metatype at +0x200, its name at +0x800.
    b += ptr(types, 8, types, 0x200)
    b += ptr(types, 24, types, 0x800)
    b += raw(types, 32, q64(16))
    b += raw(types, 168, q64(1 << 12))
    b += raw(types, 0x200 + 168, q64((1 << 31) | (1 << 12)))
    b += raw(types, 0x800, b"FuzzType\0")
    # Live objects of that type in the first pool (class 1: 32 bytes).
    for k in range(4):
        off = 48 + 32 * k
        b += raw(first_pool, off, q64(1))
        b += ptr(first_pool, off + 8, types, 0)
    if freelist:
        # 3.11: id 0, runtime, two free floats linked through ob_type.
        b += ptr(interp, 40, rt, 0)
        b += raw(interp, 3608, struct.pack("<I", 2))
        b += ptr(interp, 3616, objs, 0)
        b += ptr(objs, 8, objs, 0x20)
    if row in SUBINTERP:
        # One subinterpreter with a state of its own: inline in its
        # PyInterpreterState (3.12), or a pointer to one (3.13).
        head, _, obmalloc = SUBINTERP[row]
        b += ptr(rt, head, interp, 0)
        if obmalloc is not None:
            b += ptr(interp, obmalloc, objs, 0)
    return b


def main():
    os.makedirs(OUT, exist_ok=True)
    heap = [(True, [(1, 4), (3, 2), (0, 0), (7, 1)]),
            (False, [(1, 100), (5, 1)]),
            (True, [])]
    for row in range(ROWS):
        for flags in (F_BODIES, F_BODIES | F_STRICT):
            name = "seed-%d-%d.bin" % (row, flags)
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(seed(row, flags, heap, row == 5))


if __name__ == "__main__":
    main()
