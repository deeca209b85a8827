#!/usr/bin/env python3
"""report.py - bench/run's bookkeeping: records each measurement as one JSON
line, then aggregates a run into bench/results/<date>.{md,json,png}.

  report.py rec RAW key=value... [iperf=F|lat=F|wrk=F|dnsperf=F]
      parse a tool's output file and append one record to RAW (JSON lines);
      numbers given as key=value (cpu ticks, rss...) are kept as numbers.
  report.py fill RAW REP BACKEND REASON CELL...
      add a failed record for every CELL of that repeat and backend that has
      no record yet (a session that died part-way).
  report.py missed RAW
      print the qcw-net cells worth profiling, one per line, as
      "kind mtu dir streams" (the worst misses first).
  report.py report RAW META OUTBASE [PROFILE_DIR]
      write OUTBASE.md, OUTBASE.json, OUTBASE.dat and OUTBASE.gp (the
      gnuplot script bench/run renders into OUTBASE.png).

Medians and spreads (min-max) are over the repeats of one cell; absolute
numbers only mean something against the peers measured in the same run.
"""
import json
import os
import re
import statistics
import sys

BACKENDS = ["qcw", "qcw-agent", "qcw-base", "slirp-backend", "passt", "passt-deb", "slirp", "ceiling", "wire"]
NAMES = {
    "qcw": "qcw-net",
    "qcw-agent": "qcw-net via qcw-net-vm",
    "qcw-base": "qcw-net (base)",
    "slirp-backend": "qcw-net -stack slirp",
    "passt": "passt",
    "passt-deb": "passt (Debian)",
    "slirp": "QEMU slirp",
    "ceiling": "ceiling (veth)",
    "wire": "wire (tap-bridge-tap)",
}
DIRS = {"g2h": "guest→host", "h2g": "host→guest"}
PCTS = ["p50_us", "p90_us", "p99_us", "p999_us"]
IDLE_TARGET = 4096
# issue 16: qcw-net's IPv6 throughput within 10 % of its own IPv4 figures
V6_TOLERANCE = 0.10
# IPv6 cells a backend does not run, and why (shown instead of a number)
V6_NA = {
    ("fwd6", "slirp-backend"): "n/a: libslirp 4.7 has no IPv6 forward into the guest",
    ("tcp6", "slirp"): "n/a: QEMU slirp gets no IPv6 in this lab",
    ("fwd6", "slirp"): "n/a: QEMU slirp gets no IPv6 in this lab",
    ("tcp6", "wire"): "n/a: the wire has no IPv6 rows",
    ("fwd6", "wire"): "n/a: the wire has no IPv6 rows",
}


def num(v):
    """Turn a key=value string into an int or float when it is one."""
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def parse_iperf(path, rec):
    """Fill rec from an iperf3 -J output file (TCP or UDP)."""
    with open(path) as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError:
        rec["error"] = "iperf3: " + (text.strip().splitlines() or ["no output"])[-1][:200]
        return
    if "error" in doc and "end" not in doc:
        rec["error"] = "iperf3: " + doc["error"]
        return
    end = doc.get("end", {})
    recv = end.get("sum_received") or end.get("sum")
    sent = end.get("sum_sent") or end.get("sum") or {}
    if not recv or not recv.get("bytes"):
        rec["error"] = "iperf3: " + doc.get("error", "no data received")
        return
    rec["ok"] = True
    rec["gbps"] = recv["bits_per_second"] / 1e9
    rec["bytes"] = recv["bytes"]
    rec["retrans"] = sent.get("retransmits", 0)
    if "lost_percent" in recv:
        rec["lost_pct"] = recv["lost_percent"]
        rec["sent_gbps"] = sent.get("bits_per_second", 0) / 1e9


def parse_lat(path, rec):
    """Fill rec from qcw-bench-tcp rr/crr output (one JSON object)."""
    with open(path) as f:
        text = f.read()
    for line in text.splitlines():
        if line.startswith("{"):
            rec.update(json.loads(line))
            rec["ok"] = rec.get("n", 0) > 0
            return
    rec["error"] = "qcw-bench-tcp: " + (text.strip().splitlines() or ["no output"])[-1][:200]


