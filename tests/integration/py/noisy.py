# The program "top -- CMD" runs in its test: it writes noise to both of
# its outputs (none of which may reach the monitor's screen), builds a
# heap, and exits with status 3 after argv[1] seconds.
import sys
import time

end = time.time() + float(sys.argv[1])
keep = []
n = 0
while time.time() < end:
    n += 1
    print("NOISE-OUT line %d" % n, flush=True)
    print("NOISE-ERR line %d" % n, file=sys.stderr, flush=True)
    keep.append([str(i) * 3 for i in range(2000)])
    time.sleep(0.05)
sys.exit(3)
