# Target safety: RUNS `pymfrag report` runs against one live target
# (hammer.py), a random subset of them SIGKILLed at random moments, many
# while the target is held.  After every kill and at the end the target
# must be running (no thread in state T/t), still doing its work, still
# answering, and its own sys._debugmallocstats() must still succeed.
# The RNG is seeded with SEED, which is printed, so a failure can be
# replayed.
# Usage: safety.py PYMFRAG PYTHON HAMMER HEAP_MB RUNS SEED
import glob
import os
import random
import signal
import subprocess
import sys
import time

pymfrag, python, hammer = sys.argv[1], sys.argv[2], sys.argv[3]
heap_mb, runs, seed = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
rng = random.Random(seed)
print("seed %d" % seed)

fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL: " + msg)


def states(pid):
    """(state, tracer) of every thread of PID."""
    out = []
    for d in glob.glob("/proc/%d/task/*" % pid):
        try:
            with open(d + "/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()[0]
            tracer = 0
            with open(d + "/status") as f:
                for line in f:
                    if line.startswith("TracerPid:"):
                        tracer = int(line.split()[1])
            out.append((st, tracer))
        except (OSError, IndexError, ValueError):
            pass  # a thread that just exited
    return out


def process_state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def running_again(pid, limit=2.0):
    """Waits until no thread of PID is stopped; the seconds it took, or
    None if some thread stayed stopped past LIMIT."""
    t0 = time.monotonic()
    while True:
        s = states(pid)
        if s and process_state(pid) not in "Tt" and \
                all(st not in "Tt" and tr == 0 for st, tr in s):
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return None
        time.sleep(0.0005)


target = subprocess.Popen([python, hammer, str(heap_mb), "4"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=open(os.devnull, "w"),
                          universal_newlines=True)
T = target.pid
if target.stdout.readline().strip() != "ready":
    print("FAIL: the target did not start")
    sys.exit(1)


def ask(cmd):
    target.stdin.write(cmd + "\n")
    target.stdin.flush()
    return target.stdout.readline().strip()


last_pong = int(ask("ping").split()[1])
kills = kills_held = kills_early = ok_runs = 0
max_release = 0.0
t_start = time.monotonic()
for run in range(runs):
    p = subprocess.Popen([pymfrag, "report", "--pid", str(T)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    mode = rng.random()
    held = False
    if mode < 0.3:
        # Let it finish.
        try:
            _, err = p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            fail("run %d: pymfrag hung" % run)
            continue
        if p.returncode != 0:
            fail("run %d: exit %d: %s" % (run, p.returncode,
                                          err.decode(errors="replace")))
        else:
            ok_runs += 1
    else:
        if mode < 0.5:
            # Any moment of the run: opening, locating, the pause, after.
            time.sleep(rng.uniform(0, 0.03))
        else:
            # Inside the pause: wait for pymfrag to hold the target, then
            # a random part of a pause.
            t0 = time.monotonic()
            while time.monotonic() - t0 < 2 and p.poll() is None:
                if any(tr == p.pid for _, tr in states(T)):
                    break
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.002))
        s = states(T)
        held = any(st == "t" and tr == p.pid for st, tr in s)
        p.send_signal(signal.SIGKILL)
        p.wait()
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        if p.returncode == -signal.SIGKILL:
            kills += 1
            kills_held += held
        elif p.returncode == 0:
            ok_runs += 1  # finished before the signal
        else:
            fail("run %d: exit %d before the kill: %s" %
                 (run, p.returncode, err.strip()))
    took = running_again(T)
    if took is None:
        fail("run %d (%s): the target stayed stopped: %s" %
             (run, "killed while held" if held else "after the run",
              states(T)))
        break
    max_release = max(max_release, took)
    if target.poll() is not None:
        fail("run %d: the target died (%s)" % (run, target.returncode))
        break
    if run % 50 == 49:
        pong = int(ask("ping").split()[1])
        if pong <= last_pong:
            fail("run %d: the target's work stopped (%d -> %d)" %
                 (run, last_pong, pong))
        last_pong = pong

elapsed = time.monotonic() - t_start
if target.poll() is None:
    s = states(T)
    if any(st in "Tt" for st, _ in s):
        fail("at the end a thread is stopped: %s" % s)
    time.sleep(0.2)  # give the workers the GIL for a while
    pong = int(ask("ping").split()[1])
    if pong <= last_pong:
        fail("at the end the target's work has stopped")
    if ask("dms") != "dms ok":
        fail("the target's own _debugmallocstats() failed")
    ask("quit")
    target.wait(timeout=10)
    if target.returncode != 0:
        fail("the target exited %s" % target.returncode)
print("runs %d" % runs)
print("kills %d" % kills)
print("kills_while_held %d" % kills_held)
print("completed_runs %d" % ok_runs)
print("max_release_s %.4f" % max_release)
print("elapsed_s %.1f" % elapsed)
print("failures %d" % len(fails))
sys.exit(1 if fails else 0)