def parse_wrk(path, rec):
    """Fill rec from wrk's text output (connections per second)."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if not m:
        rec["error"] = "wrk: " + (text.strip().splitlines() or ["no output"])[-1][:200]
        return
    rec["ok"] = True
    rec["cps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    rec["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    rec["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    rec["bad_responses"] = int(m.group(1)) if m else 0


def parse_dnsperf(path, rec):
    """Fill rec from dnsperf's text output (queries per second, loss)."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"Queries per second:\s+([\d.]+)", text)
    if not m:
        rec["error"] = "dnsperf: " + (text.strip().splitlines() or ["no output"])[-1][:200]
        return
    rec["qps"] = float(m.group(1))
    m = re.search(r"Queries lost:\s+(\d+) \(([\d.]+)%\)", text)
    rec["lost_pct"] = float(m.group(2)) if m else 0.0
    m = re.search(r"Average Latency \(s\):\s+([\d.]+)", text)
    rec["avg_latency_us"] = float(m.group(1)) * 1e6 if m else None
    m = re.search(r"Response codes:\s+(.*)", text)
    rec["rcodes"] = m.group(1).strip() if m else ""
    rec["ok"] = rec["qps"] > 0 and "NOERROR" in rec["rcodes"]
    if not rec["ok"]:
        rec["error"] = "dnsperf: no NOERROR answers (%s)" % rec["rcodes"]


def parse_scale(path, rec):
    """Fill rec from the scale cell's directory: vm<i>.json, one iperf3 -J
    download per VM, all at once. Aggregate Gbit/s, each VM's, the slowest
    over the fastest and Jain's fairness index; any VM without data fails
    the cell (a starved VM)."""
    n = int(rec.get("streams", 0))
    vms = []
    for i in range(1, n + 1):
        r = {}
        parse_iperf(os.path.join(path, "vm%d.json" % i), r)
        if not r.get("ok"):
            rec["error"] = "VM %d: %s" % (i, r.get("error", "no data"))
            return
        vms.append(r)
    g = [r["gbps"] for r in vms]
    rec["ok"] = bool(g)
    if not g:
        rec["error"] = "no VMs"
        return
    rec["vm_gbps"] = g
    rec["gbps"] = sum(g)
    rec["bytes"] = sum(r["bytes"] for r in vms)
    rec["vm_min_gbps"], rec["vm_max_gbps"] = min(g), max(g)
    rec["fairness"] = min(g) / max(g) if max(g) > 0 else 0.0
    rec["jain"] = sum(g) ** 2 / (len(g) * sum(x * x for x in g)) if any(g) else 0.0


PARSERS = {"iperf": parse_iperf, "lat": parse_lat, "wrk": parse_wrk, "dnsperf": parse_dnsperf,
           "scale": parse_scale}


def cmd_rec(raw, args):
    """report.py rec: parse one measurement and append it to RAW."""
    rec = {"ok": False}
    tool = None
    for a in args:
        k, _, v = a.partition("=")
        if k in PARSERS:
            tool = (k, v)
        else:
            rec[k] = num(v)
    if tool and not rec.get("error"):
        try:
            PARSERS[tool[0]](tool[1], rec)
        except (OSError, ValueError, KeyError) as e:
            rec["error"] = "%s: %s" % (tool[0], e)
    elif not tool and "error" not in rec:
        rec["ok"] = True
    hz = rec.get("hz", 100)
    if "cpu_ticks" in rec:
        rec["cpu_s"] = rec["cpu_ticks"] / hz
        if rec.get("bytes"):
            rec["cpu_s_per_gb"] = rec["cpu_s"] / (rec["bytes"] / 1e9)
    if "bridge_ticks" in rec:
        rec["bridge_cpu_s"] = rec["bridge_ticks"] / hz
        if rec.get("bytes"):
            rec["bridge_cpu_s_per_gb"] = rec["bridge_cpu_s"] / (rec["bytes"] / 1e9)
    with open(raw, "a") as f:
        f.write(json.dumps(rec) + "\n")


def load(raw):
    """Read every record of a run."""
    recs = []
    if os.path.exists(raw):
        with open(raw) as f:
            for line in f:
                line = line.strip()
                if line:
                    recs.append(json.loads(line))
    return recs


def cmd_fill(raw, rep, backend, reason, cells):
    """report.py fill: failed records for cells a dead session never ran."""
    have = {r["cell"] for r in load(raw) if r.get("rep") == int(rep) and r.get("backend") == backend}
    with open(raw, "a") as f:
        for cell in cells:
            if cell in have:
                continue
            kind, mtu, d, streams = (cell.split() + ["-", "-", "-"])[:4]
            f.write(json.dumps({"ok": False, "rep": int(rep), "backend": backend, "cell": cell,
                                "kind": kind, "mtu": num(mtu), "dir": d, "streams": num(streams),
                                "error": reason}) + "\n")


