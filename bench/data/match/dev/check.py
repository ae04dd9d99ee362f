#!/usr/bin/env python3
"""Sanity checker for the dev set (stdlib only).  Exit code 1 on any error.

Checks: JSONL parses; key sets; register IDs valid (GB 11643-1999) and consistent with
birth_date / gender / relation; a guardian listed under several children is the same person;
record ids unique and dates ISO 2025-2026; gold and notes in records order; every gold
child_id exists; every gold relation exists on that child; a matched person agrees with the
record (ID equal or one typo away, name equal up to trad/space/one character); every child
of a matched guardian is listed; no non-matching record carries a registered ID.
"""
import collections
import datetime as dt
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tables import SIMP, COUNTIES  # noqa: E402

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
AREAS = {c[3] for c in COUNTIES} | {o for c in COUNTIES for o, _ in c[4]}
RELS = {"father", "mother", "grandfather", "grandmother", "other"}
SOURCES = {"prison_admission", "prison_release", "death", "drug_rehab", "disability",
           "serious_illness", "missing", "dibao", "tekun"}
errors = []


def err(msg):
    errors.append(msg)


def load(name):
    rows = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                err("%s:%d does not parse: %s" % (name, n, e))
    return rows


def cd(b):
    return "10X98765432"[sum(int(c) * w for c, w in zip(b, W)) % 11]


def valid18(s):
    if not re.fullmatch(r"\d{17}[\dX]", s or ""):
        return False
    if cd(s[:17]) != s[17]:
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return True


def iso(s):
    try:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", s) and dt.date.fromisoformat(s)
    except ValueError:
        return None


FWT = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


def nid(s):
    if not s:
        return None
    s = re.sub(r"[\s\u3000]", "", s.translate(FWT)).upper()
    if len(s) == 15 and s.isdigit():
        b = s[:6] + "19" + s[6:]
        return b + cd(b)
    return s


def nname(s):
    return "".join(SIMP.get(c, c) for c in re.sub(r"[\s\u3000]", "", s))


def near(a, b):
    if len(a) != len(b):
        return False
    d = [i for i in range(len(a)) if a[i] != b[i]]
    return len(d) <= 1 or (len(d) == 2 and d[1] == d[0] + 1 and a[d[0]] == b[d[1]] and a[d[1]] == b[d[0]])


reg = load("register.jsonl")
recs = load("records.jsonl")
gold = load("gold.jsonl")
notes = load("notes.jsonl")

# ---------------- register
children = {}
gperson = {}            # id_number -> (name, birth_date, phone)
gchildren = collections.defaultdict(set)   # guardian key -> {(child, rel)}
reg_ids = set()
for r in reg:
    cid = r.get("child_id")
    if cid in children:
        err("duplicate child_id %s" % cid)
    children[cid] = r
    extra = set(r) - {"child_id", "name", "id_number", "birth_date", "gender", "county", "address", "guardians"}
    if extra:
        err("%s unexpected keys %s" % (cid, extra))
    if "id_number" in r:
        if not valid18(r["id_number"]) or r["id_number"][:6] not in AREAS:
            err("%s invalid id %s" % (cid, r["id_number"]))
        if r["id_number"] in reg_ids:
            err("%s id reused by another registered person" % cid)
        reg_ids.add(r["id_number"])
        if "birth_date" in r and r["birth_date"].replace("-", "") != r["id_number"][6:14]:
            err("%s birth_date != id" % cid)
        if "gender" in r and (int(r["id_number"][16]) % 2 == 1) != (r["gender"] == "男"):
            err("%s gender parity" % cid)
    if "birth_date" in r and not iso(r["birth_date"]):
        err("%s birth_date not ISO" % cid)
    if not r.get("guardians"):
        err("%s has no guardians" % cid)
    for g in r.get("guardians", []):
        if g.get("relation") not in RELS:
            err("%s bad relation %s" % (cid, g.get("relation")))
        if set(g) - {"relation", "name", "id_number", "birth_date", "phone"}:
            err("%s guardian unexpected keys" % cid)
        if "birth_date" in g and not iso(g["birth_date"]):
            err("%s guardian birth_date not ISO" % cid)
        key = g.get("id_number") or (g["name"], g.get("birth_date"), g.get("phone"))
        gchildren[key].add((cid, g["relation"]))
        if "id_number" in g:
            i = g["id_number"]
            if not valid18(i) or i[:6] not in AREAS:
                err("%s guardian invalid id %s" % (cid, i))
            if "birth_date" in g and g["birth_date"].replace("-", "") != i[6:14]:
                err("%s guardian birth_date != id" % cid)
            male = int(i[16]) % 2 == 1
            if g["relation"] in ("father", "grandfather") and not male or g["relation"] in ("mother", "grandmother") and male:
                err("%s %s gender parity" % (cid, g["relation"]))
            sig = (g["name"], g.get("birth_date"), g.get("phone"))
            if i in gperson and gperson[i] != sig:
                err("guardian %s listed with different fields" % i)
            if i in children and i not in gperson:
                pass
            gperson[i] = sig
