/* SPDX-License-Identifier: MIT */
/*
 * pymfrag.h - the public API of libpymfrag.
 *
 * libpymfrag reads CPython's small-object allocator (pymalloc: arenas,
 * pools, size classes) in a running process from the outside, without
 * injecting code, and joins it with the kernel's view of the process.
 *
 * Conventions
 *  - Every fallible function returns 0 on success or a negative PMF_E* code.
 *    Out-parameters are written only on success.  The detail of the last
 *    error ("process_vm_readv 0x7f..+48: Bad address") is kept on the
 *    target handle and read with pmf_target_errmsg().
 *  - The library never prints, never exits and never aborts.
 *  - The target is never written to.  By default a snapshot stops all of
 *    the target's threads with PTRACE_SEIZE + PTRACE_INTERRUPT for the walk
 *    only (never SIGSTOP: if the caller dies, the kernel releases them).
 *    A process can also take snapshots of itself, with the GIL held and
 *    nothing stopped: see "In-process use" below.
 *  - Handles are not thread-safe: use one handle from one thread at a time.
 *    ptrace(2) ties a tracee to the tracing thread, so take every snapshot
 *    of a target from the thread that took the first one.
 *  - Structures returned by the library are owned by it and stay valid until
 *    the object they came from is freed.  New fields are only ever appended
 *    to them, so programs built against an older header keep working.
 */
#ifndef PYMFRAG_H
#define PYMFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PMF_VERSION_MAJOR 0
#define PMF_VERSION_MINOR 1
#define PMF_VERSION_PATCH 0
#define PMF_VERSION_STRING "0.1.0"

#if defined(__GNUC__) && !defined(PMF_STATIC_ONLY)
#define PMF_API __attribute__((visibility("default")))
#else
#define PMF_API
#endif

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* X(name, number, description): generates the codes, pmf_strerror() and
 * pmf_errname().  Codes are returned negated. */
#define PMF_ERRNO_MAP(X)                                                     \
	X(ENOMEM, 1, "out of memory")                                        \
	X(EINVAL, 2, "invalid argument")                                     \
	X(ESRCH, 3, "no such process")                                       \
	X(EPERM, 4, "permission denied")                                     \
	X(EFAULT, 5, "address not readable in the target")                   \
	X(EAGAIN, 6, "the target changed while it was read")                 \
	X(ENOTPY, 7, "not a Python process")                                 \
	X(EVERSION, 8, "unsupported Python version")                         \
	X(ENOSTATE, 9, "allocator state not found")                          \
	X(ECORRUPT, 10, "allocator state failed validation")                 \
	X(EIO, 11, "I/O error")                                              \
	X(EELF, 12, "unreadable or malformed ELF file")                      \
	X(EBUSY, 13, "the process is already being traced")                  \
	X(ETIMEDOUT, 14, "the target did not stop in time")                  \
	X(EZOMBIE, 15, "the process has exited")                             \
	X(ENOTSUP, 16, "not supported")

enum pmf_error {
	PMF_OK = 0,
#define PMF_X_(name, n, s) PMF_##name = -(n),
	PMF_ERRNO_MAP(PMF_X_)
#undef PMF_X_
};

/* A static description of a PMF_E* code ("no such process"); never NULL. */
PMF_API const char *pmf_strerror(int err);
/* The code's name ("PMF_ESRCH"); never NULL. */
PMF_API const char *pmf_errname(int err);

/* ------------------------------------------------------------------ */
/* Enumerations                                                        */
/* ------------------------------------------------------------------ */

/* What serves PyObject_Malloc in the target. */
enum pmf_allocator {
	PMF_ALLOC_UNKNOWN = 0,
	PMF_ALLOC_PYMALLOC,        /* pymalloc, directly */
	PMF_ALLOC_PYMALLOC_DEBUG,  /* pymalloc under CPython's debug hooks */
	PMF_ALLOC_PYMALLOC_HOOKED, /* pymalloc behind a hook (tracemalloc...) */
	PMF_ALLOC_MALLOC,          /* PYTHONMALLOC=malloc */
	PMF_ALLOC_MALLOC_DEBUG,    /* PYTHONMALLOC=malloc_debug */
	PMF_ALLOC_MIMALLOC,        /* PYTHONMALLOC=mimalloc (3.13+) */
	PMF_ALLOC_MIMALLOC_DEBUG,  /* PYTHONMALLOC=mimalloc_debug */
	PMF_ALLOC_FREE_THREADED,   /* free-threaded build: mimalloc only */
	PMF_ALLOC_NO_PYMALLOC,     /* CPython built --without-pymalloc */
	PMF_ALLOC_CUSTOM,          /* an unknown allocator, no pymalloc arenas */
};