def stat(vals):
    """Median, min and max of a list (None when empty)."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def cell_order(cell):
    """Sort key: kind, then MTU, direction and streams as numbers."""
    kinds = ["tcp", "fwd", "tcp6", "fwd6", "udp", "rr", "crr", "conn", "dns_local", "dns_fwd", "scale", "idle", "hwm"]
    p = cell.split()
    k = kinds.index(p[0]) if p[0] in kinds else 99
    mtu = int(p[1]) if len(p) > 1 and p[1].isdigit() else 0
    d = p[2] if len(p) > 2 else ""
    s = int(p[3]) if len(p) > 3 and p[3].isdigit() else 0
    return (k, mtu, d, s)


def label(cell):
    """Human name of a cell id such as "tcp 1500 g2h 4"."""
    p = cell.split()
    kind = p[0]
    if kind == "tcp":
        return "TCP MTU %s %s ×%s" % (p[1], DIRS.get(p[2], p[2]), p[3])
    if kind == "fwd":
        return "fwd MTU %s %s" % (p[1], DIRS.get(p[2], p[2]))
    if kind == "tcp6":
        return "TCP/IPv6 MTU %s %s ×%s" % (p[1], DIRS.get(p[2], p[2]), p[3])
    if kind == "fwd6":
        return "fwd/IPv6 MTU %s %s" % (p[1], DIRS.get(p[2], p[2]))
    if kind == "udp":
        return "UDP MTU %s %s" % (p[1], DIRS.get(p[2], p[2]))
    return cell


def short(cell):
    """Chart label of a throughput cell."""
    p = cell.split()
    arrow = {"g2h": "up", "h2g": "down"}.get(p[2], p[2])
    if p[0] == "tcp":
        return "%s %s x%s" % (p[1], arrow, p[3])
    if p[0] == "tcp6":
        return "v6 %s %s x%s" % (p[1], arrow, p[3])
    return "%s %s %s" % (p[0], p[1], arrow)


def aggregate(recs):
    """Group records by (cell, backend) and summarise every metric."""
    groups = {}
    for r in recs:
        groups.setdefault((r["cell"], r["backend"]), []).append(r)
    agg = {}
    metrics = ["gbps", "lost_pct", "retrans", "cpu_s_per_gb", "bridge_cpu_s_per_gb", "tps", "min_us",
               "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "cps", "qps", "avg_latency_us",
               "bytes_per_conn", "rss_kb", "hwm_kb", "open_s", "socket_errors", "vm_min_gbps",
               "vm_max_gbps", "fairness", "jain"]
    for (cell, backend), rs in groups.items():
        ok = [r for r in rs if r.get("ok")]
        a = {"runs": len(rs), "ok": len(ok),
             "errors": sorted({r.get("error", "") for r in rs if not r.get("ok")})}
        for m in metrics:
            s = stat([r.get(m) for r in ok])
            if s:
                a[m] = s
        agg.setdefault(cell, {})[backend] = a
    return agg


def med(agg, cell, backend, metric):
    """Median of one metric, or None."""
    try:
        return agg[cell][backend][metric]["median"]
    except KeyError:
        return None


def fmt(v, nd=2):
    """A number for a table cell."""
    if v is None:
        return "–"
    if isinstance(v, float) and abs(v) >= 1000:
        return "%.0f" % v
    return ("%." + str(nd) + "f") % v


def cell_text(agg, cell, backend, metric, nd=2):
    """Median [min–max] of a metric, or the failure reason."""
    a = agg.get(cell, {}).get(backend)
    if a is None:
        return V6_NA.get((cell.split()[0], backend), "–")
    s = a.get(metric)
    if not s:
        reason = "; ".join(e for e in a["errors"] if e) or "no data"
        return "failed (%s)" % reason
    t = "%s [%s–%s]" % (fmt(s["median"], nd), fmt(s["min"], nd), fmt(s["max"], nd))
    if a["ok"] < a["runs"]:
        t += " (%d/%d ok)" % (a["ok"], a["runs"])
    return t


def throughput_cells(agg):
    """Cells whose primary metric is Gbit/s, in table order."""
    return sorted([c for c in agg if c.split()[0] in ("tcp", "fwd", "udp", "tcp6", "fwd6")], key=cell_order)


def v4_of(cell):
    """The IPv4 cell an IPv6 one compares with ("tcp6 1500 g2h 1" -> "tcp 1500 g2h 1")."""
    p = cell.split()
    return " ".join([p[0][:-1]] + p[1:])


def evaluate_v6(agg):
    """Issue 16's goals: a list of (name, status, detail) over the IPv6 cells."""
    cells = [c for c in throughput_cells(agg) if c.split()[0] in ("tcp6", "fwd6")]
    out = []
    miss, checked = [], 0
    for c in cells:
        q6, q4 = med(agg, c, "qcw", "gbps"), med(agg, v4_of(c), "qcw", "gbps")
        if q6 is None or q4 is None:
            continue
        checked += 1
        if q6 < (1 - V6_TOLERANCE) * q4:
            miss.append("%s %.2f vs IPv4 %.2f (%.0f%%)" % (label(c), q6, q4, 100 * q6 / q4))
    out.append(("qcw-net's IPv6 throughput within %d %% of its IPv4 (same cell)" % (100 * V6_TOLERANCE),
                "met" if checked and not miss else ("missed" if miss else "not measured"),
                "%d of %d cells met" % (checked - len(miss), checked) + ("; missed: " + "; ".join(miss) if miss else "")))
    miss, checked = [], 0
    for c in cells:
        q6, p6 = med(agg, c, "qcw", "gbps"), med(agg, c, "passt", "gbps")
        if q6 is None or p6 is None:
            continue
        checked += 1
        if q6 <= p6:
            miss.append("%s %.2f vs passt %.2f (%.0f%%)" % (label(c), q6, p6, 100 * q6 / p6))
    out.append(("qcw-net ahead of passt over IPv6",
                "met" if checked and not miss else ("missed" if miss else "not measured"),
                "%d of %d cells met" % (checked - len(miss), checked) + ("; missed: " + "; ".join(miss) if miss else "")))
    return out


