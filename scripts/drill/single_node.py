#!/usr/bin/python3
"""The single-node fault drill (issue 14): scripts/drill/single-node.sh starts a throwaway MariaDB
and one console, then runs this. The load and the checks are the cluster drill's (load.Drill,
checks.Checks) on one app port and one database port; the fault is the database's: kill -9 of the
mariadbd under load, a restart on the same datadir (InnoDB crash recovery) a few seconds later.
While it is down, every API answer must be 503 with a JSON error and /healthz 503 with a reason;
outside the outage, no 5xx at all. Last line:
`single-node drill: N orders, 1 fault, L lost, D doubled, S stuck, outage answers: X 503 / Y other`."""

import http.client
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from load import REPO, Drill, Recorder, now, sign_in  # noqa: E402

SCRIPT = os.path.join(REPO, "scripts", "drill", "single-node.sh")
GRACE = 2.0   # seconds after /healthz first answers 200 again in which a request begun in the outage may still answer 503


class CodeRecorder(Recorder):
    """The cluster drill's record, and beside each answer its JSON error code (a 502 is allowed in
    the outage only as the contract's `gateway_error` of a card payment left pending)."""

    def __init__(self):
        super().__init__()
        self.lock = threading.RLock()
        self.codes = []   # parallel to requests

    def request(self, method, route, status, body=None):
        code = None
        if status >= 400 and body:
            try:
                code = (json.loads(body).get("error") or {}).get("code")
            except (ValueError, AttributeError):
                code = None
        with self.lock:
            super().request(method, route, status, body)
            self.codes.append(code)


class SingleNodeDrill(Drill):
    """The cluster drill's load against one console and one database; its fault is kill -9 of the
    database and a restart. There is no Galera: the node is always "Synced" for the checks, and
    there are no certification counters to read."""

    def __init__(self, config):
        super().__init__(config)
        self.rec = CodeRecorder()
        self.health = []        # (t, status, body) of /healthz during the outage
        self.window = None      # (from, to): the outage, from the kill until /healthz answers 200 again

    def wsrep(self, node):
        return {"WSREP_LOCAL_STATE_COMMENT": "Synced", "WSREP_CLUSTER_STATUS": "Primary"}

    def conflicts_loop(self):
        self.conflicts_done.wait()

    def setup(self):
        super().setup()
        self.setup_requests = len(self.rec.requests)   # the answers of the load come after these

    def script(self, command):
        try:
            r = subprocess.run([SCRIPT, command], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return 124, "single-node.sh %s: no end within 60 s" % command
        return r.returncode, (r.stdout + r.stderr).strip().splitlines()[-1:] or [""]

    def probe(self, done, api):
        """/healthz and an API read every 0.2 s while the database is down or coming back."""
        while not done.is_set():
            t = now() - self.rec.started
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.c["app_ports"][0], timeout=10)
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                self.health.append((t, response.status, body))
            except (OSError, http.client.HTTPException) as e:
                self.health.append((t, 0, repr(e).encode()))
            api.call("GET", "/api/v1/me", route="/me (outage probe)")
            done.wait(0.2)

    def faults_loop(self):
        kill_at, restart_at = self.c["kill_at"], self.c["restart_at"]
        if not self.sleep_until(kill_at):
            return
        api = sign_in(self.c["app_ports"][0], self.rec, "admin@provider.test")
        t = now() - self.rec.started
        self.phase("database killed")
        rc, out = self.script("db-kill")
        self.rec.event("fault: kill -9 mariadbd (%s)" % out[-1])
        done = threading.Event()
        prober = threading.Thread(target=self.probe, args=(done, api), daemon=True)
        prober.start()
        fault = {"name": "kill -9 mariadbd", "at": t}
        self.faults.append(fault)
        first_503 = None
        while now() - self.rec.started < restart_at:
            if first_503 is None and any(s == 503 for _, s, _ in self.health):
                first_503 = next(x for x, s, _ in self.health if s == 503) - t
            time.sleep(0.1)
        self.phase("database restarting")
        started = now()
        rc, out = self.script("db-start")
        fault["db_answers_after_restart"] = now() - started if rc == 0 else None
        self.rec.event("restart mariadbd: rc %d (%s), answering after %.1f s" % (rc, out[-1], now() - started))
        healthy = None
        while now() - started < 60:
            if any(x > started - self.rec.started and s == 200 for x, s, _ in self.health):
                healthy = next(x for x, s, _ in self.health if x > started - self.rec.started and s == 200)
                break
            time.sleep(0.1)
        done.set()
        prober.join()
        end = healthy if healthy is not None else now() - self.rec.started
        self.window = (t, end)
        fault["healthz_503_after_kill"] = first_503
        fault["healthz_200_after_restart"] = None if healthy is None else healthy - (started - self.rec.started)
        self.rec.event("console healthy again %s after the restart (the outage: %.1f-%.1f s)" % (
            "-" if healthy is None else "%.1f s" % fault["healthz_200_after_restart"], t, end))
        self.phase("database back")


