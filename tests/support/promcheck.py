# Checks Prometheus text exposition (format 0.0.4) as pymfrag writes it:
#
#   python3 promcheck.py [--prefix P] [--json REPORT --top N] [FILE]
#
# (standard input without FILE).  Exits 0 when the input is valid, else
# prints "LINE: problem" for the first problem and exits 1.  Beyond the format itself (names, label
# syntax and escaping, float values, HELP/TYPE placement, families kept
# together, no duplicate series) it enforces pymfrag's own rules: every
# family has both HELP and TYPE before its first sample, counters end in
# _total, names carry the prefix, and no label identifies an arena (their
# number follows the heap: unbounded cardinality).
#
# With --json, the metrics must also carry the numbers of REPORT, a
# "pymfrag report --format json" of the same quiescent target, and the
# analysis metrics must agree with each other (regions add up to the
# arenas, at most N + 1 pinned types).  Python 3.6+, standard library
# only.
import json
import re
import sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
# A Go ParseFloat number, as Prometheus reads values.
VALUE = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|Inf|inf)$"
    r"|NaN$")
TIMESTAMP = re.compile(r"-?[0-9]+$")
# Labels that would make one series per arena.
PER_ARENA = re.compile(r"arena|address", re.IGNORECASE)


class Invalid(Exception):
    pass


