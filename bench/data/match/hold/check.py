#!/usr/bin/env python3
"""Validate the held-out set and print its statistics.

    /work/main/.venv/bin/python check.py

Checks: every file parses as JSONL with the agreed keys; gold has the same record_ids in the
same order as records; every gold child_id exists; every gold entry names a relation the child
really has; the matches of a record are *all* the register entries of exactly one person
(a grandmother of three -> three entries); register IDs are valid GB 11643-1999 numbers whose
birth date and sex digit agree with the register; one ID never names two different people.
Exit status 1 on any failure.
"""
import collections
import datetime as dt
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
RELATIONS = {"self", "father", "mother", "grandfather", "grandmother", "other"}
MALE_REL = {"father": "M", "grandfather": "M", "mother": "F", "grandmother": "F"}
REG_KEYS = {"child_id", "name", "id_number", "birth_date", "gender", "county", "address", "guardians"}
G_KEYS = {"relation", "name", "id_number", "birth_date", "phone"}
REC_KEYS = {"record_id", "source", "name", "id_number", "birth_date", "gender", "county", "address", "date"}
AS_OF = dt.date(2024, 12, 1)

errors = []


def err(msg):
    errors.append(msg)


def load(name):
    out = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                err("%s:%d blank line" % (name, n))
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                err("%s:%d %s" % (name, n, e))
    return out


def valid_id(s):
    if not re.fullmatch(r"\d{17}[\dX]", s or ""):
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], W)) % 11] == s[17]


reg = load("register.jsonl")
recs = load("records.jsonl")
gold = load("gold.jsonl")
notes = load("notes.jsonl")

# ---------------------------------------------------------------- register
children = {}
entries = collections.defaultdict(set)       # person key -> {(child_id, relation)}
by_id = {}
for r in reg:
    if set(r) - REG_KEYS or not {"child_id", "name", "guardians"} <= set(r):
        err("register keys %s: %s" % (r.get("child_id"), sorted(r)))
    cid = r["child_id"]
    if cid in children:
        err("duplicate child_id %s" % cid)
    children[cid] = r
    if not r["guardians"]:
        err("%s has no guardian" % cid)
    people = [("self", r)] + [(g["relation"], g) for g in r["guardians"]]
    for rel, p in people:
        if rel not in RELATIONS:
            err("%s bad relation %s" % (cid, rel))
        if rel != "self" and set(p) - G_KEYS:
            err("%s guardian keys %s" % (cid, sorted(p)))
        idn, bd = p.get("id_number"), p.get("birth_date")
        if bd:
            try:
                dt.date.fromisoformat(bd)
            except ValueError:
                err("%s %s bad birth_date %s" % (cid, rel, bd))
        if idn:
            if not valid_id(idn):
                err("%s %s invalid ID %s" % (cid, rel, idn))
            if bd and idn[6:14] != bd.replace("-", ""):
                err("%s %s ID/birth mismatch" % (cid, rel))
            sex = {"self": {"男": "M", "女": "F"}.get(r.get("gender"))}.get(rel, MALE_REL.get(rel))
            if sex and (int(idn[16]) % 2 == 1) != (sex == "M"):
                err("%s %s ID sex digit disagrees" % (cid, rel))
            prev = by_id.get(idn)
            here = (p["name"], bd)
            if prev and prev != here:
                err("ID %s names two people %s %s" % (idn, prev, here))
            by_id[idn] = here
        key = (p["name"], idn, bd, p.get("phone"), r.get("address"))
        entries[key].add((cid, rel))
    b = dt.date.fromisoformat(r["birth_date"])
    if not (AS_OF.replace(year=AS_OF.year - 18) < b <= AS_OF):
        err("%s is not a minor (%s)" % (cid, b))
    for g in r["guardians"]:
        if g.get("birth_date") and dt.date.fromisoformat(g["birth_date"]) > b.replace(year=b.year - 14):
            err("%s guardian %s too young" % (cid, g["name"]))
who = {}
for key, ents in entries.items():
    for e in ents:
        who[e] = key

# ---------------------------------------------------------------- records / gold / notes
if len(recs) != len(gold) or len(recs) != len(notes):
    err("lengths differ: records %d gold %d notes %d" % (len(recs), len(gold), len(notes)))
