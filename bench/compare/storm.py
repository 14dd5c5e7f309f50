"""Start N copies of a command at the same instant and count the callers that failed.

    storm.py N TIMEOUT_SECS CMD [ARGS...]

Each copy is a `sh` that blocks reading a shared pipe and then execs CMD; closing the pipe's write
end releases all of them at once (they are all forked, and Python already loaded, before the
start). A caller fails when it exits non-zero, prints nothing on stdout, or is still running after
TIMEOUT_SECS (it is then killed). Prints one JSON line: {"n","failed","ok","distinct_tokens",
"wall_ms","reasons":{last stderr line (Python: the exception type): count}}.
"""
import json
import os
import subprocess
import sys
import tempfile
import time


def main():
    n, timeout, cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    bdir = tempfile.mkdtemp(prefix="storm-barrier.")
    env = dict(os.environ, BENCH_BARRIER=bdir)  # the Python helpers also wait after their imports
    r, w = os.pipe()
    procs = []
    for _ in range(n):
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        p = subprocess.Popen(["sh", "-c", 'read -r _ <&3; exec "$@"', "sh"] + cmd,
                             stdin=subprocess.DEVNULL, stdout=out, stderr=err, pass_fds=(r,),
                             env=env, close_fds=True)
        procs.append((p, out, err))
    os.close(r)
    time.sleep(0.2)  # let every shell reach the read
    start = time.monotonic()
    os.close(w)  # go (exec)
    # Python callers: release them once all are ready, or the ones still running after 60 s.
    end = time.monotonic() + 60
    while time.monotonic() < end:
        ready = sum(1 for f in os.listdir(bdir) if f.startswith("ready."))
        if ready >= n or all(p.poll() is not None for p, _, _ in procs) or (ready == 0 and time.monotonic() - start > 2):
            break
        time.sleep(0.002)
    open(os.path.join(bdir, "go"), "w").close()
    failed, tokens, reasons = 0, set(), {}
    for p, out, err in procs:
        left = max(0.1, timeout - (time.monotonic() - start))
        try:
            rc = p.wait(timeout=left)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            rc = -9
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
        if rc != 0 or not text:
            failed += 1
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else ("timed out" if rc == -9 else "exit %d" % rc)
            reason = reason.split(": ")[0] if ": " in reason and not reason.startswith("tapis-auth") else reason
            reason = reason[:120]
            reasons[reason] = reasons.get(reason, 0) + 1
        else:
            tokens.add(text)
    wall = (time.monotonic() - start) * 1000
    for f in os.listdir(bdir):
        os.unlink(os.path.join(bdir, f))
    os.rmdir(bdir)
    print(json.dumps({"n": n, "failed": failed, "ok": n - failed, "distinct_tokens": len(tokens),
                      "wall_ms": round(wall, 1), "reasons": reasons}))


if __name__ == "__main__":
    main()
