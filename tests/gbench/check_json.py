#!/usr/bin/env python3
"""check_json.py — verify a heaplab-micro Google Benchmark JSON report.

usage: check_json.py REPORT.json --expect NAME... [--jemalloc yes|no]
                     [--warning yes|no|any] [--aggregates-only]

Checks, each failure one line on stderr (exit 1 if any):
  - the file parses as JSON with "context" and "benchmarks";
  - the set of run names is exactly the --expect names;
  - every run has no error, iterations > 0, real and cpu time > 0, time
    unit ns, the counters heaplab-micro promises (tsc_cycles_per_pair > 0,
    items_per_second > 0, bytes_per_second > 0, live_blocks equal to the
    name's live:N), and a label naming what served it;
  - the context records the build warning (--warning yes: not "none" and
    every label says UNRELIABLE; no: "none" and no label does) and
    jemalloc's state (--jemalloc yes: loaded, malloc served by
    libjemalloc; no: not loaded);
  - --aggregates-only: only aggregate rows (mean, median, stddev, cv) per
    name, no iteration rows.
"""
import argparse
import json
import re
import sys

errors = []


def fail(msg):
    errors.append(msg)
    print("check_json: " + msg, file=sys.stderr)


def label_ok(name, label):
    """Does the label name the code that served the benchmark `name`?"""
    kind, alloc = name.split("/")[0:2]
    if alloc == "glibc":
        return "__libc_malloc" in label and "/libc.so" in label
    if alloc == "jemalloc":
        return "mallocx" in label and "libjemalloc" in label
    if alloc == "mimalloc":
        return "mi_malloc" in label and "libmimalloc" in label
    if alloc == "tcmalloc":
        return "tc_malloc" in label and "libtcmalloc" in label
    if kind == "cache_pair":
        return "slab_cache_alloc" in label
    return ("heaplab %s " % alloc) in label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--expect", nargs="+", required=True)
    ap.add_argument("--jemalloc", choices=["yes", "no"])
    ap.add_argument("--warning", choices=["yes", "no", "any"], default="any")
    ap.add_argument("--aggregates-only", action="store_true")
    a = ap.parse_args()

    try:
        with open(a.report) as f:
            rep = json.load(f)
        ctx = rep["context"]
        runs = rep["benchmarks"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        fail("%s: not a Google Benchmark JSON report: %s" % (a.report, e))
        return 1

    names = {r.get("run_name", r.get("name")) for r in runs}
    want = set(a.expect)
    for n in sorted(want - names):
        fail("missing benchmark %s" % n)
    for n in sorted(names - want):
        fail("unexpected benchmark %s" % n)

    for r in runs:
        name = r.get("run_name", r.get("name", "?"))
        if r.get("error_occurred"):
            fail("%s: error: %s" % (name, r.get("error_message")))
            continue
        if a.aggregates_only:
            if r.get("run_type") != "aggregate":
                fail("%s: a %s row with aggregates only" %
                     (name, r.get("run_type")))
            continue
        if r.get("run_type") != "iteration":
            continue
        if not r.get("iterations", 0) > 0:
            fail("%s: iterations %r" % (name, r.get("iterations")))
        for k in ("real_time", "cpu_time"):
            if not r.get(k, 0) > 0:
                fail("%s: %s %r" % (name, k, r.get(k)))
        if r.get("time_unit") != "ns":
            fail("%s: time_unit %r, not ns" % (name, r.get("time_unit")))
        for k in ("tsc_cycles_per_pair", "items_per_second",
                  "bytes_per_second"):
            if not r.get(k, 0) > 0:
                fail("%s: counter %s is %r" % (name, k, r.get(k)))
        m = re.search(r"/live:(\d+)$", name)
        if not m or r.get("live_blocks") != float(m.group(1)):
            fail("%s: live_blocks %r" % (name, r.get("live_blocks")))
        label = r.get("label", "")
        if not label_ok(name, label):
            fail("%s: label %r does not name what served it" % (name, label))
        if a.warning == "yes" and "UNRELIABLE" not in label:
            fail("%s: checked/sanitized build not flagged in label" % name)
        if a.warning == "no" and "UNRELIABLE" in label:
            fail("%s: release build flagged UNRELIABLE" % name)

    if a.aggregates_only:
        for n in want:
            aggs = {r.get("aggregate_name") for r in runs
                    if r.get("run_name") == n}
            for agg in ("mean", "median", "stddev"):
                if agg not in aggs:
                    fail("%s: no %s aggregate" % (n, agg))

    warn = ctx.get("heaplab_build_warning")
    if warn is None:
        fail("context has no heaplab_build_warning")
    elif a.warning == "yes" and warn == "none":
        fail("context: checked/sanitized build but build_warning is none")
    elif a.warning == "no" and warn != "none":
        fail("context: release build but build_warning %r" % warn)

    je = ctx.get("heaplab_jemalloc", "")
    provider = ctx.get("heaplab_malloc_provider", "")
    if a.jemalloc == "yes":
        if not je.startswith("loaded") or "libjemalloc" not in provider:
            fail("context: jemalloc should serve: heaplab_jemalloc %r, "
                 "malloc provider %r" % (je, provider))
    elif a.jemalloc == "no":
        if not je.startswith("not loaded") or "jemalloc" in provider:
            fail("context: jemalloc should be absent: heaplab_jemalloc %r, "
                 "malloc provider %r" % (je, provider))

    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