/* Stable lower-case name used in reports: "pymalloc", "pymalloc_debug",
 * "pymalloc_hooked", "malloc", "malloc_debug", "mimalloc",
 * "mimalloc_debug", "mimalloc_free_threaded", "no_pymalloc", "custom",
 * "unknown".  Never NULL. */
PMF_API const char *pmf_allocator_name(enum pmf_allocator a);
/* True when pymalloc's arenas are in use (directly or under a hook), i.e.
 * when the size-class tables of a snapshot mean something. */
PMF_API bool pmf_allocator_is_pymalloc(enum pmf_allocator a);

/* How the allocator state was (or is to be) found. */
enum pmf_locate {
	PMF_LOCATE_AUTO = 0, /* try each method in the order below */
	PMF_LOCATE_SYMBOLS,  /* .symtab of the interpreter image */
	PMF_LOCATE_DEBUGFILE, /* a detached debug file found by build-id */
	PMF_LOCATE_TABLE,    /* _PyRuntime + per-version offset table (3.12+) */
	PMF_LOCATE_SCAN,     /* symbol-less scan of .data/.bss */
};

/* "auto", "symbols", "debugfile", "table", "scan"; never NULL. */
PMF_API const char *pmf_locate_name(enum pmf_locate m);
/* Parses one of the names above.  Returns 0 or PMF_EINVAL. */
PMF_API int pmf_locate_parse(const char *name, enum pmf_locate *out);

/* Report formats. */
enum pmf_format {
	PMF_FORMAT_TEXT = 0,         /* for people */
	PMF_FORMAT_JSON,             /* schema in pymfrag(1), schema_version 2 */
	PMF_FORMAT_DEBUGMALLOCSTATS, /* byte-identical to CPython's own */
	PMF_FORMAT_PROMETHEUS,       /* Prometheus/OpenMetrics text exposition */
};

/* "text", "json", "debugmallocstats", "prometheus"; never NULL. */
PMF_API const char *pmf_format_name(enum pmf_format f);
/* Parses one of the names above.  Returns 0 or PMF_EINVAL. */
PMF_API int pmf_format_parse(const char *name, enum pmf_format *out);

/* ------------------------------------------------------------------ */
/* Targets                                                             */
/* ------------------------------------------------------------------ */

typedef struct pmf_target pmf_target;

/* Options for pmf_target_open(); a zeroed struct (or NULL) means the
 * defaults. */
struct pmf_target_opts {
	enum pmf_locate locate; /* PMF_LOCATE_AUTO: best method available */
	const char *debug_dir;  /* root of detached debug files; NULL means
	                           "/usr/lib/debug", looked up under the
	                           target's root first, then ours */
};

/* The interpreter found in a target. */
struct pmf_python {
	uint32_t hexversion;  /* PY_VERSION_HEX, e.g. 0x030c01f0 */
	unsigned major, minor, micro;
	char version[24];     /* "3.12.1", "3.14.0rc1" */
	bool free_threaded;   /* a --disable-gil build */
	bool debug_build;     /* a --with-pydebug build */
	const char *executable;     /* the target's executable (/proc/PID/exe) */
	const char *image;          /* the ELF file holding the interpreter */
	bool shared_library;        /* image is a libpython, not the executable */
	const char *version_source; /* how the version was read */
	const char *build_id;       /* hex GNU build-id of the image, or "" */
};

/* Allocates an empty handle.  Returns NULL only when out of memory. */
PMF_API pmf_target *pmf_target_new(void);