def evaluate(agg):
    """Issue 7's targets: a list of (name, status, detail, cells to profile)."""
    out = []
    tput = [c for c in throughput_cells(agg) if c.split()[0] in ("tcp", "fwd")]
    # 1. throughput: lead passt, at least 2x slirp
    miss, checked, worst = [], 0, []
    for c in tput:
        q = med(agg, c, "qcw", "gbps")
        p = med(agg, c, "passt", "gbps")
        s = med(agg, c, "slirp", "gbps")
        if p is None and s is None:
            continue
        checked += 1
        if q is None:
            miss.append("%s: qcw-net failed" % label(c))
            worst.append((0, c))
            continue
        why = []
        if p is not None and q <= p:
            why.append("%.2f vs passt %.2f (%.0f%%)" % (q, p, 100 * q / p))
        if s is not None and q < 2 * s:
            why.append("%.2f vs 2× slirp %.2f" % (q, 2 * s))
        if why:
            miss.append("%s: %s" % (label(c), ", ".join(why)))
            worst.append((q / p if p else q / (2 * s), c))
    worst.sort()
    out.append(("qcw-net leads passt and ≥2× QEMU slirp in every TCP throughput cell",
                "met" if checked and not miss else ("missed" if miss else "not measured"),
                "%d of %d cells met" % (checked - len(miss), checked) + ("; missed: " + "; ".join(miss) if miss else ""),
                [c for _, c in worst]))
    # 2. latency percentiles
    miss, checked = [], 0
    for c in ("rr", "crr"):
        for p in PCTS[:3]:
            q, pp = med(agg, c, "qcw", p), med(agg, c, "passt", p)
            if q is None or pp is None:
                continue
            checked += 1
            if q > pp:
                miss.append("%s %s %.1f µs vs passt %.1f µs" % (c, p[:-3], q, pp))
    out.append(("latency percentiles (p50, p90, p99 of TCP_RR and TCP_CRR) no worse than passt",
                "met" if checked and not miss else ("missed" if miss else "not measured"),
                "%d of %d percentiles met" % (checked - len(miss), checked) + ("; missed: " + "; ".join(miss) if miss else ""),
                [c for c in ("rr", "crr") if any(m.startswith(c + " ") for m in miss)]))
    # 3. CPU per GB
    miss, checked, worst = [], 0, []
    for c in tput:
        q, p = med(agg, c, "qcw", "cpu_s_per_gb"), med(agg, c, "passt", "cpu_s_per_gb")
        if q is None or p is None:
            continue
        checked += 1
        if q > p:
            miss.append("%s %.3f vs passt %.3f s/GB" % (label(c), q, p))
            worst.append((p / q, c))
    worst.sort()
    out.append(("CPU seconds per GB no worse than passt (every TCP cell)",
                "met" if checked and not miss else ("missed" if miss else "not measured"),
                "%d of %d cells met" % (checked - len(miss), checked) + ("; missed: " + "; ".join(miss) if miss else ""),
                [c for _, c in worst]))
    # 4. idle connections
    idle = [c for c in agg if c.startswith("idle")]
    v = med(agg, idle[0], "qcw", "bytes_per_conn") if idle else None
    if v is None:
        out.append(("idle connections cost < 4 KiB each", "not measured",
                    "qcw-net's idle cell failed or did not run", []))
    else:
        out.append(("idle connections cost < 4 KiB each", "met" if v < IDLE_TARGET else "missed",
                    "%.0f bytes per connection (%s)" % (v, idle[0]), [] if v < IDLE_TARGET else [idle[0]]))
    return out


