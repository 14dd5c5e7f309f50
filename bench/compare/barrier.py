"""The storm start line shared by the Python tools (storm.py sets BENCH_BARRIER): after its
imports a caller says it is ready and waits for the go file, so the N callers reach the cache
together as on N nodes, not spread out by N interpreters starting on 2 cores. Bounded to 120 s;
does nothing outside a storm."""
import os


def barrier():
    d = os.environ.get("BENCH_BARRIER")
    if not d:
        return
    import time as _t
    open(os.path.join(d, "ready.%d" % os.getpid()), "w").close()
    end = _t.monotonic() + 120
    while not os.path.exists(os.path.join(d, "go")) and _t.monotonic() < end:
        _t.sleep(0.002)