/* Attaches the handle to process PID: reads its memory map, finds the
 * interpreter image, its version and the allocator state, and validates
 * that state.  Reads only; the target is not stopped.  A handle can be
 * opened once.  Errors: PMF_ESRCH, PMF_EZOMBIE, PMF_EPERM, PMF_ENOTPY,
 * PMF_EVERSION, PMF_ENOSTATE, PMF_ECORRUPT, PMF_EELF, PMF_ENOMEM. */
PMF_API int pmf_target_open(pmf_target *t, pid_t pid,
			    const struct pmf_target_opts *opts);

/* The interpreter of an opened target, or NULL before a successful open
 * (also after a failed one that got as far as the version: then it is
 * filled in, so a caller can name the unsupported version). */
PMF_API const struct pmf_python *pmf_target_python(const pmf_target *t);

/* The detail of the last error on this handle, or "" if none. */
PMF_API const char *pmf_target_errmsg(const pmf_target *t);

/* Notes the library took while locating and validating ("symbols: no
 * .symtab in /usr/bin/python3.11"), one per line, or "".  Meant for a
 * --verbose flag. */
PMF_API const char *pmf_target_log(const pmf_target *t);

/* Frees the handle and releases the target.  Accepts NULL. */
PMF_API void pmf_target_free(pmf_target *t);

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

typedef struct pmf_snapshot pmf_snapshot;

/* Flags for pmf_snapshot_take(). */
#define PMF_SNAP_NONBLOCKING 0x1u /* do not stop the target; torn reads are
                                     counted in pools_failed_validation */
#define PMF_SNAP_NO_PROCESS 0x2u  /* skip /proc/PID/smaps_rollup and status */
#define PMF_SNAP_ANALYZE 0x4u     /* also the fragmentation analysis: per-arena
                                     residency (pagemap), the process memory
                                     split (smaps), pinned arenas and the
                                     object types inside them */
#define PMF_SNAP_EXAMINE_NONE 0x8u /* with PMF_SNAP_ANALYZE: identify the
                                      objects of no pinned arena (the cost a
                                      live monitor saves); examine_arena is
                                      still read */
#define PMF_SNAP_PROCESS_FAST 0x10u /* process figures from /proc/PID/status
                                       alone: RSS, swap, peak and threads
                                       are kernel counters, cheap to read;
                                       PSS (and the split) need a walk of
                                       every page table, so pss_bytes and
                                       anon_bytes are 0 and split_valid is
                                       false; info->process_fast says so */
#define PMF_SNAP_NO_GUARD 0x20u   /* stop the target without the consistency
                                     guard (no unwinding: a shorter pause,
                                     torn state caught by validation only) */

/* Takes a snapshot of every obmalloc state in the target.  Without
 * PMF_SNAP_NONBLOCKING the target's threads are stopped for the walk and
 * released before this returns, on every path.  A walk that finds the
 * allocator mid-update is retried a few times (counted in retries) before
 * PMF_EAGAIN.  Errors: those of pmf_target_open() plus PMF_EBUSY (another
 * tracer is attached), PMF_ETIMEDOUT, PMF_EAGAIN. */
PMF_API int pmf_snapshot_take(pmf_target *t, unsigned flags,
			      pmf_snapshot **out);

/* Options for pmf_snapshot_take_opts(); a zeroed struct means the
 * defaults. */
struct pmf_snapshot_opts {
	unsigned flags;          /* PMF_SNAP_* */
	double pinned_below;     /* an arena is pinned when its utilization
	                            (live block bytes / arena size) is below
	                            this fraction; 0 means 0.10 */
	unsigned pinned_examine; /* how many of the arenas that pin or
	                            strand memory (pinned, and the stranded
	                            arenas of struct pmf_analysis), least
	                            utilized first, have their objects
	                            identified; 0 means all of them */
	uint64_t examine_arena;  /* with PMF_SNAP_ANALYZE: also identify the
	                            objects of the arena at this address,
	                            pinned or not (a drill-down); 0: none.
	                            Its types are added to the pinned or
	                            stranded totals only if it is one. */
};

/* pmf_snapshot_take() with options. */
PMF_API int pmf_snapshot_take_opts(pmf_target *t,
				   const struct pmf_snapshot_opts *opts,
				   pmf_snapshot **out);

/* Frees a snapshot.  Accepts NULL. */
PMF_API void pmf_snapshot_free(pmf_snapshot *s);