def cmd_missed(raw):
    """report.py missed: cells worth a profile, worst first, at most 3."""
    targets = evaluate(aggregate(load(raw)))
    picked = []
    for _, status, _, cells in targets:
        if status == "missed" and cells and not cells[0].startswith("idle") and cells[0] not in picked:
            picked.append(cells[0])
    # the worst throughput miss of the other direction is worth one too
    _, status, _, cells = targets[0]
    if status == "missed" and cells:
        first = cells[0].split()[2]
        for c in cells:
            if c.split()[2] != first and c not in picked:
                picked.append(c)
                break
    for c in picked[:3]:
        print(c)


def table(headers, rows):
    """A markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for r in rows:
        out.append("| " + " | ".join(r) + " |")
    return "\n".join(out)


def ratio(a, b):
    """a / b as text, or –."""
    if a is None or b is None or b == 0:
        return "–"
    return "%.2f" % (a / b)


def write_chart(agg, backends, outbase, title):
    """The gnuplot data file and script: throughput bars with min-max
    (none when the run measured no throughput cell)."""
    cells = throughput_cells(agg)
    if not cells:
        return
    with open(outbase + ".dat", "w") as f:
        f.write("# cell " + " ".join("%s_med %s_min %s_max" % (b, b, b) for b in backends) + "\n")
        for c in cells:
            row = ['"%s"' % short(c)]
            for b in backends:
                s = agg[c].get(b, {}).get("gbps")
                row += ["%.4f %.4f %.4f" % (s["median"], s["min"], s["max"])] if s else ["NaN NaN NaN"]
            f.write(" ".join(row) + "\n")
    colors = {"qcw": "#1f77b4", "passt": "#ff7f0e", "passt-deb": "#d62728", "slirp": "#2ca02c", "slirp-backend": "#17becf", "qcw-base": "#8c564b", "qcw-agent": "#e377c2", "ceiling": "#7f7f7f", "wire": "#9467bd"}
    plots = []
    for i, b in enumerate(backends):
        col = 2 + 3 * i
        plots.append("'%s.dat' using %d:%d:%d%s title '%s' lc rgb '%s'" % (
            os.path.basename(outbase), col, col + 1, col + 2, ":xtic(1)" if i == 0 else "",
            NAMES[b], colors[b]))
    with open(outbase + ".gp", "w") as f:
        f.write("""set terminal pngcairo size 1600,650 font ',10'