for i in gperson:
    if any(r.get("id_number") == i for r in reg):
        err("guardian id %s also a child id" % i)

# ---------------- records / gold / notes
if not (len(recs) == len(gold) == len(notes)):
    err("length mismatch records %d gold %d notes %d" % (len(recs), len(gold), len(notes)))
seen = set()
for rec, g, nt in zip(recs, gold, notes):
    rid = rec.get("record_id")
    if rid in seen:
        err("duplicate record_id %s" % rid)
    seen.add(rid)
    if g.get("record_id") != rid or nt.get("record_id") != rid:
        err("order mismatch at %s" % rid)
    if set(rec) - {"record_id", "source", "name", "id_number", "birth_date", "gender", "county", "address", "date"}:
        err("%s unexpected keys" % rid)
    if rec.get("source") not in SOURCES:
        err("%s bad source" % rid)
    d = iso(rec.get("date", ""))
    if not d or not (dt.date(2025, 1, 1) <= d <= dt.date(2026, 12, 31)):
        err("%s bad date" % rid)
    if not rec.get("name"):
        err("%s no name" % rid)
    rid_n = nid(rec.get("id_number"))
    ms = g.get("matches")
    if not isinstance(ms, list):
        err("%s matches not a list" % rid)
        continue
    if not ms:
        if rid_n in reg_ids or rid_n in gperson:
            err("%s non-matching record carries a registered ID" % rid)
        continue
    persons = set()
    for m in ms:
        c = children.get(m.get("child_id"))
        if c is None:
            err("%s unknown child %s" % (rid, m.get("child_id")))
            continue
        if m["relation"] == "self":
            cand = [(c["name"], c.get("id_number"), c.get("birth_date"), ("self", c["child_id"]))]
        else:
            cand = [(x["name"], x.get("id_number"), x.get("birth_date"),
                     x.get("id_number") or (x["name"], x.get("birth_date"), x.get("phone")))
                    for x in c["guardians"] if x["relation"] == m["relation"]]
            if not cand:
                err("%s child %s has no %s" % (rid, c["child_id"], m["relation"]))
                continue
        ok = []
        for name, i, bd, key in cand:
            a, b = nname(rec["name"]), name
            name_ok = a == b or (len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1)
            id_ok = not (rid_n and i) or near(rid_n, i)
            if name_ok and id_ok:
                ok.append(key)
        if len(ok) != 1:
            err("%s: %s/%s does not agree with record (%d candidates)" % (rid, c["child_id"], m["relation"], len(ok)))
        else:
            persons.add(ok[0])
    if len(persons) > 1:
        err("%s gold mixes different people %s" % (rid, persons))
    for key in persons:
        if key and not (isinstance(key, tuple) and key[0] == "self"):
            want = gchildren[key]
            have = {(m["child_id"], m["relation"]) for m in ms}
            if want != have:
                err("%s gold %s but guardian appears under %s" % (rid, sorted(have), sorted(want)))
        elif key:
            if len(ms) != 1:
                err("%s self match with extra matches" % rid)

print("register children %d, guardian slots %d, records %d, matching %d" % (
    len(reg), sum(len(r["guardians"]) for r in reg), len(recs), sum(1 for g in gold if g["matches"])))
if errors:
    print("%d ERRORS" % len(errors))
    for e in errors[:50]:
        print("  " + e)
    sys.exit(1)
print("OK")