/* One size class of one obmalloc state, as CPython's own table counts it:
 * only pools holding at least one block are counted. */
struct pmf_class_stats {
	unsigned index;            /* size class index */
	unsigned size;             /* block size in bytes */
	uint64_t pools;            /* pools of this class in use */
	uint64_t blocks_in_use;    /* allocated blocks */
	uint64_t blocks_available; /* free blocks in those pools */
};

/* Arena counters.  allocated_total and highwater are CPython's own
 * counters; current is counted from the arena table. */
struct pmf_arena_counters {
	uint64_t current;         /* arenas with memory now */
	uint64_t highwater;       /* most arenas ever held at once */
	uint64_t allocated_total; /* arenas ever allocated */
	uint64_t reclaimed;       /* allocated_total - current */
	uint64_t table_size;      /* entries in the arena table (maxarenas) */
};

/* CPython's partition of current * arena_size bytes. */
struct pmf_byte_partition {
	uint64_t allocated_blocks; /* bytes in allocated blocks */
	uint64_t available_blocks; /* free blocks in used pools */
	uint64_t unused_pools;     /* unused_pool_count * pool_size */
	uint64_t unused_pool_count;
	uint64_t pool_headers;
	uint64_t quantization;     /* pool tails too small for a block */
	uint64_t arena_alignment;  /* pool_size per misaligned arena */
	uint64_t total;            /* sum of the above == current * arena_size */
};

/* The radix-tree arena map of 3.10+ (present == false before). */
struct pmf_arena_map {
	bool present;
	uint64_t mid_nodes, bot_nodes;
	uint64_t root_bytes, mid_bytes, bot_bytes, total_bytes;
};

/* One object free list, as CPython's _debugmallocstats prints it:
 * "<count> free <name> * <object_size> bytes each". */
struct pmf_freelist {
	char name[40];        /* "PyFloatObjects", "3-sized PyTupleObjects" */
	uint64_t count;       /* objects on the list */
	uint64_t object_size; /* bytes per object, as CPython counts them */
};

#define PMF_MAX_FREELISTS 32

/* One obmalloc state: the main interpreter's, or a subinterpreter's own. */
struct pmf_interp_stats {
	int64_t id;             /* interpreter ID; 0 is the main interpreter */
	bool is_main;
	uint64_t state_address; /* address of the state in the target */
	unsigned nclasses;      /* number of entries used in classes[] */
	struct pmf_class_stats classes[64];
	struct pmf_arena_counters arenas;
	struct pmf_byte_partition bytes;
	struct pmf_arena_map arena_map;
	uint64_t pools_failed_validation; /* torn or invalid pools skipped */
	/* 3.6/3.7 under the debug hooks: how many times the object
	 * allocator was called (CPython prints it with the arena lines). */
	bool has_debug_malloc_calls;
	uint64_t debug_malloc_calls;
	/* The interpreter's object free lists, in CPython's print order;
	 * has_freelists is false where they could not be located (e.g. a
	 * stripped 3.6-3.9, whose free lists are file statics). */
	bool has_freelists;
	unsigned nfreelists;
	struct pmf_freelist freelists[PMF_MAX_FREELISTS];
};

/* Process memory, from /proc/PID/smaps_rollup and /proc/PID/status. */
struct pmf_process_mem {
	bool valid; /* false when not read (PMF_SNAP_NO_PROCESS, or gone) */
	uint64_t rss_bytes, pss_bytes, swap_bytes;
	uint64_t anon_bytes;     /* Pss_Anon where the kernel has it */
	uint64_t hwm_bytes;      /* VmHWM: peak RSS */
	unsigned threads;
	/* With PMF_SNAP_ANALYZE, from /proc/PID/smaps and pagemap: the
	 * resident set split by what holds it.  arena + other_anon + stack
	 * + file == rss_bytes (up to pages that changed between reads). */
	bool split_valid;
	uint64_t uss_bytes;        /* private pages: freed if the process
	                              exited */
	uint64_t arena_bytes;      /* resident pymalloc arena pages */
	uint64_t other_anon_bytes; /* other anonymous memory: the C heap,
	                              large objects, extensions */
	uint64_t stack_bytes;      /* thread stacks */
	uint64_t file_bytes;       /* file-backed: code, data, mmapped files */
};