def family_of(name, types):
    """The family a sample belongs to: its own name, or for histograms
    and summaries the name without _bucket, _sum or _count."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if types.get(base) in ("histogram", "summary"):
                return base
    return name


def parse_labels(text, pos):
    """Parses '{a="b",...}' starting at text[pos] == '{'.  Returns the
    labels as a list of (name, value) and the position after '}'."""
    labels = []
    pos += 1
    while True:
        if text.startswith("}", pos):
            return labels, pos + 1
        m = LABEL_NAME.match(text, pos)
        if not m:
            raise Invalid("bad label name at column %d" % (pos + 1))
        lname = m.group(0)
        if lname.startswith("__"):
            raise Invalid("label name %s is reserved" % lname)
        pos = m.end()
        if not text.startswith('="', pos):
            raise Invalid("label %s: expected '=\"'" % lname)
        pos += 2
        value = []
        while True:
            if pos >= len(text):
                raise Invalid("label %s: unterminated value" % lname)
            c = text[pos]
            if c == '"':
                pos += 1
                break
            if c == "\\":
                esc = text[pos + 1: pos + 2]
                if esc not in ("\\", '"', "n"):
                    raise Invalid("label %s: bad escape '\\%s'" % (lname, esc))
                value.append("\n" if esc == "n" else esc)
                pos += 2
                continue
            value.append(c)
            pos += 1
        if lname in (n for n, _ in labels):
            raise Invalid("label %s given twice" % lname)
        labels.append((lname, "".join(value)))
        if text.startswith(",", pos):
            pos += 1
            # A trailing comma before '}' is allowed by the format.
        elif not text.startswith("}", pos):
            raise Invalid("expected ',' or '}' after label %s" % lname)


def check_help(text):
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if text[i + 1: i + 2] not in ("\\", "n"):
                raise Invalid("bad escape in HELP text")
            i += 2
        else:
            i += 1


def parse(text, prefix=""):
    """Validates TEXT; returns {(name, frozenset(labels)): float}.  Raises
    Invalid with "LINE: problem"."""
    helps, types = {}, {}
    done = set()      # families whose samples are over
    current = None    # the family being read
    samples = {}
    if text and not text.endswith("\n"):
        raise Invalid("the last line does not end with a newline")
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        try:
            if line.strip() == "":
                continue
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) < 2 or parts[1] not in ("HELP", "TYPE"):
                    continue  # a plain comment
                if len(parts) < 3 or not NAME.fullmatch(parts[2]):
                    raise Invalid("%s without a valid metric name" % parts[1])
                name = parts[2]
                if name in done:
                    raise Invalid("%s for %s after its samples" % (parts[1], name))
                if parts[1] == "HELP":
                    if name in helps:
                        raise Invalid("second HELP for %s" % name)
                    check_help(parts[3] if len(parts) > 3 else "")
                    helps[name] = True
                else:
                    if name in types:
                        raise Invalid("second TYPE for %s" % name)
                    t = parts[3] if len(parts) > 3 else ""
                    if t not in TYPES:
                        raise Invalid("TYPE %s: '%s' is not a type" % (name, t))
                    types[name] = t
                if current is not None and current != name:
                    done.add(current)
                current = name
                continue
            m = NAME.match(line)
            if not m:
                raise Invalid("bad metric name")
            name = m.group(0)
            pos = m.end()
            labels = []
            if line.startswith("{", pos):
                labels, pos = parse_labels(line, pos)
            rest = line[pos:]
            if rest.strip() == "":
                raise Invalid("no value")
            if not rest.startswith(" "):
                raise Invalid("unexpected %r after %s" % (rest[0], name))
            fields = rest.split()
            if len(fields) not in (1, 2) or rest != " " + " ".join(fields):
                raise Invalid("expected 'VALUE [TIMESTAMP]'")
            if not VALUE.match(fields[0]):
                raise Invalid("value '%s' is not a float" % fields[0])
            if len(fields) == 2 and not TIMESTAMP.match(fields[1]):
                raise Invalid("timestamp '%s' is not an integer" % fields[1])
            fam = family_of(name, types)
            if fam not in helps or fam not in types:
                raise Invalid("sample of %s before its HELP and TYPE" % fam)
            if fam in done or fam != current:
                raise Invalid("sample of %s away from the rest of its family" % fam)
            if not name.startswith(prefix):
                raise Invalid("%s does not start with %s" % (name, prefix))
            if types[fam] == "counter" and not name.endswith("_total"):
                raise Invalid("counter %s does not end in _total" % name)
            for lname, _ in labels:
                if PER_ARENA.search(lname):
                    raise Invalid("label %s is per arena" % lname)
            key = (name, frozenset(labels))
            if key in samples:
                raise Invalid("duplicate series %s%s" % (name, dict(labels)))
            samples[key] = float(fields[0].replace("Inf", "inf"))
        except Invalid as e:
            raise Invalid("%d: %s" % (lineno, e))
    return samples


class Mismatch(Exception):
    pass


def series(samples, name, **labels):
    """The samples of NAME whose labels include LABELS, as {labels: v}."""
    want = set(labels.items())
    return {k[1]: v for k, v in samples.items()
            if k[0] == name and want <= k[1]}


def value(samples, name, **labels):
    key = (name, frozenset(labels.items()))
    if key not in samples:
        raise Mismatch("no series %s%s" % (name, labels))
    return samples[key]


def eq(what, got, want):
    if got != want:
        raise Mismatch("%s: the metrics have %r, the JSON report %r"
                       % (what, got, want))


def compare_json(samples, report, top):
    info = series(samples, "pymalloc_info")
    if len(info) != 1:
        raise Mismatch("pymalloc_info: %d series, want 1" % len(info))
    labels = dict(next(iter(info)))
    eq("python_version", labels.get("python_version"),
       report["python"]["version"])
    eq("allocator", labels.get("allocator"), report["allocator"])
    eq("locate_method", labels.get("locate_method"),
       report["locate"]["method"])
    states = report.get("interpreters")
    if states is None:
        states = [report] if report["arenas"] is not None else []
    eq("pymalloc_interpreters", value(samples, "pymalloc_interpreters"),
       len(states))
    if not states:
        if series(samples, "pymalloc_class_pools"):
            raise Mismatch("size-class series without pymalloc")
        return
    arena_size = report["arena_size"]
    pool_size, overhead = report["pool_size"], report["pool_overhead"]
    eq("arena size", value(samples, "pymalloc_arena_size_bytes"), arena_size)
    eq("pool size", value(samples, "pymalloc_pool_size_bytes"), pool_size)
    for st in states:
        i = str(st["interpreter_id"])
        a = st["arenas"]
        for name, key in (("pymalloc_arenas", "current"),
                          ("pymalloc_arenas_highwater", "highwater"),
                          ("pymalloc_arenas_allocated_total",
                           "allocated_total"),
                          ("pymalloc_arenas_reclaimed_total", "reclaimed")):
            eq("%s{interpreter=%s}" % (name, i),
               value(samples, name, interpreter=i), a[key])
        b = st["bytes"]
        for kind in ("allocated_blocks", "available_blocks", "unused_pools",
                     "pool_headers", "quantization", "arena_alignment"):
            eq("partition %s of %s" % (kind, i),
               value(samples, "pymalloc_arena_partition_bytes",
                     interpreter=i, kind=kind), b[kind])
        eq("unused pools of " + i,
           value(samples, "pymalloc_unused_pools", interpreter=i),
           b["unused_pool_count"])
        if st["arena_map"] is not None:
            eq("arena map of " + i,
               value(samples, "pymalloc_arena_map_bytes", interpreter=i),
               st["arena_map"]["total_bytes"])
        eq("class series of " + i,
           len(series(samples, "pymalloc_class_pools", interpreter=i)),
           len(st["size_classes"]))
        for c in st["size_classes"]:
            lbl = dict(interpreter=i, size_class=str(c["index"]),
                       block_size=str(c["size"]))
            tail = (pool_size - overhead) % c["size"]
            for name, want in (
                    ("pymalloc_class_pools", c["pools"]),
                    ("pymalloc_class_blocks_in_use", c["blocks_in_use"]),
                    ("pymalloc_class_blocks_available",
                     c["blocks_available"]),
                    ("pymalloc_class_allocated_bytes",
                     c["blocks_in_use"] * c["size"]),
                    ("pymalloc_class_waste_bytes",
                     c["blocks_available"] * c["size"]
                     + c["pools"] * (overhead + tail))):
                eq("%s%s" % (name, lbl), value(samples, name, **lbl), want)
        check_analysis(samples, i, a["current"], arena_size, top)


def check_analysis(samples, i, arenas, arena_size, top):
    """The analysis metrics of interpreter I, when there are any, agree
    with each other and with the arena count."""
    regions = series(samples, "pymalloc_region_bytes", interpreter=i)
    if not regions:
        if series(samples, "pymalloc_pinned_arenas", interpreter=i):
            raise Mismatch("pinned arenas without regions")
        return
    eq("regions of %s add up to the arenas" % i, sum(regions.values()),
       arenas * arena_size)
    for labels, v in series(samples, "pymalloc_region_resident_bytes",
                            interpreter=i).items():
        region = dict(labels)["region"]
        if v > value(samples, "pymalloc_region_bytes", interpreter=i,
                     region=region):
            raise Mismatch("region %s of %s: more resident than there is"
                           % (region, i))
    hist = series(samples, "pymalloc_arenas_by_utilization", interpreter=i)
    eq("utilization buckets of " + i, len(hist), 10)
    eq("arenas in the utilization buckets of " + i, sum(hist.values()),
       arenas)
    packed = value(samples, "pymalloc_packed_arenas", interpreter=i)
    eq("stranded bytes of " + i,
       value(samples, "pymalloc_stranded_bytes", interpreter=i),
       (arenas - packed) * arena_size)
    types = series(samples, "pymalloc_pinned_type_bytes", interpreter=i)
    if top is not None and len(types) > top + 1:
        raise Mismatch("%d pinned types for --top %d" % (len(types), top))
    if set(types) != set(series(samples, "pymalloc_pinned_type_blocks",
                                interpreter=i)):
        raise Mismatch("pinned type bytes and blocks name other types")


def main(argv):
    prefix, report, top = "", None, None
    args = argv[1:]
    while args[:1] in (["--prefix"], ["--json"], ["--top"]):
        if args[0] == "--prefix":
            prefix = args[1]
        elif args[0] == "--json":
            report = args[1]
        else:
            top = int(args[1])
        args = args[2:]
    text = open(args[0]).read() if args else sys.stdin.read()
    try:
        samples = parse(text, prefix)
        if not samples:
            raise Invalid("no samples")
        if report is not None:
            with open(report) as f:
                compare_json(samples, json.load(f), top)
    except (Invalid, Mismatch) as e:
        print("promcheck: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
