#!/usr/bin/env python3
"""check_shim.py — verify the report of tests/gbench/shim_selftest.c.

usage: check_shim.py REPORT.json [--no-errors]

--no-errors: the run was filtered to the benchmarks that must succeed.
Each failed check is one line on stderr; exit 1 if any.
"""
import json
import math
import sys

errors = []


def fail(msg):
    errors.append(msg)
    print("check_shim: " + msg, file=sys.stderr)


def close(a, b, rel=1e-6):
    return a is not None and math.isclose(a, b, rel_tol=rel)


def main():
    path = sys.argv[1]
    no_errors = "--no-errors" in sys.argv[2:]
    try:
        with open(path) as f:
            rep = json.load(f)
        runs = {r["name"]: r for r in rep["benchmarks"]}
        ctx = rep["context"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail("%s: not a Google Benchmark JSON report: %s" % (path, e))
        return 1

    ok_names = (["batches/cap:%d" % c for c in (0, 1, 7, 1000)] +
                ["counters", "args/x:3/y:5"] +
                ["product/x:%d/y:%d" % (x, y) for x in (1, 2) for y in (10, 20)] +
                ["ranges/%d" % r for r in (1, 2, 4, 8)])
    err_names = {"early_return": "returned before hl_gb_next_batch() returned 0",
                 "skip": "planned skip",
                 "skip_paused": "planned skip while paused"}
    want = set(ok_names) | (set() if no_errors else set(err_names))
    for n in sorted(want - set(runs)):
        fail("missing benchmark %s" % n)
    for n in sorted(set(runs) - want):
        fail("unexpected benchmark %s" % n)

    if ctx.get("selftest_key") != "selftest value":
        fail("context: selftest_key is %r" % ctx.get("selftest_key"))

    for n in ok_names:
        r = runs.get(n)
        if r is None:
            continue
        if r.get("error_occurred"):
            fail("%s: error: %s" % (n, r.get("error_message")))
            continue
        it = r.get("iterations", 0)
        if not it > 0:
            fail("%s: iterations %r" % (n, it))
            continue
        if n.startswith("batches/"):
            if r.get("handed_iters") != float(it):
                fail("%s: batches sum to %r, reported iterations %r"
                     % (n, r.get("handed_iters"), it))
            cpu_s = r["cpu_time"] * 1e-9 * it  # cpu_time is per iteration
            if not close(r.get("items_per_second"), it / cpu_s, 1e-3):
                fail("%s: items_per_second %r, not iterations/cpu time %r"
                     % (n, r.get("items_per_second"), it / cpu_s))
            if not close(r.get("bytes_per_second"),
                         8 * r.get("items_per_second", 0), 1e-9):
                fail("%s: bytes_per_second %r" % (n, r.get("bytes_per_second")))
            if r.get("label") != "selftest label":
                fail("%s: label %r" % (n, r.get("label")))
        elif n == "counters":
            cpu_s = r["cpu_time"] * 1e-9 * it  # cpu_time is per iteration
            checks = {"plain": 1000.0, "avg_iters": 1000.0 / it,
                      "iter_invariant": 1000.0 * it, "inverted": 1e-3,
                      "kibi": 1000.0, "rate": 1000.0 / cpu_s,
                      "iterations_seen": float(it)}
            for k, v in checks.items():
                if not close(r.get(k), v, 1e-3 if k == "rate" else 1e-9):
                    fail("counters: %s is %r, not %r" % (k, r.get(k), v))
        elif n.startswith("args/") or n.startswith("product/"):
            x, y = (int(p.split(":")[1]) for p in n.split("/")[1:3])
            if r.get("x") != x or r.get("y") != y:
                fail("%s: counters x=%r y=%r" % (n, r.get("x"), r.get("y")))
            unit = "us" if n.startswith("args/") else "ns"
            if r.get("time_unit") != unit:
                fail("%s: time_unit %r, not %s" % (n, r.get("time_unit"), unit))
        elif n.startswith("ranges/"):
            if r.get("r") != int(n.split("/")[1]):
                fail("%s: counter r=%r" % (n, r.get("r")))

    if not no_errors:
        for n, msg in err_names.items():
            r = runs.get(n)
            if r is None:
                continue
            if not r.get("error_occurred"):
                fail("%s: no error reported" % n)
            elif msg not in r.get("error_message", ""):
                fail("%s: error message %r lacks %r"
                     % (n, r.get("error_message"), msg))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