/* Where the main interpreter's allocator state was found, field by field
 * (0 = not located): for comparing locate methods, and for debugging. */
struct pmf_state_addresses {
	uint64_t state;     /* struct _obmalloc_state (3.12+), else 0 */
	uint64_t usedpools, arenas, maxarenas;
	uint64_t ntimes_arena_allocated, narenas_highwater;
	uint64_t narenas_currently_allocated;
	uint64_t arena_map_mid_count, arena_map_bot_count;
};

/* Everything about a snapshot that is not per interpreter. */
struct pmf_snapshot_info {
	pid_t pid;
	int64_t time_unix_ns;        /* wall clock when the walk started */
	struct pmf_python python;    /* copied; strings owned by the snapshot */
	enum pmf_allocator allocator;
	const char *allocator_detail; /* e.g. the hook's symbol, or "" */
	enum pmf_locate locate_method;
	const char *locate_detail;    /* e.g. "obmalloc_state_main in ..." */
	uint64_t arena_size, pool_size;
	unsigned alignment;           /* size class spacing (16, or 8) */
	unsigned small_threshold;     /* largest pymalloc request (512) */
	unsigned pool_overhead;       /* pool header size (48) */
	bool nonblocking;
	unsigned threads_stopped;
	uint64_t pause_us;            /* how long the target was stopped */
	uint64_t walk_us;             /* time spent reading the allocator */
	unsigned retries;             /* walks repeated because of a torn read */
	uint64_t pools_failed_validation; /* sum over interpreters */
	struct pmf_process_mem process;
	size_t ninterps;              /* obmalloc states in the snapshot */
	struct pmf_state_addresses located; /* main state's fields */
	uint64_t locate_us;           /* time locating took at open */
	bool process_fast;            /* PMF_SNAP_PROCESS_FAST: no PSS */
	/* The consistency guard (blocking snapshots): every stopped thread is
	 * unwound with libunwind, and while one is inside a pymalloc function
	 * (found by the image's symbols) the target is released briefly and
	 * stopped again, at most 20 times.  guard_active is false where there
	 * are no allocator symbols (a stripped build), no libunwind, with
	 * PMF_SNAP_NO_GUARD, or for a non-blocking snapshot; the invariant
	 * checks of the walk then stand alone.  guard_detail says which. */
	unsigned guard_retries;       /* stops repeated: a thread was inside */
	bool guard_active;
	const char *guard_detail;     /* never NULL in a snapshot */
	bool in_process;              /* taken by the process of itself
	                                 (pmf_target_open_self()); then
	                                 nonblocking is true too */
};

/* The snapshot's summary; never NULL for a valid snapshot. */
PMF_API const struct pmf_snapshot_info *
pmf_snapshot_info(const pmf_snapshot *s);

/* The I-th obmalloc state, 0 <= i < ninterps; the main interpreter's comes
 * first.  NULL when out of range.  ninterps is 0 when pymalloc is not in
 * use (see info->allocator). */
PMF_API const struct pmf_interp_stats *
pmf_snapshot_interp(const pmf_snapshot *s, size_t i);

/* ------------------------------------------------------------------ */
/* Fragmentation analysis (PMF_SNAP_ANALYZE)                           */
/* ------------------------------------------------------------------ */

/* Bytes of one kind, and how many of them are in RAM or in swap.  The
 * residency counts are valid only where the analysis says so. */
struct pmf_residency {
	uint64_t bytes;
	uint64_t resident_bytes;
	uint64_t swapped_bytes;
};

/* Where every byte of every arena is: each byte lands in exactly one
 * region.  See pymfrag(1) for the definitions. */
enum pmf_region {
	PMF_REGION_LIVE_BLOCKS = 0, /* allocated blocks */
	PMF_REGION_FREE_BLOCKS,     /* free blocks in used pools */
	PMF_REGION_EMPTY_POOLS,     /* carved pools now empty: cached by
	                               pymalloc, never returned (resident) */
	PMF_REGION_UNTOUCHED_POOLS, /* pools never carved (not resident) */
	PMF_REGION_POOL_HEADERS,
	PMF_REGION_QUANTIZATION,
	PMF_REGION_ALIGNMENT,
	PMF_REGION_COUNT
};