set output '%s.png'
set title "%s"
set ylabel 'Gbit/s (median, bars: min–max; log scale)'
set logscale y
set yrange [0.05:*]
set grid ytics
set style data histogram
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -40 scale 0
set xlabel 'up = guest→host, down = host→guest, x1/x4 = streams; fwd = through a port forward; udp = received rate at the offered rate'
set key top left
plot %s
""" % (os.path.basename(outbase), title, ", \\\n     ".join(plots)))


def cmd_report(raw, meta_path, outbase, prof_dir=None):
    """report.py report: the .md, .json and chart sources of a run."""
    recs = load(raw)
    with open(meta_path) as f:
        meta = json.load(f)
    agg = aggregate(recs)
    present = {r["backend"] for r in recs}
    backends = [b for b in BACKENDS if b in present]
    targets = evaluate(agg)
    profiles = []
    if prof_dir and os.path.isdir(prof_dir):
        for name in sorted(os.listdir(prof_dir)):
            if name.endswith(".txt"):
                with open(os.path.join(prof_dir, name)) as f:
                    profiles.append({"cell": name[:-4].replace("_", " "), "text": f.read()})
    date = meta["date"]
    md = []
    md.append("# qcw-net benchmark, %s\n" % date)
    md.append("Produced by `bench/run%s` in one run: every backend below was measured through the same "
              "lab (guest network namespace, tap device, `qcw-tapbridge` speaking QEMU's stream framing "
              "to the backend's socket) on the same machine at the same time of day. **Read the numbers "
              "as ratios between columns**: the machine is shared and the same cell varies by up to 2× "
              "between runs.\n" % (" --quick" if str(meta.get("quick")) == "1" else ""))
    md.append("## Machine and versions\n")
    for k in ("machine", "cpu", "kernel", "qcw_net", "passt", "passt_deb", "qemu", "iperf3", "bridge", "tools", "settings"):
        if k in meta:
            md.append("- **%s**: %s" % (k.replace("_", "-"), meta[k]))
    md.append("")
    md.append("Backends: **qcw-net** (lwIP stack; host reached at 192.168.127.254, NATed to its "
              "namespace's 127.0.0.1), **passt** (the newest: built from the source named under "
              "Machine and versions, or Debian's when none was given; **passt (Debian)** is Debian 12's "
              "beside it; gateway 192.168.127.1 mapped to the namespace's loopback), **QEMU slirp** (QEMU 7.2 `-netdev user` hubbed to a stream "
              "netdev with `-M none`; MTU 1500 only, since that QEMU asserts on 64 KiB frames), and the "
              "**ceiling**: the guest's Linux stack talking to a Linux stack in the peer namespace over a "
              "veth pair (no userspace TCP/IP and no bridge: the limit of the guest's own stack on this "
              "machine). CPU is the backend process's utime+stime from /proc; the ceiling has no "
              "backend process.\n")
    md.append("## Targets (issue 7)\n")
    for name, status, detail, _ in targets:
        md.append("- **%s** — %s. %s" % (status.upper(), name, detail))
    md.append("")
    if throughput_cells(agg):
        md.append("![throughput](%s.png)\n" % os.path.basename(outbase))

    # TCP throughput
    def tput_table(kinds, title, note):
        """A throughput table (Gbit/s per backend, ratios to qcw-net) for some cell kinds."""
        cells = [c for c in throughput_cells(agg) if c.split()[0] in kinds]
        if not cells:
            return
        md.append("## %s\n" % title)
        md.append(note + "\n")
        hdr = ["cell"] + [NAMES[b] for b in backends]
        extra = []  # (column, numerator, denominator)
        for num, den in (("qcw", "qcw-base"), ("qcw-agent", "qcw"), ("qcw", "passt"), ("qcw", "slirp"), ("slirp-backend", "slirp"), ("qcw", "ceiling")):
            if num in backends and den in backends:
                extra.append(("%s/%s" % (num, den), num, den))
        hdr += [e[0] for e in extra]
        rows = []
        for c in cells:
            row = [label(c)] + [cell_text(agg, c, b, "gbps") for b in backends]
            row += [ratio(med(agg, c, num, "gbps"), med(agg, c, den, "gbps")) for _, num, den in extra]
            rows.append(row)
        md.append(table(hdr, rows) + "\n")

    tput_table(("tcp",), "TCP throughput (Gbit/s)",
               "iperf3, %s s per run; ×1 / ×4 = one stream / `-P 4`; guest→host: client in the guest, "
               "server on the backend namespace's loopback; host→guest: `-R`." % meta.get("duration"))
    tput_table(("fwd",), "Through a port forward (Gbit/s, issues 5 and 17)",
               "iperf3 client on the backend namespace's loopback, server in the guest; host→guest: the "
               "client sends, guest→host: `-R`; qcw-net: API "
               "expose, passt: `-t`, QEMU: `hostfwd` (the ceiling connects directly).")
    v6 = [c for c in throughput_cells(agg) if c.split()[0] in ("tcp6", "fwd6")]
    if v6:
        md.append("## IPv6 throughput (Gbit/s, issue 16)\n")
        md.append("The TCP cells and the forward once more over IPv6 in the same labs (IPV6=0 skips them). "
                  "The guest holds fd71:6377:6e65::2/64. qcw-net: the host alias fd71:6377:6e65::fe → the "
                  "namespace's ::1; forward: an API expose of [::1]:PORT → [guest]:PORT. passt: `-a`/`-g` "
                  "of the same prefix, its gateway ::1 mapped to the namespace's ::1 (its default "
                  "`--map-host-loopback`), a stub IPv6 uplink (a veth pair inside the namespace) with a default route so that it enables "
                  "IPv6; forward: `-t` on [::1]. The ceiling's veth end holds ::1. Ratios: qcw6/qcw4 is "
                  "qcw-net's IPv6 cell over the same IPv4 cell (goal ≥ %.2f); qcw6/passt6 is qcw-net over "
                  "passt, both on IPv6.\n" % (1 - V6_TOLERANCE))
        for name, status, detail in evaluate_v6(agg):
            md.append("- **%s** — %s. %s" % (status.upper(), name, detail))
        md.append("")
        vb = [b for b in backends if any(b in agg[c] or (c.split()[0], b) in V6_NA for c in v6)]
        hdr = ["cell"] + [NAMES[b] for b in vb]
        extra = []
        if "qcw" in vb:
            extra.append(("qcw6/qcw4", lambda c: ratio(med(agg, c, "qcw", "gbps"), med(agg, v4_of(c), "qcw", "gbps"))))
        if "qcw" in vb and "passt" in vb:
            extra.append(("qcw6/passt6", lambda c: ratio(med(agg, c, "qcw", "gbps"), med(agg, c, "passt", "gbps"))))
        if "passt" in vb:
            extra.append(("passt6/passt4", lambda c: ratio(med(agg, c, "passt", "gbps"), med(agg, v4_of(c), "passt", "gbps"))))
        if "slirp-backend" in vb:
            extra.append(("slirp-backend6/4", lambda c: ratio(med(agg, c, "slirp-backend", "gbps"),
                                                           med(agg, v4_of(c), "slirp-backend", "gbps"))))
        hdr += [e[0] for e in extra]
        rows = []
        for c in v6:
            rows.append([label(c)] + [cell_text(agg, c, b, "gbps") for b in vb] + [f(c) for _, f in extra])
        md.append(table(hdr, rows) + "\n")

    tput_table(("udp",), "UDP at a fixed offered rate (received Gbit/s)",
               "iperf3 `-u -b %s -l 1400 -w 4M`; loss below." % meta.get("udp_rate"))
    udp = [c for c in throughput_cells(agg) if c.startswith("udp")]
    if udp:
        md.append(table(["cell"] + [NAMES[b] for b in backends],
                        [[label(c) + " loss %"] + [cell_text(agg, c, b, "lost_pct", 1) for b in backends]
                         for c in udp]) + "\n")

    # latency
    lat = [c for c in ("rr", "crr") if c in agg]
    if lat:
        md.append("## Latency (µs, guest→host round trips)\n")
        md.append("`qcw-bench-tcp` (bench/tcpbench.c), %s s per run: rr = 64-byte request and response "
                  "on one connection; crr = connect, request, response, close (a fresh connection each "
                  "time). Percentiles per run, then median [min–max] over runs.\n"
                  % meta.get("short_duration"))
        rows = []
        for c in lat:
            for p in PCTS + ["tps"]:
                rows.append(["%s %s" % (c, p.replace("_us", ""))] +
                            [cell_text(agg, c, b, p, 1) for b in backends])
        md.append(table(["metric"] + [NAMES[b] for b in backends], rows) + "\n")

    # cost
    tc = [c for c in throughput_cells(agg) if c.split()[0] in ("tcp", "fwd", "tcp6", "fwd6")]
    cb = [b for b in backends if b != "ceiling"]
    if tc and cb:
        md.append("## Cost: CPU seconds per GB moved (backend process)\n")
        md.append("utime+stime of the backend process during the cell divided by the bytes iperf3 "
                  "received. The guest's bridge (the same program for every backend) is in the last "
                  "columns for scale.\n")
        hdr = ["cell"] + [NAMES[b] for b in cb] + ["bridge (%s)" % NAMES[b] for b in cb]
        rows = []
        for c in tc:
            rows.append([label(c)] + [cell_text(agg, c, b, "cpu_s_per_gb") for b in cb] +
                        [fmt(med(agg, c, b, "bridge_cpu_s_per_gb")) for b in cb])
        md.append(table(hdr, rows) + "\n")
        hw = sorted([c for c in agg if c.startswith("hwm")], key=cell_order)
        if hw:
            md.append("Peak RSS (VmHWM, KiB) of the backend process over a session of throughput cells:\n")
            md.append(table(["session"] + [NAMES[b] for b in cb],
                            [[c] + [cell_text(agg, c, b, "hwm_kb", 0) for b in cb] for c in hw]) + "\n")
    idle = [c for c in agg if c.startswith("idle")]
    if idle:
        c = idle[0]
        md.append("## Idle connections\n")
        md.append("The guest opens %s TCP connections to a server on the host side (each checked with a "
                  "one-byte echo) and holds them idle; RSS of the backend process before and after.\n"
                  % c.split()[1])
        ib = [b for b in cb if b in agg[c]]
        md.append(table(["metric"] + [NAMES[b] for b in ib],
                        [["bytes per connection"] + [cell_text(agg, c, b, "bytes_per_conn", 0) for b in ib],
                         ["RSS with them open (KiB)"] + [cell_text(agg, c, b, "rss_kb", 0) for b in ib],
                         ["seconds to open them"] + [cell_text(agg, c, b, "open_s", 1) for b in ib]]) + "\n")

    sc = [c for c in agg if c.startswith("scale")]
    if sc:
        c = sc[0]
        n = c.split()[1]
        sb = [b for b in backends if b in agg[c]]
        one = "tcp %d h2g 1" % 1500
        md.append("## Scale: %s VMs on one qcw-net\n" % n)
        md.append("One qcw-net (`-keep-serving`) serves %s guests on its QEMU socket (each a namespace with "
                  "its own tap, MAC, bridge and address); all download from their own iperf3 server on the "
                  "host side at once (`-R`, one stream, %s s). Aggregate Gbit/s, each VM's slowest and "
                  "fastest, slowest/fastest and Jain's fairness index (1 = equal shares); a VM that got no "
                  "data fails the cell. passt and QEMU serve one guest a process: qcw-net's backends only. "
                  "For scale, one VM alone: the %s cell above.\n" % (n, meta.get("duration"), label(one)))
        md.append(table(["metric"] + [NAMES[b] for b in sb],
                        [["aggregate Gbit/s"] + [cell_text(agg, c, b, "gbps") for b in sb],
                         ["one VM alone, Gbit/s"] + [cell_text(agg, one, b, "gbps") for b in sb],
                         ["slowest VM Gbit/s"] + [cell_text(agg, c, b, "vm_min_gbps") for b in sb],
                         ["fastest VM Gbit/s"] + [cell_text(agg, c, b, "vm_max_gbps") for b in sb],
                         ["slowest/fastest"] + [cell_text(agg, c, b, "fairness") for b in sb],
                         ["Jain's index"] + [cell_text(agg, c, b, "jain", 3) for b in sb],
                         ["CPU s per GB"] + [cell_text(agg, c, b, "cpu_s_per_gb") for b in sb]]) + "\n")

    # DNS and connection rate
    dn = [c for c in ("dns_local", "dns_fwd") if c in agg]
    if dn:
        md.append("## DNS queries per second (issue 4)\n")
        md.append("dnsperf in the guest (%s s, 4 clients). dns_local: `host.containers.internal A` "
                  "answered by qcw-net's local zone; dns_fwd: distinct names under `bench.test` served by "
                  "a dnsmasq on the backend namespace's 127.0.0.1, which is that namespace's resolver "
                  "(qcw-net forwards to it; passt NATs the gateway's port 53 to it; QEMU's resolver at "
                  ".3 forwards to it; the ceiling queries dnsmasq directly).\n" % meta.get("short_duration"))
        rows = []
        for c in dn:
            rows.append([c + " qps"] + [cell_text(agg, c, b, "qps", 0) for b in backends])
            rows.append([c + " avg latency µs"] + [cell_text(agg, c, b, "avg_latency_us", 0) for b in backends])
        md.append(table(["metric"] + [NAMES[b] for b in backends], rows) + "\n")
    if "conn" in agg:
        md.append("## Connections per second through a TCP forward (issue 5)\n")
        md.append("wrk (1 thread, 8 connections, `Connection: close`, %s s) on the backend namespace's "
                  "loopback against `qcw-bench-tcp server -H` in the guest through the same forwards as "
                  "above.\n" % meta.get("short_duration"))
        md.append(table(["metric"] + [NAMES[b] for b in backends],
                        [["connections/s"] + [cell_text(agg, "conn", b, "cps", 0) for b in backends],
                         ["socket errors"] + [cell_text(agg, "conn", b, "socket_errors", 0) for b in backends]])
                  + "\n")

    fails = [r for r in recs if not r.get("ok")]
    if fails:
        md.append("## Failed runs\n")
        seen = set()
        for r in fails:
            key = (r["backend"], r["cell"], r.get("error"))
            if key in seen:
                continue
            seen.add(key)
            n = sum(1 for x in fails if (x["backend"], x["cell"], x.get("error")) == key)
            md.append("- %s, %s (%d run%s): %s" % (NAMES.get(r["backend"], r["backend"]), label(r["cell"]), n,
                                                  "s" if n > 1 else "", r.get("error", "?")))
        md.append("")
    if profiles:
        md.append("## Profiles of missed targets\n")
        md.append("`perf record -g` on the qcw-net process while the cell ran once more (same lab); "
                  "self time, top symbols. A known gap until qcw-net's own work closes it.\n")
        for p in profiles:
            md.append("### %s\n" % label(p["cell"]))
            md.append("```\n" + p["text"].rstrip() + "\n```\n")
        if any("pvm_irq_enable" in p["text"] for p in profiles):
            md.append("`pvm_irq_enable`: this machine's kernel is a paravirtualised guest; samples taken "
                      "while interrupts were off (syscalls, softirq network processing of the loopback and "
                      "tap paths) are charged to the point where interrupts come back on, so read it as "
                      "kernel time of qcw-net's socket and tap I/O. qcw-net is built without frame "
                      "pointers, so only self time is shown.\n")
    with open(outbase + ".md", "w") as f:
        f.write("\n".join(md))
    doc = {"meta": meta, "targets": [{"target": n, "status": s, "detail": d} for n, s, d, _ in targets],
           "ipv6_goals": [{"target": n, "status": s, "detail": d} for n, s, d in evaluate_v6(agg)],
           "cells": agg, "profiles": profiles, "runs": recs}
    with open(outbase + ".json", "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    write_chart(agg, backends, outbase, "qcw-net vs peers: throughput through the lab, %s (%s)"
                % (date, meta.get("settings", "")))


def main(argv):
    """Dispatch the subcommands."""
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, raw = argv[1], argv[2]
    if cmd == "rec":
        cmd_rec(raw, argv[3:])
    elif cmd == "fill" and len(argv) >= 6:
        cmd_fill(raw, argv[3], argv[4], argv[5], argv[6:])
    elif cmd == "missed":
        cmd_missed(raw)
    elif cmd == "report" and len(argv) >= 5:
        cmd_report(raw, argv[3], argv[4], argv[5] if len(argv) > 5 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