seen = set()
for r, g, n in zip(recs, gold, notes):
    rid = r.get("record_id")
    if rid in seen:
        err("duplicate record_id %s" % rid)
    seen.add(rid)
    if g.get("record_id") != rid or n.get("record_id") != rid:
        err("order mismatch at %s" % rid)
    if set(r) - REC_KEYS or not {"record_id", "source", "name"} <= set(r):
        err("record keys %s %s" % (rid, sorted(r)))
    if set(g) != {"record_id", "matches"} or set(n) != {"record_id", "noise", "why"}:
        err("gold/notes keys %s" % rid)
    ms = g["matches"]
    pairs = set()
    for m in ms:
        if set(m) != {"child_id", "relation"}:
            err("%s match keys %s" % (rid, m))
            continue
        if m["child_id"] not in children:
            err("%s unknown child %s" % (rid, m["child_id"]))
            continue
        if (m["child_id"], m["relation"]) not in who:
            err("%s: child %s has no %s" % (rid, m["child_id"], m["relation"]))
            continue
        pairs.add((m["child_id"], m["relation"]))
    if len(pairs) != len(ms):
        err("%s duplicate or bad match entries" % rid)
    if pairs:
        persons = {who[p] for p in pairs}
        if len(persons) != 1:
            err("%s matches more than one person: %s" % (rid, persons))
        else:
            full = entries[persons.pop()]
            if full != pairs:
                err("%s incomplete: gold %s, person has %s" % (rid, sorted(pairs), sorted(full)))

# hand-written records present verbatim
hand = [json.loads(l) for l in open(os.path.join(HERE, "handwritten.jsonl"), encoding="utf-8")]
hid_map = json.load(open(os.path.join(HERE, "hand_ids.json"), encoding="utf-8"))
rec_by_id = {r["record_id"]: (r, g) for r, g in zip(recs, gold)}
for h in hand:
    r, g = rec_by_id[hid_map[h["hid"]]]
    body = {k: v for k, v in r.items() if k != "record_id"}
    if body != h["record"]:
        err("hand-written %s altered" % h["hid"])
    if sorted(map(json.dumps, g["matches"])) != sorted(map(json.dumps, h["matches"])):
        err("hand-written %s label altered" % h["hid"])

# ---------------------------------------------------------------- statistics
guardian_entries = sum(len(r["guardians"]) for r in reg)
guardian_people = {k for k, v in entries.items() if any(rel != "self" for _, rel in v)}
pos = sum(1 for g in gold if g["matches"])
n = len(recs)
print("children %d  (without ID %d)" % (len(reg), sum("id_number" not in r for r in reg)))
print("guardian entries %d, distinct guardians %d  (without ID %d, without ID and birth date %d)" % (
    guardian_entries, len(guardian_people), sum(1 for k in guardian_people if not k[1]),
    sum(1 for k in guardian_people if not k[1] and not k[2])))
print("relations", dict(collections.Counter(g["relation"] for r in reg for g in r["guardians"])))
multi = collections.Counter(len(v) for k, v in entries.items() if any(rel != "self" for _, rel in v))
print("guardians by number of registered children", dict(sorted(multi.items())))
print("households (addresses) by children", dict(sorted(collections.Counter(collections.Counter(r["address"] for r in reg).values()).items())))
print("records %d, matching %d (%.1f%%), entries in gold %d, records with >1 match %d" % (
    n, pos, 100 * pos / n, sum(len(g["matches"]) for g in gold), sum(1 for g in gold if len(g["matches"]) > 1)))
print("hand-written %d (matching %d)" % (len(hand), sum(1 for h in hand if h["matches"])))
print("match relations", dict(collections.Counter(m["relation"] for g in gold for m in g["matches"])))
src = collections.Counter(r["source"] for r in recs)
srcp = collections.Counter(r["source"] for r, g in zip(recs, gold) if g["matches"])
print("sources", {k: "%d/%d" % (srcp[k], v) for k, v in sorted(src.items())})
tags = collections.Counter(t for nt in notes for t in nt["noise"])
gold_pos = [bool(g["matches"]) for g in gold]
npos = sum(gold_pos)
with open(os.path.join(HERE, "stats_noise.tsv"), "w", encoding="utf-8") as f:
    f.write("tag\tall\tshare_all\tmatching\tshare_matching\tnon_matching\tshare_non_matching\n")
    for t, c in tags.most_common():
        p = sum(1 for nt, gp in zip(notes, gold_pos) if gp and t in nt["noise"])
        f.write("%s\t%d\t%.1f%%\t%d\t%.1f%%\t%d\t%.1f%%\n" % (t, c, 100 * c / n, p, 100 * p / npos, c - p, 100 * (c - p) / (n - npos)))
print("noise tags -> stats_noise.tsv (%d tags)" % len(tags))
if errors:
    print("\n%d ERRORS" % len(errors))
    for e in errors[:50]:
        print("  " + e)
    sys.exit(1)
print("\nall checks passed")