/* "live_blocks", "free_blocks", "empty_pools", "untouched_pools",
 * "pool_headers", "quantization", "alignment"; never NULL. */
PMF_API const char *pmf_region_name(enum pmf_region r);

/* One arena of one state. */
struct pmf_arena {
	uint64_t address;
	uint32_t index;           /* in the arena table */
	uint32_t pools_total;     /* pools the arena holds */
	uint32_t pools_used;      /* holding at least one block (full too) */
	uint32_t pools_full;
	uint32_t pools_empty;     /* carved, now empty: cached, resident */
	uint32_t pools_untouched; /* never carved: not resident */
	uint64_t blocks_live;
	uint64_t bytes_live;      /* bytes of the live blocks */
	double utilization;       /* bytes_live / arena_size */
	bool pinned;              /* utilization below the threshold */
	bool stranded;            /* among the stranded arenas (see
	                             struct pmf_analysis) */
	bool examined;            /* its objects were identified */
	/* Residency of the arena's pages (residency_valid in the analysis). */
	uint64_t resident_bytes, swapped_bytes;
	uint64_t shared_bytes;    /* resident and mapped by another process
	                             too (e.g. a fork child) */
};

/* Live blocks of one kind: objects of a type, named as CPython's
 * repr(type) names it ("dict", "decimal.Decimal",
 * "collections.OrderedDict", "__main__.Record"), or one of
 *   "<list items>", "<dict keys>", "<dict values>", "<set table>":
 *       buffers that a list, dict, set or instance read in the same
 *       arenas points at;
 *   "<non-object>":  other buffers (no type at any offset an object could
 *                    start at);
 *   "<free-listed>": dead objects kept on one of CPython's free lists;
 *   "<unknown>":     what could not be decided: a pool changed under the
 *                    read, a page not in RAM, a type object not in RAM. */
#define PMF_TYPE_NAME_MAX 128
struct pmf_type_count {
	char name[PMF_TYPE_NAME_MAX];
	uint64_t count;
	uint64_t bytes; /* block bytes */
};

#define PMF_HISTOGRAM_BUCKETS 10

/* The analysis of one obmalloc state. */
struct pmf_analysis {
	bool valid;               /* PMF_SNAP_ANALYZE was given */
	bool residency_valid;     /* /proc/PID/pagemap could be read */
	struct pmf_residency regions[PMF_REGION_COUNT];
	struct pmf_residency total; /* == arenas.current * arena_size */
	/* Arenas by utilization: bucket i holds [i*10%, (i+1)*10%); a full
	 * arena goes in the last. */
	uint64_t histogram[PMF_HISTOGRAM_BUCKETS];
	/* High-water mark.  packed_arenas: the arenas the live blocks would
	 * need if perfectly packed (each class's blocks in as few pools as
	 * hold them, those pools in as few arenas); stranded_bytes =
	 * (arenas.current - packed_arenas) * arena_size. */
	uint64_t packed_arenas;
	uint64_t stranded_bytes;
	/* Pinned arenas: utilization below pinned_below. */
	double pinned_below;
	uint64_t pinned_arenas;
	uint64_t pinned_live_blocks, pinned_live_bytes;
	uint64_t pinned_examined; /* of those, arenas whose objects were read */
	/* Live blocks of the pinned arenas read, by type, most blocks
	 * first. */
	size_t ntypes;
	const struct pmf_type_count *types;
	/* Where the stranded bytes are: the stranded_bytes / arena_size
	 * least utilized arenas (ties by address), whose live blocks are
	 * the fewest that keep that much memory from the OS.  Arenas with
	 * no live block count as examined (nothing holds them but
	 * pymalloc).  stranded_examined / stranded_arenas is the share of
	 * the stranded bytes the table covers. */
	uint64_t stranded_arenas;
	uint64_t stranded_examined;
	size_t nstranded_types;
	const struct pmf_type_count *stranded_types;
	/* The reads behind the tables, done after the target was released:
	 * pools read, those found changed since the walk (read as they are
	 * then), reads repeated because a pool changed while it was read,
	 * pools that never held together (their blocks counted
	 * "<unknown>"), and the live blocks classified. */
	uint64_t read_pools, read_pools_changed, read_pools_retried;
	uint64_t read_pools_torn;
	uint64_t read_blocks;
};

