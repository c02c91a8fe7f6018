#!/usr/bin/python3
"""The cluster drill (issue 14): scripts/cluster-drill.sh runs this against a running cluster of
scripts/cluster.sh. Load and faults in load.py, the checks in checks.py. Exits 1 when any check
fails; the last line is `cluster drill: N orders, M faults, L lost, D doubled, S stuck`."""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from load import STATE, Drill  # noqa: E402


def app_log_counts():
    """Lines of each app log: the retry notices are counted from here on."""
    return {n: sum(1 for _ in open(os.path.join(STATE, "app%d.log" % n), errors="replace")) if os.path.exists(os.path.join(STATE, "app%d.log" % n)) else 0
            for n in (1, 2, 3)}


def retry_notices(since):
    found = {}
    for n in (1, 2, 3):
        path = os.path.join(STATE, "app%d.log" % n)
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as log:
            for i, line in enumerate(log):
                if i < since[n] or "retrying transaction" not in line:
                    continue
                code = re.search(r"code=(\d+)", line)
                key = "app%d code %s" % (n, code.group(1) if code else "?")
                found[key] = found.get(key, 0) + 1
    return found


def fmt(seconds):
    return "-" if seconds is None else "%.1f s" % seconds


def main():
    env = os.environ
    db_port = int(env.get("CLUSTER_DB_PORT", "3411"))
    app_port = int(env.get("CLUSTER_APP_PORT", "8081"))
    config = {
        "seconds": int(env.get("DRILL_SECONDS", "180")),
        "clients": int(env.get("DRILL_CLIENTS", "32")),
        "balancer": int(env.get("CLUSTER_PORT", "8080")),
        "app_ports": [app_port, app_port + 1, app_port + 2],
        "db_ports": [db_port, db_port + 1, db_port + 2],
        "database": env.get("CLUSTER_DATABASE", "console"),
        "run": time.strftime("%m%d%H%M%S", time.gmtime()),
        "faults": env.get("DRILL_FAULTS", "1") != "0",
    }
    settle_bound = int(env.get("DRILL_SETTLE_SECONDS", "150"))
    started = time.monotonic()
    logs = app_log_counts()
    drill = Drill(config)
    drill.run()
    checks = Checks(drill)
    settled = checks.settle(settle_bound)
    drill.rec.event("settled: no order provisioning after %s" % fmt(settled) if settled is not None
                    else "not settled: orders still provisioning after %d s" % settle_bound)
    checks.run()
    record = os.path.join(STATE, "drill-%s.json" % config["run"])
    with open(record, "w") as out:   # every answer, for a look after the drill
        json.dump({"config": config, "submits": drill.submits, "double_spend": drill.double_spend, "faults": drill.faults,
                   "phases": drill.phases, "events": drill.rec.events, "failures": checks.failures}, out, default=str, indent=1)
    drill.rec.event("the record of every answer: %s" % record)

    print()
    print("drill: faults and recovery")
    def show(values):
        return ", ".join("%s %s" % (k.replace("_", " "), show(v) if isinstance(v, dict) else fmt(v) if isinstance(v, (float, type(None))) else v)
                         for k, v in values.items() if k not in ("name", "at"))
    for f in drill.faults:
        print("  %-32s at %5.1f s: %s" % (f["name"], f["at"], show(f)))
    print("  orders settled (none provisioning) %s after the load stopped (a claim held by a killed worker runs out after PROVISIONING_CLAIM_SECONDS, 15 s by default)" % fmt(settled))
    print("drill: requests per phase (5xx and no answer)")
    phases = drill.phases + [(float("inf"), "end")]
    for i, (start, name) in enumerate(phases[:-1]):
        end = phases[i + 1][0]
        in_phase = [r for r in drill.rec.requests if start <= r[0] < end]
        errors = {}
        for r in in_phase:
            if r[3] == 0 or r[3] >= 500:
                label = "no answer" if r[3] == 0 else r[4]
                errors[label] = errors.get(label, 0) + 1
        print("  %-26s %6.1f-%-6s s  %6d requests, %s" % (name, start, "%.1f" % end if end != float("inf") else "end", len(in_phase),
                                                        ", ".join("%s: %d" % kv for kv in sorted(errors.items())) or "no 5xx"))
    for _, sample in drill.rec.samples:
        print("    " + sample)
    print("drill: conflicts (summed over nodes, restarts counted from zero)")
    cert = sum(v["sum"][0] for v in drill.conflicts.values())
    bf = sum(v["sum"][1] for v in drill.conflicts.values())
    print("  wsrep_local_cert_failures +%d, wsrep_local_bf_aborts +%d  (%s)" % (cert, bf, "; ".join(
        "db%d %s->%s" % (n, v["first"], v["last"]) for n, v in sorted(drill.conflicts.items()))))
    notices = retry_notices(logs)
    print("  'retrying transaction' notices in the app logs: %d (%s)" % (sum(notices.values()), ", ".join("%s: %d" % kv for kv in sorted(notices.items())) or "none"))
    print("  stale reads seen by clients: %s" % ", ".join("%s %d" % kv for kv in drill.stale.items()))
    print("  billing runs: %s" % "; ".join("%.0f s %s" % (t, [(s, b if isinstance(b, str) else {k: b.get(k) for k in ("renewal_orders", "invoices")})
                                                           for s, b in results]) for t, results in drill.billing))
    checks.print_results()
    print("drill: %.0f s in all (load %.0f s)" % (time.monotonic() - started, drill.load_seconds))
    completed = sum(1 for r in drill.rec.requests if r[1] == "POST" and r[2] in ("/subscriptions/:id/orders", "/orders (sales)") and r[3] == 201)
    print("drill: throughput: %d orders answered 201 in %.0f s of load through the balancer = %.1f orders/s; %d requests = %.0f requests/s"
          % (completed, drill.load_seconds, completed / drill.load_seconds, len(drill.rec.requests), len(drill.rec.requests) / drill.load_seconds))
    lost, doubled, stuck = len(set(map(str, checks.lost))), len(set(map(str, checks.doubled))), len(checks.stuck)
    print("cluster drill: %d orders, %d faults, %d lost, %d doubled, %d stuck" % (len(checks.orders_answered), len(drill.faults), lost, doubled, stuck))
    sys.exit(1 if checks.failures or lost or doubled or stuck or settled is None else 0)


if __name__ == "__main__":
    main()
