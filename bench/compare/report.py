"""Builds the comparison table from the results file that compare.sh writes, prints it, and puts
it into bench/README.md between the compare markers.

    report.py RESULTS.tsv README.md

RESULTS.tsv lines: TOOL<TAB>KEY<TAB>VALUE. Keys: valid_json / expired_json / login_json (hyperfine
JSON exports), valid_refreshes / expired_refreshes / expired_runs / login_requests / login_runs,
rss_kib, import_json / import_rss_kib (Python tools), storm_rounds (JSON list of rounds), cache_mode, cache_file, after_storm, machine lines
(tool "machine").
"""
import json
import re
import statistics
import sys

TOOLS = [("ours_v3", "tapis-auth (Tapis v3)"), ("ours_v2", "tapis-auth (Agave v2)"),
         ("ours_py", "tapis_auth, Python (Tapis v3)"),
         ("agavepy", "agavepy 0.9.5 (Agave v2)"), ("tapipy", "tapipy (Tapis v3)")]
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"


def load(path):
    res = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        tool, key, value = line.split("\t", 2)
        res.setdefault(tool, {})[key] = value
    return res


def hf(path):
    """(median ms, min ms, max ms, runs) from a hyperfine JSON export."""
    try:
        r = json.load(open(path))["results"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    times = r["times"]
    return statistics.median(times) * 1000, min(times) * 1000, max(times) * 1000, len(times)


def fmt_ms(v):
    if v is None:
        return "n/a"
    med, lo, hi, n = v
    p = lambda x: ("%.1f" % x) if x < 100 else ("%.0f" % x)
    return "**%s ms** (%s–%s, n=%d)" % (p(med), p(lo), p(hi), n)


def cell(res, tool, key, fn):
    d = res.get(tool, {})
    try:
        return fn(d)
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        return "n/a"


def storm_cells(d):
    rounds = json.loads(d["storm_rounds"])
    failed = " / ".join(str(r["failed"]) for r in rounds)
    refresh = " / ".join(str(r["refreshes"]) for r in rounds)
    rejected = " / ".join(str(r["rejected"]) for r in rounds)
    return failed, refresh, rejected


def reasons(d):
    total = {}
    for r in json.loads(d["storm_rounds"]):
        for k, v in r.get("reasons", {}).items():
            total[k] = total.get(k, 0) + v
    if not total:
        return "–"
    return "; ".join("%d× `%s`" % (v, k.replace("|", "/")) for k, v in sorted(total.items(), key=lambda kv: -kv[1]))


def table(res):
    m = res.get("machine", {})
    cols = [t for t, _ in TOOLS if t in res]
    head = "| | " + " | ".join(name for t, name in TOOLS if t in res) + " |"
    sep = "|---|" + "---|" * len(cols)
    rows = []

    def row(label, fn):
        rows.append("| " + label + " | " + " | ".join(cell(res, t, None, fn) for t in cols) + " |")

    n = m.get("storm_n", "16")
    row("0. `python -c 'import …'` (the module alone): median wall (min–max)", lambda d: fmt_ms(hf(d["import_json"])))
    row("   peak RSS of (0)", lambda d: "%.1f MiB" % (int(d["import_rss_kib"]) / 1024))
    row("1. `token`, valid cache: median wall (min–max)", lambda d: fmt_ms(hf(d["valid_json"])))
    row("   refresh requests during (1)", lambda d: d["valid_refreshes"])
    row("2. `token`, expired cache (refreshes): median wall (min–max)", lambda d: fmt_ms(hf(d["expired_json"])))
    row("   refresh requests / runs in (2)", lambda d: "%s / %s" % (d["expired_refreshes"], d["expired_runs"]))
    row("3. first login: median wall (min–max)", lambda d: fmt_ms(hf(d["login_json"])))
    row("   HTTP requests per login", lambda d: "%.0f (%s)" % (int(d["login_requests"]) / int(d["login_runs"]), d["login_endpoints"]))
    row("4. peak RSS of (1) (max of runs)", lambda d: "**%.1f MiB**" % (int(d["rss_kib"]) / 1024))
    row("5. storm, %s processes: failed callers per round" % n, lambda d: "**%s**" % storm_cells(d)[0])
    row("   refresh requests per round", lambda d: storm_cells(d)[1])
    row("   refresh requests rejected (token already used) per round", lambda d: storm_cells(d)[2])
    row("   why callers failed (all rounds)", lambda d: reasons(d))
    row("   wall time until all %s answered, per round" % n, lambda d: " / ".join(
        "%.2f s" % (r["wall_ms"] / 1000) for r in json.loads(d["storm_rounds"])))
    row("   next call after the storm", lambda d: d["after_storm"])
    row("secret-bearing cache file, mode", lambda d: "`%s` %s" % (d["cache_file"], d["cache_mode"]))
    out = [head, sep] + rows
    out.append("")
    out.append("Machine: %s; %s CPUs (`nproc`); %s; %s. Run %s. Versions: %s." % (
        m.get("cpu", "?"), m.get("nproc", "?"), m.get("mem", "?"), m.get("os", "?"),
        m.get("date", "?"), m.get("versions", "?")))
    return "\n".join(out)


def main():
    res = load(sys.argv[1])
    text = table(res)
    print(text)
    readme = sys.argv[2]
    body = open(readme).read()
    block = BEGIN + "\n" + text + "\n" + END
    if BEGIN in body and END in body:
        body = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, body, flags=re.S)
    else:
        body = body.rstrip("\n") + "\n\n" + block + "\n"
    with open(readme + ".tmp", "w") as f:
        f.write(body)
    import os
    os.replace(readme + ".tmp", readme)


if __name__ == "__main__":
    main()