/* The analysis of the I-th state, or NULL when out of range. */
PMF_API const struct pmf_analysis *
pmf_snapshot_analysis(const pmf_snapshot *s, size_t i);

/* The arenas of the I-th state in table order; *N gets their number.
 * NULL (and *N = 0) when out of range or without PMF_SNAP_ANALYZE. */
PMF_API const struct pmf_arena *
pmf_snapshot_arenas(const pmf_snapshot *s, size_t i, size_t *n);

/* The live blocks by type of arena J of state I (examined arenas only),
 * most blocks first; NULL and *N = 0 otherwise. */
PMF_API const struct pmf_type_count *
pmf_snapshot_arena_types(const pmf_snapshot *s, size_t i, size_t j,
			 size_t *n);

/* What one pool of an arena holds. */
enum pmf_pool_state {
	PMF_POOL_USED = 0,  /* holds blocks, with room for more */
	PMF_POOL_FULL,      /* every block allocated */
	PMF_POOL_EMPTY,     /* carved, now empty: cached by pymalloc */
	PMF_POOL_UNTOUCHED, /* never carved */
	PMF_POOL_INVALID,   /* failed validation (a torn read) */
};

struct pmf_pool {
	uint32_t index;          /* position in the arena, 0 first */
	enum pmf_pool_state state;
	unsigned class_index;    /* size class (USED and FULL only) */
	unsigned block_size;     /* bytes a block (USED and FULL only) */
	uint32_t blocks_in_use;
	uint32_t blocks_total;   /* blocks the pool holds (USED, FULL) */
};

/* The pools of arena J of state I (PMF_SNAP_ANALYZE): writes up to CAP of
 * them to BUF (which may be NULL when CAP is 0) and returns how many the
 * arena has, so a caller can size BUF with a first call.  Returns 0 when
 * out of range or without PMF_SNAP_ANALYZE. */
PMF_API size_t pmf_snapshot_arena_pools(const pmf_snapshot *s, size_t i,
					size_t j, struct pmf_pool *buf,
					size_t cap);

/* Bytes a size class loses in its used pools: free blocks, pool headers
 * and quantization.  POOL_SIZE and POOL_OVERHEAD from the snapshot info. */
PMF_API uint64_t pmf_class_waste(const struct pmf_class_stats *c,
				 uint64_t pool_size, unsigned pool_overhead);

/* ------------------------------------------------------------------ */
/* In-process use (embedded stats)                                     */
/* ------------------------------------------------------------------ */

/* A process can take snapshots of its own interpreter: a debug endpoint
 * in a service, a C program embedding Python.  The data are the same as
 * from outside (the same walk, the same report formats).
 *
 * Contract:
 *  - Call with the GIL held (PyGILState_Ensure() from a foreign thread).
 *    Holding it is what makes the snapshot consistent: no thread of the
 *    caller's interpreter can run the allocator meanwhile, so nothing is
 *    stopped and nothing is ptraced.  On 3.12+ a subinterpreter with its
 *    own GIL may change its state during the walk; its torn pools are
 *    counted in pools_failed_validation and left out, as with
 *    PMF_SNAP_NONBLOCKING (which in-process snapshots always imply).
 *  - The library allocates with libc malloc only, never through
 *    PyMem_* or pymalloc, so taking a snapshot does not change what it
 *    measures.  It never prints and never aborts.
 *  - A stale or corrupt pointer in the allocator's tables is an error
 *    (PMF_EFAULT, PMF_ECORRUPT), never a crash: memory is copied directly
 *    only where the memory map, read again for every snapshot, shows
 *    that a load cannot fault (anonymous memory, the interpreter's own
 *    writable data); everything else is read through the kernel
 *    (process_vm_readv on itself), as is everything while another
 *    interpreter has an allocator of its own.
 *  - No Python API is called: the library does not link libpython and
 *    finds the interpreter in the process's own memory map, as it does
 *    for another process.
 *  - A handle belongs to the process that opened it: after fork() the
 *    child must open its own (snapshots of the parent's handle return
 *    PMF_EINVAL in the child).
 */

