#!/usr/bin/python3
"""prom_check.py - reads qcw-net's GET /metrics with Prometheus' own text
parser (Debian's python3-prometheus-client) for tests/e2e/metrics.sh.

  prom_check.py check FILE          names, types, labels, histogram shape
  prom_check.py grew BEFORE AFTER BYTES   counters moved with a download of
                                    BYTES bytes and some forwarded DNS queries
  prom_check.py value FILE NAME [label=value ...]   print one sample

Exit 0 when every check holds; otherwise one line per failed check.
"""
import os
import re
import sys

from prometheus_client.parser import text_string_to_metric_families

NAME_RE = re.compile(r"^(qcw_net_[a-z0-9_]+|process_[a-z_]+)$")

# family (as the parser names it: counters without _total) -> type, labels
REQUIRED = {
    "qcw_net_switch_port_bytes": ("counter", {"port", "kind", "direction"}),
    "qcw_net_switch_port_frames": ("counter", {"port", "kind", "direction"}),
    "qcw_net_switch_port_drops": ("counter", {"port", "kind", "direction"}),
    "qcw_net_drops": ("counter", {"reason"}),
    "qcw_net_nat_flows_open": ("gauge", {"proto"}),
    "qcw_net_nat_flows": ("counter", {"proto"}),
    "qcw_net_nat_bytes": ("counter", {"proto", "direction"}),
    "qcw_net_nat_refused": ("counter", {"proto"}),
    "qcw_net_dns_queries": ("counter", set()),
    "qcw_net_dns_local_answers": ("counter", set()),
    "qcw_net_dns_forwarded": ("counter", set()),
    "qcw_net_dns_failed": ("counter", {"rcode"}),
    "qcw_net_dns_upstream_duration_seconds": ("histogram", set()),
    "qcw_net_dhcp_leases": ("gauge", set()),
    "qcw_net_forwarder_rules": ("gauge", set()),
    "qcw_net_forwarder_connections_open": ("gauge", set()),
    "qcw_net_forwarder_connections": ("counter", set()),
    "qcw_net_stack_host_queue_bytes": ("gauge", set()),
    "qcw_net_nat_flows_limit": ("gauge", {"proto"}),
    "process_resident_memory_bytes": ("gauge", set()),
    "process_open_fds": ("gauge", set()),
}

errors = []


def err(msg):
    errors.append(msg)
    print("# " + msg)


def load(path):
    with open(path) as f:
        return {m.name: m for m in text_string_to_metric_families(f.read())}


def value(fams, family, sample=None, **labels):
    m = fams.get(family)
    if m is None:
        return None
    total = None
    for s in m.samples:
        if sample and s.name != sample:
            continue
        if all(s.labels.get(k) == v for k, v in labels.items()):
            total = (total or 0) + s.value
    return total


def check(path):
    fams = load(path)
    for name, m in fams.items():
        if not NAME_RE.match(name):
            err("bad family name " + name)
        if m.type == "counter":
            for s in m.samples:
                if s.name != name + "_total":
                    err("counter sample %s not %s_total" % (s.name, name))
        if m.type == "gauge" and name.endswith("_total"):
            err("gauge %s named like a counter" % name)
        for s in m.samples:
            if s.value < 0:
                err("negative %s" % s.name)
    for name, (typ, labels) in REQUIRED.items():
        m = fams.get(name)
        if m is None:
            err("missing family " + name)
            continue
        if m.type != typ:
            err("%s is %s, want %s" % (name, m.type, typ))
        if not m.samples:
            err("%s has no samples" % name)
        for s in m.samples:
            have = set(s.labels) - {"le"}
            if not labels <= have:
                err("%s%s lacks labels %s" % (s.name, s.labels, labels - have))
    h = fams.get("qcw_net_dns_upstream_duration_seconds")
    if h:
        b = [s for s in h.samples if s.name.endswith("_bucket")]
        les = [float(s.labels["le"]) for s in b]
        vals = [s.value for s in b]
        count = value(fams, h.name, h.name + "_count")
        if les != sorted(les) or les[-1] != float("inf"):
            err("histogram bounds not ascending to +Inf: %s" % les)
        if vals != sorted(vals) or vals[-1] != count:
            err("histogram buckets not cumulative up to _count")
    for p in ("process_resident_memory_bytes", "process_open_fds"):
        if not value(fams, p):
            err(p + " is 0 or missing")
    reasons = {s.labels["reason"] for s in fams["qcw_net_drops"].samples}
    print("# %d families, %d samples, drop reasons: %s" % (
        len(fams), sum(len(m.samples) for m in fams.values()),
        " ".join(sorted(reasons))))


def grew(before, after, nbytes):
    a, b = load(before), load(after)

    def delta(family, **labels):
        x, y = value(a, family, **labels) or 0, value(b, family, **labels)
        if y is None:
            err("no %s%s after" % (family, labels))
            return 0
        return y - x

    d = delta("qcw_net_switch_port_bytes", direction="to_guest")
    print("# port bytes to the guest +%d" % d)
    if d < nbytes:
        err("port bytes to_guest grew %d < %d" % (d, nbytes))
    if delta("qcw_net_switch_port_frames", direction="from_guest") <= 0:
        err("port frames from_guest did not grow")
    if os.environ.get("QCW_STACK") == "slirp":
        # libslirp keeps its sockets to itself: README, Stacks
        print("# skip on slirp: the NAT's byte and flow counters stay 0")
    else:
        d = delta("qcw_net_nat_bytes", proto="tcp", direction="to_guest")
        print("# NAT TCP bytes to the guest +%d" % d)
        if d < nbytes:
            err("nat tcp bytes to_guest grew %d < %d" % (d, nbytes))
        if delta("qcw_net_nat_flows", proto="tcp") < 1:
            err("nat tcp flows_total did not grow")
    if delta("qcw_net_dns_forwarded") < 3:
        err("dns forwarded grew < 3")
    if delta("qcw_net_dns_queries") < 4:
        err("dns queries grew < 4")
    if delta("qcw_net_dns_local_answers") < 1:
        err("dns local answers did not grow")
    h = "qcw_net_dns_upstream_duration_seconds"
    n = (value(b, h, h + "_count") or 0) - (value(a, h, h + "_count") or 0)
    s = (value(b, h, h + "_sum") or 0) - (value(a, h, h + "_sum") or 0)
    print("# DNS upstream latency: %d answers, mean %.2f ms" % (
        n, 1000 * s / n if n else 0))
    if n < 3 or s <= 0:
        err("dns latency histogram did not move (%d, %f)" % (n, s))
    if (value(b, "qcw_net_dhcp_leases") or 0) < 1:
        err("no DHCP lease counted")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "grew":
        grew(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "value":
        labels = dict(kv.split("=", 1) for kv in sys.argv[4:])
        v = value(load(sys.argv[2]), sys.argv[3], **labels)
        print(int(v) if v is not None else "none")
    else:
        print(__doc__)
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