def fmt(seconds):
    return "-" if seconds is None else "%.1f s" % seconds


def main():
    env = os.environ
    app_port = int(env.get("DRILL_APP_PORT", "8089"))
    config = {
        "seconds": int(env.get("DRILL_SECONDS", "40")),
        "clients": int(env.get("DRILL_CLIENTS", "8")),
        "balancer": app_port,
        "app_ports": [app_port],
        "db_ports": [int(env.get("DRILL_DB_PORT", "3415"))],
        "database": "console",
        "run": time.strftime("%m%d%H%M%S", time.gmtime()),
        "kill_at": float(env.get("DRILL_KILL_AT", "10")),
        "restart_at": float(env.get("DRILL_RESTART_AT", "14")),
    }
    settle_bound = int(env.get("DRILL_SETTLE_SECONDS", "60"))
    state = env.get("DRILL_STATE", os.path.join(REPO, ".local", "drill-single"))
    started = time.monotonic()
    drill = SingleNodeDrill(config)
    drill.run()
    checks = Checks(drill)
    started_checks = time.monotonic()
    settled = checks.settle(settle_bound)
    drill.rec.event("settled: no order provisioning after %s" % fmt(settled) if settled is not None
                    else "not settled: orders still provisioning after %d s" % settle_bound)
    # A card payment whose charge the outage cut off stays pending until the worker's reconciler
    # settles it (payments pending over 30 s): the checks wait for that too, inside the same bound.
    pending_settled = None
    if settled is not None:
        begun = time.monotonic()
        while time.monotonic() - started_checks < settle_bound:
            if checks.q("SELECT COUNT(*) FROM payments WHERE status = 'pending' AND %s" % checks.scope)[0][0] == "0":
                pending_settled = time.monotonic() - begun
                break
            time.sleep(1)
        drill.rec.event("no payment pending after %s more" % fmt(pending_settled) if pending_settled is not None
                        else "payments still pending %d s after the load" % settle_bound)
    checks.run()

    # The answers: in the outage, a JSON 503 (X) or anything else that is no answer or a 5xx (Y);
    # outside it, any 5xx or no answer fails the drill.
    window = drill.window or (float("inf"), float("inf"))
    outage_503 = outage_other = outage_gateway = 0
    outside = []
    answered_in_outage = {}
    for (t, method, route, status, label), code in list(zip(drill.rec.requests, drill.rec.codes))[drill.setup_requests:]:
        inside = window[0] <= t <= window[1] + GRACE
        if inside:
            answered_in_outage[label] = answered_in_outage.get(label, 0) + 1
        if status != 0 and status < 500:
            continue
        if inside and status == 503 and not label.endswith("from HAProxy"):   # the console's JSON 503
            outage_503 += 1
        elif inside and status == 502 and code == "gateway_error" and route == "/invoices/:id/payments":
            # The built-in test gateway keeps its ledger in the console's database: down with it,
            # it "did not answer", and the card payment stays pending for the reconciler (checked).
            outage_gateway += 1
        elif inside:
            outage_other += 1
            checks.fail("outage", "not a JSON 503 during the outage", [(round(t, 2), method, route, status, label)])
        else:
            outside.append((round(t, 2), method, route, status, label))
    if outside:
        checks.fail("5xx", "a 5xx or no answer outside the outage", outside)
    bad_health = [(round(t, 2), s, b[:160]) for t, s, b in drill.health
                  if window[0] <= t < window[1] and not (s == 503 and b"unreachable" in b and b'"error"' in b)]
    if bad_health:
        checks.fail("healthz", "/healthz during the outage was not 503 with a reason", bad_health)
    if drill.window is None:
        checks.fail("fault", "the fault did not run (load too short?)")
    elif not drill.health or not any(s == 503 for _, s, _ in drill.health):
        checks.fail("healthz", "/healthz never answered 503 while the database was down")

    record = os.path.join(state, "drill-%s.json" % config["run"])
    with open(record, "w") as out:
        json.dump({"config": config, "submits": drill.submits, "double_spend": drill.double_spend, "faults": drill.faults, "phases": drill.phases, "events": drill.rec.events,
                   "health": [(t, s, b.decode(errors="replace")) for t, s, b in drill.health], "failures": checks.failures},
                  out, default=str, indent=1)
    drill.rec.event("the record of every answer: %s" % record)

    print()
    print("drill: the fault")
    for f in drill.faults:
        print("  %s at %.1f s: %s" % (f["name"], f["at"], ", ".join("%s %s" % (k.replace("_", " "), fmt(v)) for k, v in f.items() if k not in ("name", "at"))))
    print("  answers in the outage (%.1f-%.1f s, +%.0f s grace): %s" % (window[0], window[1], GRACE,
                                                                        ", ".join("%s: %d" % kv for kv in sorted(answered_in_outage.items()))))
    health_503 = [b for t, s, b in drill.health if s == 503]
    print("  /healthz probes: %d, 503: %d, e.g. %s" % (len(drill.health), len(health_503), (health_503[0][:160] if health_503 else b"-").decode(errors="replace")))
    for _, sample in drill.rec.samples[:6]:
        print("    " + sample)
    print("  card payments answered 502 gateway_error (left pending; the test gateway's ledger is in the database): %d" % outage_gateway)
    print("  orders settled (none provisioning) %s after the load stopped (claims of 6 s); no payment pending %s later" % (fmt(settled), fmt(pending_settled)))
    checks.print_results()
    log = os.path.join(state, "console.log")
    if os.path.exists(log):
        with open(log, errors="replace") as lines:
            failed = [line.strip() for line in lines if "request failed" in line and "http.status=50" in line and "http.status=503" not in line]
        if failed:
            print("drill: the console's log of its 5xx other than 503 (%s): %d" % (log, len(failed)))
            for line in failed[:5]:
                print("    " + line[:400])
    print("drill: %.0f s (load %.0f s)" % (time.monotonic() - started, drill.load_seconds))
    lost, doubled, stuck = len(set(map(str, checks.lost))), len(set(map(str, checks.doubled))), len(checks.stuck)
    summary = "single-node drill: %d orders, %d fault%s, %d lost, %d doubled, %d stuck, outage answers: %d 503 / %d other" % (
        len(checks.orders_answered), len(drill.faults), "" if len(drill.faults) == 1 else "s", lost, doubled, stuck, outage_503, outage_other)
    with open(os.path.join(state, "summary"), "w") as out:   # single-node.sh repeats it as the last line, after its clean-up
        out.write(summary + "\n")
    print(summary, flush=True)
    sys.exit(1 if checks.failures or lost or doubled or stuck or settled is None or pending_settled is None else 0)


if __name__ == "__main__":
    main()