/* Opens the calling process itself, like pmf_target_open() does another
 * one (same errors, except those of ptrace).  Opening locates the
 * allocator state, which reads the interpreter's ELF file: keep the
 * handle for repeated snapshots, then pmf_snapshot_take*() costs one
 * walk.  Snapshots of this handle never stop threads. */
PMF_API int pmf_target_open_self(pmf_target *t,
				 const struct pmf_target_opts *opts);

/* One call: opens the calling process, takes a snapshot with OPTS (NULL:
 * the defaults) into *OUT and closes the handle again.  Free the
 * snapshot with pmf_snapshot_free().  On failure returns a PMF code and,
 * when ERRBUF is not NULL, writes the detail (NUL-terminated, truncated
 * to ERRLEN bytes) to it.  Call with the GIL held. */
PMF_API int pmf_snapshot_self(const struct pmf_snapshot_opts *opts,
			      pmf_snapshot **out, char *errbuf,
			      size_t errlen);

/* ------------------------------------------------------------------ */
/* Reports                                                             */
/* ------------------------------------------------------------------ */

/* A sink: called with each chunk of output; returns 0, or a negative
 * value to stop the report (returned to the caller as PMF_EIO). */
typedef int (*pmf_write_fn)(void *arg, const char *data, size_t len);

/* A ready-made sink writing to the FILE * passed as ARG. */
PMF_API int pmf_write_stdio(void *arg, const char *data, size_t len);

/* Report options; a zeroed struct (or NULL) means the defaults. */
struct pmf_report_opts {
	bool select_interp;  /* report only interpreter interp_id */
	int64_t interp_id;
	unsigned top;        /* rows in "worst N" lists (pinned arenas,
	                        types); 0 means 10 */
};

/* Writes a report of the snapshot through FN.  Returns 0, PMF_EINVAL (an
 * unknown format, or select_interp names no interpreter in the snapshot),
 * PMF_EIO (the sink failed) or PMF_ENOMEM. */
PMF_API int pmf_report_write(const pmf_snapshot *s, enum pmf_format format,
			     const struct pmf_report_opts *opts,
			     pmf_write_fn fn, void *arg);

/* The JSON report as a stream of events, for building it straight into
 * another language's own values (the Python module's stats() does)
 * rather than writing text and parsing it.  The events are exactly what
 * a JSON parser finds in PMF_FORMAT_JSON's text: the same keys in the
 * same order, strings unescaped and valid UTF-8 (RFC 3629: bytes from
 * the target that are not become U+FFFD, as in the text), doubles
 * rounded to the text's 6 significant digits (one that the text shows as
 * a plain integer, "3" or "-0", comes as that integer, through i64), a
 * value that is not finite as null.  Strings are good only during the
 * call.  Inside an object each value follows its key.  Callbacks run in
 * the C locale (see pmf_report_tree()).  Every callback returns 0, or a
 * negative value to stop (the report then returns PMF_EIO and calls
 * nothing more).  */
struct pmf_tree_sink {
	int (*begin)(void *arg, bool array); /* an object, or an array */
	int (*end)(void *arg, bool array);
	int (*key)(void *arg, const char *key, size_t len);
	int (*str)(void *arg, const char *s, size_t len);
	int (*u64)(void *arg, uint64_t v);
	int (*i64)(void *arg, int64_t v);
	int (*f64)(void *arg, double v);
	int (*boolean)(void *arg, bool v);
	int (*null)(void *arg);
};

/* Emits the JSON report of the snapshot as events to SINK (ARG passed
 * back).  Returns 0, PMF_EINVAL (a callback is NULL, or select_interp
 * names no interpreter in the snapshot), PMF_EIO (a callback failed) or
 * PMF_ENOMEM.  Like pmf_report_write(), it formats numbers in the C
 * locale whatever locale the program set: the calling thread is switched
 * to it (uselocale(3)) for the call, callbacks included. */
PMF_API int pmf_report_tree(const pmf_snapshot *s,
			    const struct pmf_report_opts *opts,
			    const struct pmf_tree_sink *sink, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* PYMFRAG_H */
