#!/usr/bin/env python3
"""ledger_topics: the topic ledger (notes/ledger.yaml) holds every topic of
tests/kb/topics.json (the 247 exact topics the knowledge base was planned
with) exactly once, in the group of the same name, and nothing else.
Resolution of each topic to its heading is checked by `kbc check`.
Prints per-group counts and "N passed, N failed"."""
import json
import os
import sys

import yaml

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..")
plan = json.load(open(os.path.join(here, "topics.json"), encoding="utf-8"))
ledger = yaml.safe_load(open(os.path.join(root, "notes", "ledger.yaml"), encoding="utf-8"))

passed = failed = 0


def check(ok, msg):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", msg)


def group_name(g):
    return g[:-len(" Ledger")] if g.endswith(" Ledger") else g


want = {}
for g in plan["groups"]:
    for t in g["topics"]:
        want[t] = group_name(g["group"])

seen = {}
for g in ledger["groups"]:
    for t in g["topics"]:
        term = t["term"]
        check(term not in seen, f"'{term}' appears twice")
        seen[term] = g["name"]

for term, group in want.items():
    check(term in seen, f"planned topic '{term}' missing from the ledger")
    if term in seen:
        check(seen[term] == group, f"'{term}' is in group '{seen[term]}', planned in '{group}'")
for term in seen:
    check(term in want, f"ledger topic '{term}' is not in the plan")

for g in ledger["groups"]:
    print(f"{len(g['topics']):4d}  {g['name']}")
print(f"{len(seen):4d}  topics in the ledger, {len(want)} planned")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
