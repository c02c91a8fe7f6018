"""The load of the cluster drill (scripts/cluster-drill.sh): setup, clients, the cross-node double
spend, billing runs, the fault schedule, and the record of every answer for the checks.

Why Python 3 with only the standard library (http.client and threads) and not wrk + Lua: every
answer has to be recorded (status, order id, Idempotency-Key, which request of a retry) and then
compared with the database; a client has to follow a conversation (quote, submit, pay, poll,
retry the same request with the same key), which wrk's one-request-at-a-time callbacks make hard
to write and harder to verify. Debian's python3 is there wherever the cluster runs, nothing to
install. Threads are enough: 32 clients mostly wait on the network, and the server, not the
driver, is what the drill measures (requests/s is not the point here).
"""

import http.client
import json
import os
import random
import subprocess
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STATE = os.path.join(REPO, ".local", "cluster")
PASSWORD = "drill-password-1"
CARD_OK = "4242424242424242"


def now():
    return time.monotonic()


class Recorder:
    """Every request's outcome, time-stamped, for the per-phase counts; and the events."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []   # (t, method, route, status)  status 0 = network error
        self.events = []     # (t, text)
        self.samples = []    # first few 5xx bodies
        self.started = now()

    def request(self, method, route, status, body=None):
        with self.lock:
            # A 5xx that is not the console's JSON comes from HAProxy (no app node took it).
            label = str(status) if status < 500 or (body or b"").lstrip().startswith(b"{") else "%d from HAProxy" % status
            if status >= 500 and label == str(status):   # the console's own: its error code (unavailable, busy, outcome_unknown, ...)
                try:
                    label = "%d %s" % (status, json.loads(body)["error"]["code"])
                except (ValueError, KeyError, TypeError):
                    pass
            self.requests.append((now() - self.started, method, route, status, label))
            # Every 500 (up to 20), and the first two answers of each other 5xx status.
            if status >= 500 and (status == 500 and sum(s[0] == 500 for s in self.samples) < 20 or sum(s[0] == status for s in self.samples) < 2):
                self.samples.append((status, "[%5.1f s] %s %s -> %d %r" % (now() - self.started, method, route, status, (body or b"")[:200])))

    def event(self, text):
        t = now() - self.started
        with self.lock:
            self.events.append((t, text))
        print("drill: [%6.1f s] %s" % (t, text), flush=True)


class Client:
    """One HTTP/1.1 keep-alive connection to one port, with a bearer token."""

    def __init__(self, port, recorder, token=None):
        self.port, self.recorder, self.token = port, recorder, token
        self.conn = None

    def call(self, method, path, body=None, headers=None, route=None):
        """(status, json or None, headers); status 0 when the connection failed."""
        hdrs = {"Content-Type": "application/json"}
        if self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        hdrs.update(headers or {})
        data = json.dumps(body).encode() if body is not None else None
        route = route or path
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
            self.conn.request(method, path, body=data, headers=hdrs)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
            answer_headers = dict(response.getheaders())
            if response.getheader("Connection", "").lower() == "close":
                self.close()
        except (OSError, http.client.HTTPException):
            self.close()
            self.recorder.request(method, route, 0)
            return 0, None, {}
        self.recorder.request(method, route, status, raw)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed, answer_headers

    def retrying(self, method, path, body=None, headers=None, route=None, attempts=6, answers=None):
        """What a client does on a network error or a 5xx: the same request again (same
        Idempotency-Key), after 0.25, 0.5, 1, 2, 4 s. Every answer is appended to `answers`."""
        delay = 0.25
        for attempt in range(attempts):
            status, parsed, hdrs = self.call(method, path, body, headers, route)
            if answers is not None:
                answers.append([status, (parsed or {}).get("id") if status == 201 else None,
                                (parsed or {}).get("error", {}).get("code") if isinstance(parsed, dict) else None])
            if status != 0 and status < 500:
                return status, parsed, hdrs
            if attempt + 1 < attempts:
                time.sleep(delay)
                delay *= 2
        return status, parsed, hdrs

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None


def sign_in(port, recorder, email):
    client = Client(port, recorder)
    for _ in range(8):
        status, body, _ = client.retrying("POST", "/api/v1/tokens", {"email": email, "password": PASSWORD if "drill" in email else "console-demo-1"},
                                          route="/tokens")
        if status == 201:
            client.token = body["token"]
            return client
        time.sleep(1)
    raise SystemExit("drill: could not sign in as %s (last answer %s %r)" % (email, status, body))


class Drill:
    def __init__(self, config):
        self.c = config
        self.rec = Recorder()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.submits = []         # dicts: client, user, key, subscription, kind, additional, answers, final
        self.orders = {}          # order id -> dict(subscription, additional, kind, client, key, seen)
        self.double_spend = []    # one dict per round
        self.billing = []         # (t, port, status, body)
        self.faults = []          # dicts: name, at, recovered_after, detail
        self.phases = [(0.0, "steady")]
        self.stale = {"401 after sign-in": 0, "404 reading own order": 0}
        self.conflicts = {}       # node -> [first, last, accumulated]

    # ------------------------------------------------------------------ setup

    def setup(self):
        c, rec = self.c, self.rec
        admin = sign_in(c["app_ports"][0], rec, "admin@provider.test")
        self.admin = admin
        status, me, _ = admin.retrying("GET", "/api/v1/me")
        provider = me["account"]["id"]
        run = c["run"]
        status, body, _ = admin.retrying("POST", "/api/v1/accounts", {"kind": "reseller", "parent_id": provider, "name": "Drill %s" % run,
                                                                      "currency": "USD", "tax_rate": "0.20"})
        assert status == 201, (status, body)
        self.seller = body["id"]
        status, plans, _ = admin.retrying("GET", "/api/v1/plans")
        plans = plans.get("items", plans)
        self.plan = next(p["id"] for p in plans if p["name"] == "Cloud VPS S")
        for plan in plans:
            status, body, _ = admin.retrying("POST", "/api/v1/plans/%d/delegations" % plan["id"], {"reseller_id": self.seller})
            assert status in (200, 201), (status, body)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        # Renewal subscriptions: their period ends in 3 days, inside the renewal lead of 7 days, so
        # every billing run of the drill is due to renew them; once each, whoever runs it and how often.
        y, m, d = map(int, today.split("-"))
        ty, tm, td = time.gmtime(time.time() + 3 * 86400)[:3]
        pm, py = (tm - 1, ty) if tm > 1 else (12, ty - 1)
        renewal_start = "%04d-%02d-%02d" % (py, pm, min(td, 28))
        customers = []
        per_customer = 4
        count = (c["clients"] + per_customer - 1) // per_customer + 1   # the last one: the double spend's
        for n in range(count):
            status, body, _ = admin.retrying("POST", "/api/v1/accounts", {"kind": "customer", "parent_id": self.seller,
                                                                          "name": "Drill %s customer %d" % (run, n), "currency": "USD", "tax_rate": "0.20"})
            assert status == 201, (status, body)
            email = "c%d-%s@drill.test" % (n, run)
            status, user, _ = admin.retrying("POST", "/api/v1/accounts/%d/users" % body["id"], {"email": email, "password": PASSWORD, "role": "admin"})
            assert status == 201, (status, user)
            customers.append({"id": body["id"], "email": email, "user": user["id"]})
        self.customers = customers

        def subscription(customer, start=today, additional=0):
            status, body, _ = admin.retrying("POST", "/api/v1/subscriptions", {
                "customer_id": customer["id"], "plan_id": self.plan, "period_months": 1, "period_start": start, "status": "active",
                "resources": [{"resource_code": "ram_gb", "additional": additional, "usage": 0}]})
            assert status == 201, (status, body)
            return body["id"]

        self.client_subs = [(customers[i // per_customer], subscription(customers[i // per_customer])) for i in range(c["clients"])]
        self.spender = customers[-1]
        self.spend_subs = [subscription(self.spender), subscription(self.spender)]
        self.renewal_subs = [subscription(customers[i], start=renewal_start) for i in range(min(6, count - 1))]
        # Postpaid subscriptions whose month ended some 10 days ago: every billing run of the drill is
        # due to invoice that month, once each, whoever runs it and how often (then it rolls over).
        status, resources, _ = admin.retrying("GET", "/api/v1/resources")
        ram = next(r["id"] for r in resources.get("items", resources) if r["code"] == "ram_gb")
        status, body, _ = admin.retrying("POST", "/api/v1/plans", {
            "name": "Drill %s postpaid" % run, "currency": "USD", "billing_type": "postpaid", "fixed_price": False, "prices_include_taxes": False,
            "trial_days": 0, "changes_in_trial": True, "periods": [{"months": 1, "fee": "10"}],
            "resources": [{"resource_id": ram, "included": 1, "min_units": 1, "max_units": 16, "recurring_fee": "2", "setup_fee": "0"}]})
        assert status == 201, (status, body)
        postpaid_plan = body["id"]
        status, body, _ = admin.retrying("POST", "/api/v1/plans/%d/delegations" % postpaid_plan, {"reseller_id": self.seller})
        assert status in (200, 201), (status, body)
        py_, pm_, pd_ = time.gmtime(time.time() - 40 * 86400)[:3]
        postpaid_start = "%04d-%02d-%02d" % (py_, pm_, min(pd_, 28))
        self.postpaid_subs = []
        for i in range(min(4, count - 1)):
            status, body, _ = admin.retrying("POST", "/api/v1/subscriptions", {
                "customer_id": customers[i]["id"], "plan_id": postpaid_plan, "period_months": 1, "period_start": postpaid_start, "status": "active",
                "resources": [{"resource_code": "ram_gb", "additional": 1, "usage": 0}]})
            assert status == 201, (status, body)
            self.postpaid_subs.append((body["id"], postpaid_start))
        rec.event("setup: seller %d (Drill %s), %d customers, %d client subscriptions, 2 double-spend subscriptions, %d due for renewal (period from %s), "
                  "%d postpaid with a month to invoice (from %s)"
                  % (self.seller, run, len(customers), len(self.client_subs), len(self.renewal_subs), renewal_start, len(self.postpaid_subs), postpaid_start))

    # ------------------------------------------------------------------ clients

    def record_submit(self, entry):
        with self.lock:
            self.submits.append(entry)
            for status, order_id, _ in entry["answers"]:
                if status == 201 and order_id is not None:
                    self.orders.setdefault(order_id, {"subscription": entry["subscription"], "additional": entry["additional"],
                                                      "kind": entry["kind"], "client": entry["client"], "key": entry["key"]})

    def pay(self, client, invoice_id, by_credit):
        """Pays an invoice whole: from credit (which may cover part of it), the rest by card."""
        path = "/api/v1/invoices/%d/payments" % invoice_id
        methods = (["credit"] if by_credit else []) + ["card"]
        for method in methods:
            for _ in range(6):
                body = {"method": method}
                if method == "card":
                    body["card_number"] = CARD_OK
                status, answer, _ = client.retrying("POST", path, body, route="/invoices/:id/payments")
                if status == 201:
                    if answer.get("invoice_status") == "paid":
                        return "paid"
                    break   # credit covered part: the rest by card
                # After a lost answer or a refusal: what happened to the invoice?
                s, invoice, _ = client.retrying("GET", "/api/v1/invoices/%d" % invoice_id, route="/invoices/:id")
                if s == 200 and invoice.get("status") != "unpaid":
                    return invoice.get("status")
                if status == 422 and method == "credit":
                    break   # no credit available
                if status == 409:   # a card payment of it pending: settled by the request or the reconciler
                    time.sleep(1)
                    continue
                if status in (401, 403, 404, 422):
                    return "refused %d" % status
        return "unpaid"

    def poll(self, client, order_id, bound=240):
        deadline = now() + bound
        delay = 0.05
        first = True
        while now() < deadline:
            status, order, _ = client.retrying("GET", "/api/v1/orders/%d" % order_id, route="/orders/:id")
            if status == 200:
                if order["status"] not in ("awaiting_payment", "provisioning"):
                    return order
                if order["status"] == "awaiting_payment" and order.get("invoice_id") and not first:
                    return order
            elif status == 404:
                with self.lock:
                    self.stale["404 reading own order"] += 1
            first = False
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        return None

    def finish(self, client, order, by_credit):
        """Takes an order from its submit (or from finding it open) to a terminal status."""
        order_id = order["id"]
        for _ in range(3):
            if order.get("status") == "awaiting_payment" and order.get("invoice_id"):
                self.pay(client, order["invoice_id"], by_credit)
            order = self.poll(client, order_id)
            if order is None:
                return "timeout"
            if order["status"] != "awaiting_payment":
                break
        with self.lock:
            if order_id in self.orders:
                self.orders[order_id]["seen"] = order["status"]
        return order["status"]

    def adopt_open(self, client, subscription, by_credit):
        """An order of this subscription is open (our own, from a submit whose answer was lost):
        what a client does is finish it."""
        for status_name in ("awaiting_payment", "provisioning"):
            status, body, _ = client.retrying("GET", "/api/v1/orders?subscription_id=%d&status=%s" % (subscription, status_name), route="/orders")
            if status == 200:
                for order in body.get("items", []):
                    self.finish(client, order, by_credit)

    def client_loop(self, index):
        customer, subscription = self.client_subs[index]
        client = sign_in(self.c["balancer"], self.rec, customer["email"])
        status, _, _ = client.call("GET", "/api/v1/subscriptions/%d" % subscription, route="/subscriptions/:id")
        if status == 401:
            with self.lock:
                self.stale["401 after sign-in"] += 1
        sales = index % 8 == 7
        n = 0
        rng = random.Random(index)
        targets = [1, 2, 0, 3, 1, 0]
        while not self.stop.is_set():
            n += 1
            by_credit = n % 2 == 0
            if sales and n % 4 == 0:
                key = "drill-%s-c%d-s%d" % (self.c["run"], index, n)
                body = {"kind": "sales", "customer_id": customer["id"], "plan_id": self.plan, "period_months": 1,
                        "resources": [{"resource_code": "ram_gb", "additional": 1}]}
                entry = {"client": index, "user": customer["user"], "key": key, "subscription": None, "kind": "sales", "additional": 1, "answers": []}
                status, order, _ = client.retrying("POST", "/api/v1/orders", body, {"Idempotency-Key": key}, route="/orders (sales)", answers=entry["answers"])
                self.record_submit(entry)
                if status == 201:
                    self.finish(client, order, by_credit)
                continue
            additional = targets[n % len(targets)]
            change = {"resources": [{"resource_code": "ram_gb", "additional": additional}]}
            client.retrying("POST", "/api/v1/subscriptions/%d/quotes" % subscription, change, route="/subscriptions/:id/quotes")
            key = "drill-%s-c%d-%d" % (self.c["run"], index, n)
            entry = {"client": index, "user": customer["user"], "key": key, "subscription": subscription, "kind": "change", "additional": additional, "answers": []}
            status, order, _ = client.retrying("POST", "/api/v1/subscriptions/%d/orders" % subscription, change, {"Idempotency-Key": key},
                                               route="/subscriptions/:id/orders", answers=entry["answers"])
            self.record_submit(entry)
            if status == 201:
                self.finish(client, order, by_credit)
            elif status == 422 and (order or {}).get("error", {}).get("code") == "order_open" or status == 0 or status >= 500:
                self.adopt_open(client, subscription, by_credit)
            elif status == 422:
                pass   # refused (e.g. the same quantity again): nothing to do
            else:
                time.sleep(0.5)
            time.sleep(rng.uniform(0, 0.05))

    # ------------------------------------------------------------------ the double spend

    def sql(self, node, statement):
        return subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", "-P%d" % self.c["db_ports"][node - 1], "-uconsole", "-pconsole",
                               self.c["database"], "-N", "-B", "-e", statement], capture_output=True, text=True, timeout=30)

    def double_spend_loop(self):
        """Two clients on app1 and app2 (two database nodes) pay two invoices of one customer from
        credit at the same moment; the credit covers exactly one of them. A round whose race can't
        run (app2's database is down, say) keeps its two invoices for the next try."""
        c, rec = self.c, self.rec
        email = self.spender["email"]
        left = sign_in(c["app_ports"][0], rec, email)
        right = sign_in(c["app_ports"][1 % len(c["app_ports"])], rec, email)   # one app node (the single-node drill): both on it
        helper = sign_in(c["balancer"], rec, email)
        round_number = 0
        invoices = []
        while not self.stop.is_set():
            if not invoices:
                if round_number >= 27:   # RAM: 4 included + 28 additional at most
                    return
                round_number += 1
                for sub in self.spend_subs:
                    key = "drill-%s-spend-%d-%d" % (c["run"], sub, round_number)
                    change = {"resources": [{"resource_code": "ram_gb", "additional": round_number}]}
                    entry = {"client": "spend", "user": self.spender["user"], "key": key, "subscription": sub, "kind": "change",
                             "additional": round_number, "answers": []}
                    status, order, _ = helper.retrying("POST", "/api/v1/subscriptions/%d/orders" % sub, change, {"Idempotency-Key": key},
                                                       route="/subscriptions/:id/orders", answers=entry["answers"])
                    self.record_submit(entry)
                    if status == 201:
                        invoices.append(order)
                    else:
                        self.adopt_open(helper, sub, False)
                if len(invoices) != 2 or not all(o.get("invoice_id") for o in invoices):
                    for order in invoices:
                        self.finish(helper, order, False)
                    invoices = []
                    self.double_spend.append({"round": round_number, "skipped": "submits did not both answer 201 with an invoice"})
                    time.sleep(2)
                    continue
            record = {"round": round_number, "t": now() - rec.started}
            due = int(round(float(invoices[0]["total"]["amount"]) * 100))
            # The credit: one manual adjustment through the API (staff, through app1), making the balance exactly the first
            # invoice's total; it takes the same credit-row guard as a credit payment.
            balance = self.balance_sql()
            give = due - balance if balance is not None else None
            if give:
                status, body, _ = self.admin.retrying("POST", "/api/v1/accounts/%d/credit-adjustments" % self.spender["id"],
                                                      {"amount": {"amount": "%s%d.%02d" % ("-" if give < 0 else "", abs(give) // 100, abs(give) % 100),
                                                                  "currency": "USD"},
                                                       "reason": "drill: credit for double-spend round %d" % round_number},
                                                      route="/accounts/:id/credit-adjustments")
            if give is None or give != 0 and status != 201:
                record["skipped"] = "could not set the credit"
            elif not self.wait_balance([left, right], due):
                # Both nodes must see the credit before the race, or a refusal proves nothing.
                record["skipped"] = "app1 or app2 did not answer the credit balance"
            else:
                record["credit"] = due
                answers = [None, None]
                barrier = threading.Barrier(2)

                def spend(side, client, invoice_id):
                    client.call("GET", "/api/v1/me", route="/me")   # a warm connection
                    barrier.wait()
                    status, body, _ = client.call("POST", "/api/v1/invoices/%d/payments" % invoice_id, {"method": "credit"},
                                                  route="/invoices/:id/payments (double spend)")
                    amount = int(round(float(body["amount"]["amount"]) * 100)) if status == 201 else 0
                    answers[side] = (status, amount, (body or {}).get("error", {}).get("code") if status != 201 else body.get("id"))

                threads = [threading.Thread(target=spend, args=(0, left, invoices[0]["invoice_id"])),
                           threading.Thread(target=spend, args=(1, right, invoices[1]["invoice_id"]))]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                record["answers"] = answers
                record["spent"] = sum(a[1] for a in answers if a)
                record["balance_after"] = self.balance_sql()
                if record["spent"] > due:
                    rec.event("double spend round %d: credit %d, both paid: %r, balance now %s" % (round_number, due, answers, record["balance_after"]))
            self.double_spend.append(record)
            if "answers" in record or self.stop.is_set():
                for order in invoices:
                    self.finish(helper, order, False)
                invoices = []
            time.sleep(1)

    def balance_sql(self):
        for node in range(1, len(self.c["db_ports"]) + 1):
            r = self.sql(node, "SET SESSION wsrep_sync_wait = 1; SELECT CAST(COALESCE(SUM(amount), 0) AS SIGNED) FROM credit_entries WHERE customer_id = %d"
                         % self.spender["id"])
            if r.returncode == 0 and r.stdout.strip():
                return int(r.stdout.strip())
        return None

    def wait_balance(self, clients, amount, bound=15):
        deadline = now() + bound
        while now() < deadline:
            ok = True
            for client in clients:
                status, body, _ = client.call("GET", "/api/v1/accounts/%d/credit" % self.spender["id"], route="/accounts/:id/credit")
                if status != 200 or int(round(float(body["balance"]["amount"]) * 100)) != amount:
                    ok = False
            if ok:
                return True
            time.sleep(0.3)
        return False

    # ------------------------------------------------------------------ billing runs

    def billing_loop(self, fractions):
        admins = [sign_in(port, self.rec, "admin@provider.test") for port in (self.c["balancer"], self.c["balancer"])]
        for fraction in fractions:
            if not self.sleep_until(fraction * self.c["seconds"]):
                return
            results = [None, None]

            def run(i):   # two at once through the balancer: two nodes, one business date
                status, body, _ = admins[i].retrying("POST", "/api/v1/billing-runs", {}, route="/billing-runs")
                results[i] = (status, body if status == 201 else (body or {}).get("error", {}).get("code"))

            threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.billing.append((now() - self.rec.started, results))
            self.rec.event("billing runs: %r" % (results,))

    def sleep_until(self, offset):
        while now() - self.rec.started < offset:
            if self.stop.wait(0.2):
                return False
        return True

    # ------------------------------------------------------------------ faults

    def cluster(self, *args):
        try:
            r = subprocess.run([os.path.join(REPO, "scripts", "cluster.sh")] + list(args), capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired as e:
            return 124, ["scripts/cluster.sh %s: no end within 300 s" % " ".join(args)] + ((e.stderr or b"").decode(errors="replace")).splitlines()[-3:]
        return r.returncode, (r.stdout + r.stderr).strip().splitlines()

    def root_sql(self, node, statement):
        sock = os.path.join(STATE, "db%d" % node, "mysqld.sock")
        try:
            return subprocess.run(["mariadb", "--no-defaults", "--protocol=socket", "--socket=" + sock, "-uroot", "-N", "-B", "--connect-timeout=2",
                                   "-e", statement], capture_output=True, text=True, timeout=20)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess([], 124, "", "db%d: no answer within 20 s" % node)

    def wsrep(self, node):
        r = self.root_sql(node, "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
                                "('WSREP_CLUSTER_SIZE','WSREP_LOCAL_STATE_COMMENT','WSREP_CLUSTER_STATUS','WSREP_LOCAL_CERT_FAILURES','WSREP_LOCAL_BF_ABORTS')")
        if r.returncode != 0:
            return None
        return dict(line.split("\t", 1) for line in r.stdout.strip().splitlines() if "\t" in line)

    def haproxy(self):
        sock = os.path.join(STATE, "haproxy.sock")
        try:
            r = subprocess.run(["socat", "-t", "2", "-", "UNIX-CONNECT:" + sock], input="show stat\n", capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return {}
        servers = {}
        for line in r.stdout.splitlines():
            f = line.split(",")
            if len(f) > 17 and f[0] == "console" and f[1] not in ("BACKEND", "FRONTEND"):
                servers[f[1]] = f[17]
        return servers

    def wait_for(self, what, predicate, bound=180):
        started = now()
        while now() - started < bound:
            if predicate():
                return now() - started
            time.sleep(0.25)
        self.rec.event("%s: not within %d s" % (what, bound))
        return None

    def phase(self, name):
        with self.lock:
            self.phases.append((now() - self.rec.started, name))

    def faults_loop(self):
        D = self.c["seconds"]
        isolate_for = max(12, int(D * 0.1))
        plan = [(0.15, "kill db2"), (0.30, "kill app3"), (0.45, "restart db2 and app3"), (0.62, "partition db3")]
        for fraction, step in plan:
            if not self.sleep_until(fraction * D):
                return
            t = now() - self.rec.started
            if step == "kill db2":
                self.phase("db2 killed")
                rc, out = self.cluster("kill", "db2")
                self.rec.event("fault: kill -9 db2 (%s)" % (out[-1] if out else rc))
                took = self.wait_for("db1 sees cluster size 2", lambda: (self.wsrep(1) or {}).get("WSREP_CLUSTER_SIZE") == "2", 60)
                gone = self.wait_for("app2 out of the balancer", lambda: self.haproxy().get("app2", "").startswith("DOWN"), 30)
                self.faults.append({"name": "kill -9 db2", "at": t, "evicted_after": took, "app2_out_after": gone})
            elif step == "kill app3":
                self.phase("db2 and app3 killed")
                rc, out = self.cluster("kill", "app3")
                self.rec.event("fault: kill -9 app3 (%s)" % (out[-1] if out else rc))
                gone = self.wait_for("app3 out of the balancer", lambda: self.haproxy().get("app3", "").startswith("DOWN"), 30)
                self.faults.append({"name": "kill -9 app3", "at": t, "app3_out_after": gone})
            elif step == "restart db2 and app3":
                self.phase("db2 and app3 restarting")
                started = now()
                rc, out = self.cluster("start", "db2")
                synced = now() - started if rc == 0 else None
                self.rec.event("restart db2: rc %d, %s" % (rc, [l for l in out if "rejoined" in l or "Synced" in l][-1:] or out[-3:]))
                app2 = self.wait_for("app2 UP in the balancer", lambda: self.haproxy().get("app2") == "UP", 60)
                started3 = now()
                rc3, out3 = self.cluster("start", "app3")
                app3 = self.wait_for("app3 UP in the balancer", lambda: self.haproxy().get("app3") == "UP", 60)
                app3_total = now() - started3 if app3 is not None else None
                self.rec.event("restart app3: rc %d, UP in the balancer after %s s" % (rc3, None if app3_total is None else "%.1f" % app3_total))
                self.faults[0]["recovered"] = {"db2_synced_after_start": synced, "app2_up_after_synced": app2,
                                               "transfer": next((l for l in out if "rejoined" in l), "")}
                self.faults[1]["recovered"] = {"app3_up_after_start": app3_total}
                self.phase("restarted")
            elif step == "partition db3":
                self.phase("db3 partitioned")
                r = self.root_sql(3, "SET GLOBAL wsrep_provider_options='gmcast.isolate=1'")
                self.rec.event("fault: db3 isolated (gmcast.isolate=1) rc %d %s" % (r.returncode, r.stderr.strip()[:120]))
                dropped = self.wait_for("db3 non-Primary", lambda: (self.wsrep(3) or {}).get("WSREP_CLUSTER_STATUS", "") not in ("Primary", ""), 60)
                others = self.wait_for("db1 sees cluster size 2", lambda: (self.wsrep(1) or {}).get("WSREP_CLUSTER_SIZE") == "2", 60)
                app3_out = self.wait_for("app3 out of the balancer", lambda: self.haproxy().get("app3", "").startswith("DOWN"), 30)
                held_from = now()
                while now() - held_from < isolate_for and not self.stop.is_set():
                    time.sleep(0.25)
                # Held at least isolate_for seconds after the others evicted it.
                self.phase("db3 healing")
                healed_at = now()
                r = self.root_sql(3, "SET GLOBAL wsrep_provider_options='gmcast.isolate=0'")
                self.rec.event("heal: db3 gmcast.isolate=0 rc %d; it was out %.1f s" % (r.returncode, now() - held_from))
                synced = self.wait_for("db3 Synced Primary, size 3", lambda: (lambda s: s.get("WSREP_LOCAL_STATE_COMMENT") == "Synced"
                                       and s.get("WSREP_CLUSTER_STATUS") == "Primary" and s.get("WSREP_CLUSTER_SIZE") == "3")(self.wsrep(3) or {}), 120)
                app3_in = self.wait_for("app3 UP in the balancer", lambda: self.haproxy().get("app3") == "UP", 60)
                self.faults.append({"name": "partition db3 (gmcast.isolate)", "at": t, "non_primary_after": dropped, "evicted_after": others,
                                    "app3_out_after": app3_out, "held": isolate_for,
                                    "recovered": {"db3_synced_after_heal": synced, "app3_up_after_synced": app3_in}})
                self.rec.event("db3 Synced %.1f s after the heal" % synced if synced is not None else "db3 did not resync")
                self.phase("healed")

    # ------------------------------------------------------------------ conflicts

    def conflicts_loop(self):
        while True:
            for node in (1, 2, 3):
                s = self.wsrep(node)
                if not s:
                    continue
                values = (int(s.get("WSREP_LOCAL_CERT_FAILURES", 0)), int(s.get("WSREP_LOCAL_BF_ABORTS", 0)))
                with self.lock:
                    entry = self.conflicts.setdefault(node, {"first": values, "last": values, "sum": [0, 0], "restarts": 0})
                    for i in range(2):
                        if values[i] < entry["last"][i]:   # the node restarted: its counters began again
                            entry["sum"][i] += values[i]
                            entry["restarts"] += 1 if i == 0 else 0
                        else:
                            entry["sum"][i] += values[i] - entry["last"][i]
                    entry["last"] = values
            if self.conflicts_done.wait(2):
                return

    # ------------------------------------------------------------------ run

    def run(self):
        self.setup()
        self.conflicts_done = threading.Event()
        monitor = threading.Thread(target=self.conflicts_loop, daemon=True)
        monitor.start()
        time.sleep(2.5)
        self.rec.started = now()   # offsets count from the start of the load
        self.started_utc = time.strftime("%H:%M:%S", time.gmtime())
        self.rec.event("load: %d clients through 127.0.0.1:%d for %d s, from %s UTC" % (self.c["clients"], self.c["balancer"], self.c["seconds"], self.started_utc))
        threads = [threading.Thread(target=self.client_loop, args=(i,), daemon=True) for i in range(self.c["clients"])]
        threads.append(threading.Thread(target=self.double_spend_loop, daemon=True))
        threads.append(threading.Thread(target=self.billing_loop, args=([0.08, 0.35, 0.55, 0.85],), daemon=True))
        # DRILL_FAULTS=0 (scripts/bench/cluster-throughput.sh): the same load with no fault, to count throughput.
        fault_thread = threading.Thread(target=self.faults_loop if self.c.get("faults", True) else lambda: None, daemon=True)
        for t in threads + [fault_thread]:
            t.start()
        self.sleep_until(self.c["seconds"])
        self.rec.event("load: time is up, waiting for the faults to be healed and the clients to finish their orders")
        fault_thread.join()
        self.stop.set()
        self.phase("drain")
        deadline = now() + 240
        for t in threads:
            t.join(max(0, deadline - now()))
        alive = sum(t.is_alive() for t in threads)
        self.rec.event("load: stopped (%d client threads still busy)" % alive)
        self.conflicts_done.set()
        monitor.join()
        self.load_seconds = now() - self.rec.started
