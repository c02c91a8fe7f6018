"""The checks of the cluster drill, after the load settled: by SQL against a Synced node (with
wsrep_sync_wait, so it reads the cluster's latest commit) and through the API, comparing the
database with every answer the clients got (load.Drill's record). Scoped to the drill's own seller
("Drill <run>") and its customers, so earlier drills' data does not count."""

import subprocess
import time


class Checks:
    def __init__(self, drill):
        self.d = drill
        self.failures = []      # (check, text, rows)
        self.lost = []
        self.doubled = []
        self.stuck = []
        self.notes = []

    # ---------------------------------------------------------------- SQL

    def node(self):
        for node in (1, 2, 3):
            s = self.d.wsrep(node) or {}
            if s.get("WSREP_LOCAL_STATE_COMMENT") == "Synced" and s.get("WSREP_CLUSTER_STATUS") == "Primary":
                return node
        raise SystemExit("drill: no Synced node to check against")

    def q(self, statement):
        node = self.sql_node
        r = subprocess.run(["mariadb", "--no-defaults", "-h127.0.0.1", "-P%d" % self.d.c["db_ports"][node - 1], "-uconsole", "-pconsole",
                            self.d.c["database"], "-N", "-B", "-e", "SET SESSION wsrep_sync_wait = 15; " + statement],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise SystemExit("drill: SQL failed on db%d: %s\n%s" % (node, r.stderr.strip(), statement))
        return [[None if v == "NULL" else v for v in line.split("\t")] for line in r.stdout.splitlines() if line]

    def fail(self, check, text, rows=()):
        self.failures.append((check, text, list(rows)))

    # ---------------------------------------------------------------- settle

    def settle(self, bound):
        """Waits until no order of the drill is provisioning; answers the seconds it took."""
        self.sql_node = self.node()
        self.path = self.q("SELECT path FROM accounts WHERE id = %d" % self.d.seller)[0][0]
        self.scope = "customer_path LIKE '%s%%'" % self.path
        started = time.monotonic()
        while time.monotonic() - started < bound:
            rows = self.q("SELECT COUNT(*) FROM orders WHERE status = 'provisioning' AND %s" % self.scope)
            if rows[0][0] == "0":
                return time.monotonic() - started
            time.sleep(1)
        return None

    # ---------------------------------------------------------------- checks

    def run(self):
        d = self.d
        self.sql_node = self.node()
        orders = {int(r[0]): {"kind": r[1], "status": r[2], "subscription": r[3] and int(r[3]), "invoice": r[4] and int(r[4]), "total": int(r[5]),
                              "completed_at": r[6]}
                  for r in self.q("SELECT id, kind, status, subscription_id, invoice_id, total, completed_at FROM orders WHERE %s" % self.scope)}
        users = ",".join(str(c["user"]) for c in d.customers)
        keys = {(int(r[0]), r[1]): int(r[2]) for r in self.q("SELECT user_id, idempotency_key, order_id FROM idempotency_keys WHERE user_id IN (%s)" % users)}
        self.orders_answered = set()

        # 1. Every submit answered 201 exists exactly once; two 201s for one key name one order.
        for s in d.submits:
            ids = {order_id for status, order_id, _ in s["answers"] if status == 201}
            self.orders_answered |= ids
            if len(ids) > 1:
                self.doubled.append(s["key"])
                self.fail(1, "one Idempotency-Key answered 201 with different orders", [(s["key"], sorted(ids), s["answers"])])
            for order_id in ids:
                if order_id not in orders:
                    self.lost.append(order_id)
                    self.fail(1, "answered 201 but not in the database", [(s["key"], order_id, s["answers"])])
                elif keys.get((s["user"], s["key"])) != order_id:
                    self.fail(1, "the key's record names another order", [(s["key"], order_id, keys.get((s["user"], s["key"])))])
        keyed = set(keys.values())
        for order_id, o in sorted(orders.items()):
            if o["kind"] in ("change", "sales") and order_id not in keyed:
                self.doubled.append(order_id)
                self.fail(1, "an order no Idempotency-Key of the drill names (a submit written twice?)", [(order_id, o["kind"], o["status"], o["subscription"])])

        # 2. Every client-visible outcome matches the database: a 4xx answer left no order under its key.
        ambiguous = 0
        for s in d.submits:
            statuses = [a[0] for a in s["answers"]]
            final = statuses[-1] if statuses else None
            stored = keys.get((s["user"], s["key"]))
            if final is not None and 400 <= final < 500 and stored is not None:
                self.fail(2, "the client's last answer was %d but the key's order exists" % final, [(s["key"], stored, orders.get(stored, {}).get("status"), s["answers"])])
            if final is not None and (final == 0 or final >= 500):
                ambiguous += 1
        self.notes.append("submits: %d, answered 201: %d orders, refused 4xx: %d, no answer after retries: %d (their keys' orders exist: %d)" % (
            len(d.submits), len(self.orders_answered), sum(1 for s in d.submits if s["answers"] and 400 <= s["answers"][-1][0] < 500), ambiguous,
            sum(1 for s in d.submits if s["answers"] and (s["answers"][-1][0] == 0 or s["answers"][-1][0] >= 500) and (s["user"], s["key"]) in keys)))
        retried = [s for s in d.submits if len(s["answers"]) > 1]
        self.notes.append("submits retried after a 5xx or no answer: %d (replayed 201 after a lost answer: %d)" % (
            len(retried), sum(1 for s in retried if s["answers"][-1][0] == 201 and any(a[0] == 0 or a[0] >= 500 for a in s["answers"][:-1]))))

        # 3. No order is stuck: all terminal or awaiting payment.
        for order_id, o in sorted(orders.items()):
            if o["status"] == "provisioning":
                self.stuck.append(order_id)
        if self.stuck:
            self.fail(3, "orders still provisioning", self.q("SELECT id, kind, status, claimed_until, attempts, updated_at FROM orders WHERE id IN (%s)"
                                                            % ",".join(map(str, self.stuck))))
        # An order whose invoice is paid must not still await payment, or be expired or cancelled (lost).
        rows = self.q("SELECT o.id, o.status, i.id, i.status FROM orders o JOIN invoices i ON i.id = o.invoice_id "
                      "WHERE i.status = 'paid' AND o.status IN ('awaiting_payment', 'expired', 'cancelled') AND o.%s" % self.scope)
        for r in rows:
            self.lost.append(int(r[0]))
        if rows:
            self.fail(3, "paid invoice, order not provisioned", rows)
        by_status = {}
        for o in orders.values():
            by_status[o["status"]] = by_status.get(o["status"], 0) + 1
        self.notes.append("orders of the drill's customers by status: %s" % ", ".join("%s %d" % kv for kv in sorted(by_status.items())))

        # How long orders took from payment (or submit) to completion: a claim held by a killed or
        # cut-off worker keeps its order until the claim expires.
        slow = self.q("SELECT id, kind, attempts, COALESCE(paid_at, created_at), completed_at, "
                      "ROUND(TIMESTAMPDIFF(MICROSECOND, COALESCE(paid_at, created_at), completed_at) / 1e6, 1) AS took FROM orders "
                      "WHERE status = 'completed' AND %s ORDER BY took DESC LIMIT 4" % self.scope)
        self.notes.append("slowest completions after payment (id, kind, attempts, paid, completed, seconds): %s" % "; ".join(" ".join(map(str, r)) for r in slow))

        # 4. Every paid invoice is paid once: its succeeded payments add up to its total (one, or a
        # part from credit and the rest by card), at most one card charge; an unpaid one is not paid in full.
        rows = self.q("SELECT i.id, i.status, i.total, COALESCE(SUM(p.amount), 0), COUNT(p.id), COALESCE(SUM(p.method = 'card'), 0) FROM invoices i "
                      "LEFT JOIN payments p ON p.invoice_id = i.id AND p.status = 'succeeded' WHERE i.%s GROUP BY i.id, i.status, i.total" % self.scope)
        paid = unpaid = 0
        for r in rows:
            invoice_id, status, total, succeeded, count, cards = int(r[0]), r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])
            if status == "paid":
                paid += 1
                if succeeded > total or cards > 1:
                    self.doubled.append(("invoice", invoice_id))
                    self.fail(4, "a paid invoice paid more than once", [r])
                elif succeeded < total:
                    self.fail(4, "a paid invoice without payments covering it", [r])
            elif status == "unpaid":
                unpaid += 1
                if succeeded >= total and total > 0:
                    self.fail(4, "succeeded payments cover an unpaid invoice", [r])
        pending = self.q("SELECT id, invoice_id, status, created_at FROM payments WHERE status = 'pending' AND %s" % self.scope)
        if pending:
            self.fail(4, "payments still pending", pending)
        # Every credit payment posted exactly one entry of its amount.
        rows = self.q("SELECT p.id, p.amount, COUNT(e.id), COALESCE(SUM(e.amount), 0) FROM payments p LEFT JOIN credit_entries e ON e.payment_id = p.id "
                      "WHERE p.method = 'credit' AND p.status = 'succeeded' AND p.%s GROUP BY p.id, p.amount HAVING COUNT(e.id) <> 1 OR SUM(e.amount) <> -p.amount"
                      % self.scope)
        if rows:
            self.doubled.extend(("credit payment", r[0]) for r in rows)
            self.fail(4, "a credit payment without exactly one credit entry of its amount", rows)
        self.notes.append("invoices: %d paid, %d unpaid, %d in all" % (paid, unpaid, len(rows) if False else paid + unpaid))

        # 5. Every credit balance equals the sum of its log (the API's balance against SQL), none below zero.
        sums = {int(r[0]): int(r[1]) for r in self.q("SELECT a.id, CAST(COALESCE(SUM(e.amount), 0) AS SIGNED) FROM accounts a LEFT JOIN credit_entries e "
                                                       "ON e.customer_id = a.id WHERE a.kind = 'customer' AND a.path LIKE '%s%%' GROUP BY a.id" % self.path)}
        for customer_id, total in sorted(sums.items()):
            status, body, _ = d.admin.retrying("GET", "/api/v1/accounts/%d/credit" % customer_id, route="/accounts/:id/credit")
            api = int(round(float(body["balance"]["amount"]) * 100)) if status == 200 else None
            if api != total:
                self.fail(5, "the API's balance differs from the sum of the log", [(customer_id, api, total)])
            if total < 0:
                self.fail(5, "a credit balance below zero", [(customer_id, total)])
        spent_twice = [r for r in d.double_spend if r.get("spent", 0) > r.get("credit", 0) and "credit" in r]
        raced = [r for r in d.double_spend if "answers" in r]
        if spent_twice:
            self.doubled.extend(("double spend", r["round"]) for r in spent_twice)
            self.fail(5, "one credit spent on two nodes", [(r["round"], r["credit"], r["answers"], r["balance_after"]) for r in spent_twice])
        self.notes.append("double spend: %d rounds raced on app1/app2 (%d skipped: %s); outcomes: %s" % (
            len(raced), len(d.double_spend) - len(raced),
            "; ".join(sorted({r["skipped"] for r in d.double_spend if "skipped" in r})) or "-",
            ", ".join("%s/%s" % (a[0][0], a[1][0]) for a in (r["answers"] for r in raced) if a[0] and a[1])))

        # 6. Invoice numbers are gapless per seller: 1..max, no duplicates, none without a number.
        for r in self.q("SELECT seller_id, COUNT(*), COUNT(DISTINCT number), MIN(number), MAX(number), SUM(number IS NULL) FROM invoices "
                        "WHERE seller_id = %d OR %s GROUP BY seller_id" % (d.seller, self.scope)):
            seller, count, distinct, low, high, nulls = int(r[0]), int(r[1]), int(r[2]), r[3], r[4], int(r[5] or 0)
            if seller != d.seller:
                continue
            if distinct != count - nulls:
                self.doubled.append(("invoice number", seller))
                self.fail(6, "duplicate invoice numbers", self.q("SELECT seller_id, number, GROUP_CONCAT(id) FROM invoices WHERE seller_id = %d GROUP BY number HAVING COUNT(*) > 1" % seller))
            if nulls or (count and (low != "1" or int(high) != count)):
                self.fail(6, "invoice numbers not 1..%d" % count, [r])
            self.notes.append("invoices of seller %d numbered 1..%s (%d)" % (seller, high, count))

        # 7. Every subscription is what its completed orders made it: RAM additional equals what its
        # last completed change (or its sales order) set, as the clients asked for it.
        subs = {int(r[0]): int(r[1]) for r in self.q("SELECT s.id, sr.additional FROM subscriptions s JOIN subscription_resources sr ON sr.subscription_id = s.id "
                                                      "JOIN resources r ON r.id = sr.resource_id AND r.code = 'ram_gb' JOIN accounts a ON a.id = s.customer_id "
                                                      "WHERE a.path LIKE '%s%%'" % self.path)}
        last = {}
        for order_id, o in orders.items():
            if o["status"] == "completed" and o["kind"] in ("change", "sales") and o["subscription"]:
                mark = (o["completed_at"], order_id)
                if o["subscription"] not in last or mark > last[o["subscription"]][0]:
                    last[o["subscription"]] = (mark, order_id)
        checked = 0
        for sub, (_, order_id) in sorted(last.items()):
            asked = d.orders.get(order_id, {}).get("additional")
            if asked is None:
                continue   # not a drill client's order: check 1 names it
            checked += 1
            if subs.get(sub) != asked:
                self.fail(7, "a subscription differs from its last completed order", [(sub, "ram additional", subs.get(sub), "order", order_id, "set", asked)])
        untouched = [s for _, s in d.client_subs if s not in last and subs.get(s) != 0]
        if untouched:
            self.fail(7, "subscriptions changed without a completed order", [(s, subs.get(s)) for s in untouched])
        self.notes.append("subscriptions compared with their last completed order: %d" % checked)

        # 9. No stale read: a session signed in through one node, or an order just written, is read
        # through any node (wsrep_sync_wait); one 401 right after a sign-in or 404 for one's own order fails.
        stale = [(what, n) for what, n in d.stale.items() if n]
        if stale:
            self.fail(9, "a client read an older state than its own write", stale)

        # 8. No renewal or postpaid invoice is doubled: one renewal per subscription and period, one invoice per period key.
        rows = self.q("SELECT subscription_id, effective_date, COUNT(*), GROUP_CONCAT(id) FROM orders WHERE kind = 'renewal' AND status <> 'cancelled' AND %s "
                      "GROUP BY subscription_id, effective_date HAVING COUNT(*) > 1" % self.scope)
        rows += self.q("SELECT subscription_id, period_key, COUNT(*), GROUP_CONCAT(id) FROM invoices WHERE period_key IS NOT NULL AND %s "
                       "GROUP BY subscription_id, period_key HAVING COUNT(*) > 1" % self.scope)
        if rows:
            self.doubled.extend(("renewal", r[0]) for r in rows)
            self.fail(8, "a renewal or period invoice twice", rows)
        renewals = self.q("SELECT COUNT(*), COUNT(DISTINCT subscription_id) FROM orders WHERE kind = 'renewal' AND %s" % self.scope)[0]
        self.notes.append("renewal orders: %s for %s of %d subscriptions due" % (renewals[0], renewals[1], len(d.renewal_subs)))
        if int(renewals[1]) < len(d.renewal_subs):
            self.fail(8, "subscriptions due were not renewed by the billing runs", [(len(d.renewal_subs), renewals)])
        # Each postpaid subscription's ended month invoiced exactly once (the billing runs raced on two nodes).
        postpaid = dict(((int(r[0]), int(r[1])) for r in self.q(
            "SELECT subscription_id, COUNT(*) FROM invoices WHERE period_key LIKE 'postpaid:%%' AND %s GROUP BY subscription_id" % self.scope)))
        wrong = [(sub, start, postpaid.get(sub, 0)) for sub, start in d.postpaid_subs if postpaid.get(sub, 0) != 1]
        self.notes.append("postpaid invoices: %d for %d postpaid subscriptions with a month to invoice" % (sum(postpaid.values()), len(d.postpaid_subs)))
        if wrong:
            self.doubled.extend(("postpaid", sub) for sub, _, n in wrong if n > 1)
            self.fail(8, "a postpaid month not invoiced exactly once (subscription, period start, invoices)", wrong)

    def print_results(self):
        """The notes, then each failed check with its first rows."""
        print("drill: results")
        for note in self.notes:
            print("  " + note)
        for check, text, rows in self.failures:
            print("FAILED check %s: %s (%d rows)" % (check, text, len(rows)))
            for row in rows[:10]:
                print("    %r" % (row,))
