#!/usr/bin/env python3
"""Generate the blind dev set for record -> registered-child matching.

Seeded and reproducible, standard library only.  Writes register.jsonl,
records.jsonl, gold.jsonl, notes.jsonl and stats.json next to this file.

    python make.py            # regenerate everything
"""
import collections
import datetime as dt
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from tables import (COUNTIES, VILLAGE_FIXED, VILLAGE_SURN, VILLAGE_SUFFIX, SURNAMES, KOREAN_SURNAMES,  # noqa: E402
                    MONGOL_SURNAMES, GIVEN, KOREAN_GIVEN, MONGOL_GIVEN, COMMON_FULL, TRAD, SIMP, HOMO)

SEED = 20250611
N_CHILDREN = 400
N_POS = 240
HARD = collections.OrderedDict([
    ("same_name_dob_other_county", 32),
    ("same_name_same_county_other_dob", 32),
    ("id_one_digit_other_name", 28),
    ("guardian_namesake", 30),
    ("child_name_guardian_dob", 28),
    ("homophone_other_dob", 30),
])
N_EASY = 180
# noise quotas among the N_POS matching records
Q_NOID, Q_ID15, Q_LOWX, Q_FW, Q_SPACE_ID, Q_SPACE_NAME = 60, 24, 12, 12, 6, 6
Q_TRAD, Q_HOMO, Q_TYPO_DIGIT, Q_TYPO_SWAP, Q_WEAK, Q_SHARED, Q_CROSS = 19, 19, 7, 5, 4, 16, 4

rng = random.Random(SEED)
D = dt.date
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
SOURCES = ["prison_admission", "prison_release", "death", "drug_rehab", "disability",
           "serious_illness", "missing", "dibao", "tekun"]
REC_DATE0, REC_DATE1 = D(2025, 1, 1), D(2026, 12, 31)


def check_digit(body17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, W)) % 11]


def wchoice(pairs):
    items = [p[0] for p in pairs]
    ws = [p[1] for p in pairs]
    return rng.choices(items, ws)[0]


def rand_date(a, b):
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


def year_shift(d, lo, hi):
    """a random date roughly lo..hi years before d (negative = after)."""
    y = d.year - rng.randint(lo, hi)
    return rand_date(D(y, 1, 1), D(y, 12, 31))


C = []
for (name, short, pref, code, old, towns, inreg) in COUNTIES:
    C.append(dict(name=name, short=short, pref=pref, code=code, old=old, towns=towns, reg=inreg))
REG_CI = [i for i, c in enumerate(C) if c["reg"]]
ALL_CI = list(range(len(C)))
PREF_SHORT = {"延边朝鲜族自治州": "延边"}

VILLAGES = {}
for ci, c in enumerate(C):
    for t in c["towns"]:
        vs = set()
        while len(vs) < 7:
            if rng.random() < 0.5:
                vs.add(rng.choice(VILLAGE_SURN) + rng.choice(VILLAGE_SUFFIX))
            else:
                vs.add(rng.choice(VILLAGE_FIXED))
        VILLAGES[(ci, t)] = sorted(vs)
# the README example village
VILLAGES[(0, "合隆镇")][0] = "陈家店村"


def rand_addr(ci, town=None, not_village=None):
    c = C[ci]
    town = town or rng.choice(c["towns"])
    vs = [v for v in VILLAGES[(ci, town)] if v != not_village]
    grp = (rng.choice("一二三四五六七八") + "组") if rng.random() < 0.3 else ""
    return dict(ci=ci, town=town, village=rng.choice(vs), group=grp)


def full_addr(a):
    c = C[a["ci"]]
    return "吉林省" + c["pref"] + c["name"] + a["town"] + a["village"] + a["group"]


def area_code(ci, dob):
    c = C[ci]
    for old, before in c["old"]:
        if dob.year < before and rng.random() < 0.8:
            return old
    return c["code"]


USED_IDS = set()


def make_id(area, dob, gender):
    for _ in range(10000):
        last = rng.choice("13579" if gender == "M" else "02468")
        seq = "%02d%s" % (rng.randint(0, 99), last)
        if seq == "000":
            continue
        body = area + dob.strftime("%Y%m%d") + seq
        full = body + check_digit(body)
        if full not in USED_IDS:
            USED_IDS.add(full)
            return full
    raise RuntimeError("id space exhausted")


def pick_surname(ethnic=None, avoid=None):
    table = {"kor": KOREAN_SURNAMES, "mon": MONGOL_SURNAMES}.get(ethnic, SURNAMES)
    while True:
        s = wchoice(table)
        if s != avoid:
            return s


def gen_given(gen, gender, ethnic):
    if ethnic == "kor":
        return rng.choice(KOREAN_GIVEN[gen][gender])
    if ethnic == "mon":
        return rng.choice(MONGOL_GIVEN[gender])
    return rng.choice(GIVEN[gen][gender])


def gen_name(gen, gender, surname=None, ethnic=None, common_ok=True):
    if ethnic is None and common_ok:
        commons = COMMON_FULL[gen][gender]
        cands = [n for n in commons if n[0] == surname] if surname else commons
        if cands and rng.random() < (0.3 if surname else 0.15):
            return rng.choice(cands)
    if surname is None:
        surname = pick_surname(ethnic)
    return surname + gen_given(gen, gender, ethnic)


# ----------------------------------------------------------------------------------------------
# normalisation helpers used by the generator's own decidability checks
UNFW = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


def norm_name(s):
    s = re.sub(r"[\s\u3000·•.]", "", s or "")
    return "".join(SIMP.get(ch, ch) for ch in s)


def norm_id(s):
    """-> (id18 or raw, valid, was15) ; None if absent"""
    if not s:
        return None
    s = re.sub(r"[\s\u3000-]", "", s.translate(UNFW)).upper()
    if len(s) == 15 and s.isdigit():
        b = s[:6] + "19" + s[6:]
        return (b + check_digit(b), True, True)
    if len(s) == 18 and s[:17].isdigit():
        return (s, check_digit(s[:17]) == s[17], False)
    return (s, False, False)


def id_dob(id18):
    try:
        return D(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return None


def parse_dob(s):
    if not s:
        return None
    s = s.translate(UNFW).strip()
    for pat in (r"^(\d{4})-(\d{1,2})-(\d{1,2})$", r"^(\d{4})/(\d{1,2})/(\d{1,2})$",
                r"^(\d{4})(\d{2})(\d{2})$", r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"):
        m = re.match(pat, s)
        if m:
            try:
                return D(*map(int, m.groups()))
            except ValueError:
                return None
    return None


def rec_ci(rec):
    county = rec.get("county", "")
    addr = rec.get("address", "")
    s = county + "|" + addr
    for ci, c in enumerate(C):
        if c["name"] in s:
            return ci
    for ci, c in enumerate(C):
        if county and county == c["short"]:
            return ci
    a = addr.replace("吉林省", "")
    for c in C:
        if a.startswith(c["pref"]):
            a = a[len(c["pref"]):]
            break
    for ci, c in enumerate(C):
        if a.startswith(c["short"]):
            return ci
    return None


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b)) if len(a) == len(b) else 99


def is_swap(a, b):
    if len(a) != len(b) or a == b:
        return False
    d = [i for i in range(len(a)) if a[i] != b[i]]
    return len(d) == 2 and d[1] == d[0] + 1 and a[d[0]] == b[d[1]] and a[d[1]] == b[d[0]]


def loose_name(a, b):
    return a == b or (len(a) == len(b) and hamming(a, b) == 1)


def dob_far(a, b):
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    return hamming(sa, sb) >= 2 and abs((a - b).days) >= 30


def dob_digits_far(a, b):
    return hamming(a.strftime("%Y%m%d"), b.strftime("%Y%m%d")) >= 2 and abs((a - b).days) >= 365


# ----------------------------------------------------------------------------------------------
# register
persons = []          # every registered person (child or guardian), each once
NAME_DOB = set()


def new_person(name_fn, gender, dob, birth_ci, home, role):
    for _ in range(200):
        name = name_fn()
        if (name, dob) not in NAME_DOB:
            break
    NAME_DOB.add((name, dob))
    p = dict(pid=len(persons), name=name, gender=gender, dob=dob,
             id=make_id(area_code(birth_ci, dob), dob, gender), addr=home, role=role,
             reg_id=True, reg_dob=True, phone=None, links=[])
    persons.append(p)
    return p


def phone():
    return rng.choice(["13", "15", "18", "17", "19"]) + "".join(rng.choice("0123456789") for _ in range(9))


def set_reg_fields(p):
    r = p["role"]
    if r == "child":
        p["reg_id"] = rng.random() < 0.96
        p["reg_dob"] = True if not p["reg_id"] else rng.random() < 0.98
    elif r in ("grandfather", "grandmother"):
        p["reg_id"] = rng.random() < 0.72
        p["reg_dob"] = rng.random() < 0.80
        p["phone"] = phone() if rng.random() < 0.35 else None
    else:
        p["reg_id"] = rng.random() < 0.90
        p["reg_dob"] = rng.random() < 0.92
        p["phone"] = phone() if rng.random() < 0.62 else None


def birth_ci_for(home_ci, p_same):
    if rng.random() < p_same:
        return home_ci
    return rng.choice(ALL_CI)


children = []       # dict(child_id, p, guardians=[(rel, p)], has_gender, has_county, has_addr)
families = []
PATTERNS = [("parents", .42), ("parents_gm", .05), ("pgp", .17), ("mgp", .06), ("father_gm", .08),
            ("mother_mgm", .05), ("single_father", .04), ("single_mother", .05), ("other", .06),
            ("other_gf", .02)]


def gen_family():
    ci = rng.choice(REG_CI)
    c = C[ci]
    ethnic = None
    if (c["pref"] == "延边朝鲜族自治州" and rng.random() < 0.4) or (c["short"] == "长白" and rng.random() < 0.3):
        ethnic = "kor"
    elif c["short"] == "前郭" and rng.random() < 0.15:
        ethnic = "mon"
    home = rand_addr(ci)
    surname = pick_surname(ethnic)
    remaining = N_CHILDREN - len(children)
    nk = min(remaining, wchoice([(1, .74), (2, .20), (3, .06)]))
    first = rand_date(D(2009, 1, 1), D(2024, 12, 31))
    dobs = [first]
    twins = nk >= 2 and rng.random() < 0.15
    for k in range(1, nk):
        if twins and k == 1:
            dobs.append(first)
            continue
        for _ in range(100):
            d = first + dt.timedelta(days=rng.choice([-1, 1]) * rng.randint(400, 2500))
            if D(2009, 1, 1) <= d <= D(2024, 12, 31):
                break
        else:
            d = first
        dobs.append(d)
    eldest = min(dobs)
    pattern = wchoice(PATTERNS)
    g = []
    fa = mo = None
    fa_dob = year_shift(eldest, 21, 40)
    mo_dob = year_shift(eldest, 20, 37)
    mo_surname = pick_surname(ethnic, avoid=surname)
    ng = lambda gen, gender, sur=None, common=True: (lambda: gen_name(gen, gender, sur, ethnic, common))  # noqa: E731

    def mk(rel, gen, gender, dob, sur, p_same):
        p = new_person(ng(gen, gender, sur), gender, dob, birth_ci_for(ci, p_same), home, rel)
        set_reg_fields(p)
        return p

    if pattern in ("parents", "parents_gm", "father_gm", "single_father"):
        fa = mk("father", "parent", "M", fa_dob, surname, .8)
        g.append(("father", fa))
    if pattern in ("parents", "parents_gm", "mother_mgm", "single_mother"):
        mo = mk("mother", "parent", "F", mo_dob, mo_surname, .65)
        g.append(("mother", mo))
    if pattern in ("parents_gm", "father_gm"):
        g.append(("grandmother", mk("grandmother", "grand", "F", year_shift(fa_dob, 20, 32), None, .85)))
    if pattern == "pgp":
        g.append(("grandfather", mk("grandfather", "grand", "M", year_shift(fa_dob, 20, 32), surname, .85)))
        g.append(("grandmother", mk("grandmother", "grand", "F", year_shift(fa_dob, 18, 30), None, .85)))
    if pattern == "mgp":
        g.append(("grandfather", mk("grandfather", "grand", "M", year_shift(mo_dob, 20, 32), mo_surname, .85)))
        g.append(("grandmother", mk("grandmother", "grand", "F", year_shift(mo_dob, 18, 30), None, .85)))
    if pattern == "mother_mgm":
        g.append(("grandmother", mk("grandmother", "grand", "F", year_shift(mo_dob, 18, 30), None, .85)))
    if pattern in ("other", "other_gf"):
        # aunt / uncle; half of the time a parent already registered in another family of the county
        cands = [(rel, p) for f in families if f["ci"] == ci for rel, p in f["guardians"]
                 if rel in ("father", "mother")]
        if cands and rng.random() < 0.6:
            _, p = rng.choice(cands)
            g.append(("other", p))
        else:
            gender = rng.choice("MF")
            g.append(("other", mk("other", "parent", gender, year_shift(eldest, 20, 45),
                                  surname if gender == "M" else None, .8)))
        if pattern == "other_gf":
            g.append(("grandfather", mk("grandfather", "grand", "M", year_shift(fa_dob, 20, 32), surname, .85)))
    kids = []
    used_given = set()
    for d in dobs:
        gender = rng.choice("MF")
        for _ in range(100):
            common = not twins
            nm = gen_name("child", gender, surname, ethnic, common)
            if nm not in used_given:
                break
        used_given.add(nm)
        p = new_person(lambda nm=nm: nm, gender, d, ci, home, "child")
        set_reg_fields(p)
        cid = "C%04d" % (len(children) + 1)
        ch = dict(child_id=cid, p=p, guardians=list(g), has_gender=rng.random() < 0.97,
                  has_county=rng.random() < 0.97, has_addr=rng.random() < 0.96)
        p["links"].append((cid, "self"))
        for rel, gp in g:
            gp["links"].append((cid, rel))
        children.append(ch)
        kids.append(ch)
    families.append(dict(ci=ci, home=home, guardians=g, kids=kids, pattern=pattern, twins=twins))


while len(children) < N_CHILDREN:
    gen_family()

# ----------------------------------------------------------------------------------------------
# register view used by the checks (what a matcher can know)
for p in persons:
    p["rid"] = p["id"] if p["reg_id"] else None
    p["rdob"] = p["dob"] if p["reg_dob"] else (id_dob(p["id"]) if p["reg_id"] else None)
    p["ci"] = p["addr"]["ci"]
    p["nname"] = norm_name(p["name"])


def rec_view(rec):
    nid = norm_id(rec.get("id_number"))
    dob = parse_dob(rec.get("birth_date"))
    if dob is None and nid and nid[1]:
        dob = id_dob(nid[0])
    return dict(name=norm_name(rec["name"]), id=nid[0] if nid else None, valid=bool(nid and nid[1]),
                dob=dob, ci=rec_ci(rec))


def agreement(rv, q):
    if loose_name(rv["name"], q["nname"]):
        return True
    if rv["id"] and q["rid"] and (hamming(rv["id"], q["rid"]) <= 2 or is_swap(rv["id"], q["rid"])):
        return True
    if rv["dob"] and q["rdob"] and rv["dob"] == q["rdob"] and rv["ci"] == q["ci"]:
        return True
    return False


def conflict(rv, q):
    if rv["id"] and q["rid"] and rv["id"] != q["rid"]:
        if rv["valid"] or (hamming(rv["id"], q["rid"]) >= 2 and not is_swap(rv["id"], q["rid"])):
            return True
    if rv["dob"] and q["rdob"] and dob_far(rv["dob"], q["rdob"]):
        return True
    if not loose_name(rv["name"], q["nname"]):
        return True
    return False


def decidable_negative(rec):
    rv = rec_view(rec)
    return all(conflict(rv, q) for q in persons if agreement(rv, q))


def decidable_positive(rec, t, weak_ok=False):
    rv = rec_view(rec)
    if rv["dob"] and rv["dob"] != t["dob"]:
        return False
    if conflict(rv, t):
        return False
    idm = rv["id"] and t["rid"] and (rv["id"] == t["rid"] or (not rv["valid"] and (
        hamming(rv["id"], t["rid"]) == 1 or is_swap(rv["id"], t["rid"]))))
    dobm = rv["dob"] and t["rdob"] and rv["dob"] == t["rdob"]
    weak = weak_ok and rv["name"] == t["nname"] and rv["ci"] == t["ci"] and t["addr"]["village"] in rec.get("address", "")
    if not (idm or dobm or weak):
        return False
    for q in persons:
        if q["pid"] != t["pid"] and agreement(rv, q) and not conflict(rv, q):
            return False
    return True


# ----------------------------------------------------------------------------------------------
# rendering of a record with noise
FW = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
ADDR_W = [("full", .25), ("no_province", .15), ("no_prov_city", .12), ("abbrev_county", .12),
          ("county_only", .07), ("town_only", .06), ("nearby_village", .08), ("nearby_town", .04), ("missing", .11)]
ADDR_STRICT = ["full", "no_province", "no_prov_city", "abbrev_county"]
COUNTY_W = [("full", .55), ("short", .13), ("with_city", .12), ("missing", .20)]
DOB_W = [("iso", .40), ("slash", .15), ("compact", .15), ("cjk", .12), ("missing", .18)]


def to_trad(name):
    return "".join(TRAD.get(ch, ch) for ch in name)


def can_trad(name):
    return any(ch in TRAD for ch in name)


def homophone_variant(name):
    pos = [i for i in range(1, len(name)) if name[i] in HOMO]
    if not pos:
        return None
    i = rng.choice(pos)
    return name[:i] + rng.choice(HOMO[name[i]]) + name[i + 1:]


def fmt_dob(d, fmt):
    return {"iso": d.isoformat(), "slash": "%d/%d/%d" % (d.year, d.month, d.day),
            "compact": d.strftime("%Y%m%d"), "cjk": "%d年%d月%d日" % (d.year, d.month, d.day)}[fmt]


def render_addr(a, mode, tags):
    c = C[a["ci"]]
    if mode == "full":
        return full_addr(a)
    if mode == "no_province":
        tags.append("addr_no_province")
        return c["pref"] + c["name"] + a["town"] + a["village"] + a["group"]
    if mode == "no_prov_city":
        tags.append("addr_no_prov_city")
        return c["name"] + a["town"] + a["village"]
    if mode == "abbrev_county":
        tags.append("addr_abbrev_county")
        return c["short"] + a["town"] + a["village"]
    if mode == "county_only":
        tags.append("addr_county_only")
        return PREF_SHORT.get(c["pref"], c["pref"].rstrip("市")) + c["name"]
    if mode == "town_only":
        tags.append("addr_town_only")
        return c["name"] + a["town"]
    if mode == "nearby_village":
        tags.append("addr_nearby_village")
        b = rand_addr(a["ci"], a["town"], not_village=a["village"])
        return rng.choice([full_addr(b), c["name"] + b["town"] + b["village"]])
    if mode == "nearby_town":
        tags.append("addr_nearby_town")
        towns = [t for t in c["towns"] if t != a["town"]]
        b = rand_addr(a["ci"], rng.choice(towns))
        return full_addr(b)
    raise ValueError(mode)


def render(t, source, date, o):
    tags = []
    rec = {"source": source}
    name = t["name"]
    if o.get("homophone"):
        name = o["homophone"]
        tags.append("homophone")
    if o.get("trad") and can_trad(name):
        name = to_trad(name)
        tags.append("trad")
    if o.get("space_name"):
        sp = rng.choice([" ", " ", "\u3000"])
        name = name[0] + sp + name[1:] if rng.random() < 0.7 else sp.join(name)
        tags.append("space_name")
    rec["name"] = name
    if o["id_mode"] == "none":
        tags.append("no_id")
    else:
        s = t["id"]
        if o["id_mode"] == "id15":
            s = s[:6] + s[8:17]
            tags.append("id15")
        if o.get("typo") == "digit":
            i = rng.randrange(len(s))
            s = s[:i] + rng.choice([ch for ch in "0123456789" if ch != s[i]]) + s[i + 1:]
            tags.append("id_typo_digit")
        elif o.get("typo") == "swap":
            cand = [i for i in range(len(s) - 1) if s[i] != s[i + 1]]
            i = rng.choice(cand)
            s = s[:i] + s[i + 1] + s[i] + s[i + 2:]
            tags.append("id_swap")
        if s.endswith("X") and o.get("lower_x"):
            s = s[:-1] + "x"
            tags.append("lower_x")
        if o.get("fullwidth"):
            s = s.translate(FW)
            tags.append("fullwidth")
        if o.get("space_id"):
            if len(s) == 18 and rng.random() < 0.6:
                s = s[:6] + " " + s[6:14] + " " + s[14:]
            else:
                i = rng.randrange(1, len(s))
                s = s[:i] + " " + s[i:]
            tags.append("space_id")
        rec["id_number"] = s
    if o["dob_fmt"] == "missing":
        tags.append("dob_missing")
    else:
        rec["birth_date"] = fmt_dob(t["dob"], o["dob_fmt"])
        if o["dob_fmt"] != "iso":
            tags.append("dob_" + o["dob_fmt"])
    if o.get("gender"):
        rec["gender"] = "男" if t["gender"] == "M" else "女"
    c = C[t["addr"]["ci"]]
    cm = o["county"]
    if cm == "missing":
        tags.append("county_missing")
    else:
        rec["county"] = {"full": c["name"], "short": c["short"], "with_city": c["pref"] + c["name"]}[cm]
        if cm != "full":
            tags.append("county_" + cm)
    if o["addr"] == "missing":
        tags.append("addr_missing")
    else:
        rec["address"] = render_addr(t["addr"], o["addr"], tags)
    rec["date"] = date.isoformat()
    return rec, tags


def source_for(p, date):
    age = (date - p["dob"]).days / 365.25
    male = p["gender"] == "M"
    w = []
    for s in SOURCES:
        if s in ("prison_admission", "prison_release"):
            x = (4 if male else 1) if 18 <= age <= 70 else 0
        elif s == "drug_rehab":
            x = (2 if male else 1) if 18 <= age <= 60 else 0
        elif s == "death":
            x = 3 if age >= 60 else (0.3 if age < 18 else 0.6)
        elif s in ("disability", "serious_illness", "dibao"):
            x = 1.2
        elif s == "missing":
            x = 1.5 if age < 18 else (1 if age >= 60 else 0.4)
        else:  # tekun
            x = 1.5 if age >= 60 else (0.5 if age < 16 else 0.2)
        w.append((s, x))
    return wchoice(w)


def base_opts(strict_place=False, allow_missing_dob=True):
    o = {"dob_fmt": wchoice([x for x in DOB_W if allow_missing_dob or x[0] != "missing"]),
         "gender": rng.random() < 0.65}
    if strict_place:
        o["addr"] = rng.choice(ADDR_STRICT)
        o["county"] = wchoice([x for x in COUNTY_W if x[0] != "missing"])
    else:
        o["addr"] = wchoice(ADDR_W)
        o["county"] = wchoice(COUNTY_W)
    return o


def links_text(p):
    return ",".join("%s/%s" % l for l in p["links"])


# ----------------------------------------------------------------------------------------------
# matching records
records = []   # (rec, gold_matches, noise_tags, why)
usage = collections.Counter()
idx = list(range(N_POS))
rng.shuffle(idx)
plan = [set() for _ in range(N_POS)]
no_id = idx[:Q_NOID]
with_id = idx[Q_NOID:]
for i in no_id:
    plan[i].add("no_id")
pool = list(with_id)
for tag, q in (("id15", Q_ID15), ("lower_x", Q_LOWX), ("typo_digit", Q_TYPO_DIGIT), ("typo_swap", Q_TYPO_SWAP),
               ("weak", Q_WEAK)):
    for i in rng.sample(pool, q):
        plan[i].add(tag)
    pool = [i for i in pool if not plan[i] & {"id15", "lower_x", "typo_digit", "typo_swap", "weak"}]
for i in rng.sample(with_id, Q_FW):
    plan[i].add("fullwidth")
for i in rng.sample(with_id, Q_SPACE_ID):
    plan[i].add("space_id")
for i in rng.sample(idx, Q_SPACE_NAME):
    plan[i].add("space_name")
notweak = [i for i in idx if "weak" not in plan[i]]
for i in rng.sample(notweak, Q_TRAD):
    plan[i].add("trad")
for i in rng.sample([i for i in notweak if not ("trad" in plan[i] and "no_id" in plan[i])], Q_HOMO):
    plan[i].add("homophone")
free = [i for i in notweak if not plan[i] & {"lower_x", "id15"}]
for i in rng.sample(free, Q_SHARED):
    plan[i].add("shared")
for i in rng.sample([i for i in free if "shared" not in plan[i]], Q_CROSS):
    plan[i].add("cross")


def eligible(p, pl):
    if usage[p["pid"]] >= 2:
        return False
    if "id15" in pl and p["dob"].year >= 2000:
        return False
    if "lower_x" in pl and not (p["id"].endswith("X") and p["reg_id"]):
        return False
    if pl & {"typo_digit", "typo_swap"} and not p["reg_id"]:
        return False
    if "weak" in pl and (p["reg_id"] or p["reg_dob"] or p["role"] == "child"):
        return False
    if "no_id" in pl and not p["rdob"]:
        return False
    if "trad" in pl and not can_trad(p["name"]):
        return False
    if "homophone" in pl and not any(ch in HOMO for ch in p["name"][1:]):
        return False
    if "shared" in pl and len(p["links"]) < 2:
        return False
    if "cross" in pl and len({r for _, r in p["links"]}) < 2:
        return False
    return True


for n, i in enumerate(range(N_POS)):
    pl = set(plan[i])
    done = False
    for attempt in range(400):
        if attempt in (150, 300):   # relax the rarest constraints if nothing fits
            pl -= {"cross", "shared"} if attempt == 150 else {"trad", "homophone", "space_name"}
        cands = [p for p in persons if eligible(p, pl)]
        if not cands:
            continue
        want_self = rng.random() < 0.38 and not pl & {"id15", "weak", "shared", "cross"}
        pref = [p for p in cands if (p["role"] == "child") == want_self] or cands
        t = rng.choice(pref)
        date = rand_date(REC_DATE0, REC_DATE1)
        if date <= t["dob"]:
            continue
        src = source_for(t, date)
        strict = "no_id" in pl and "homophone" in pl or "weak" in pl
        o = base_opts(strict_place=strict, allow_missing_dob=not (pl & {"no_id", "typo_digit", "typo_swap", "weak"}))
        if "no_id" in pl and o["addr"] == "missing" and o["county"] == "missing":
            o["county"] = "full"
        o["id_mode"] = "none" if "no_id" in pl else ("id15" if "id15" in pl else "id18")
        o["lower_x"] = "lower_x" in pl
        o["fullwidth"] = "fullwidth" in pl
        o["space_id"] = "space_id" in pl
        o["space_name"] = "space_name" in pl
        o["trad"] = "trad" in pl
        if "homophone" in pl:
            o["homophone"] = homophone_variant(t["name"])
        o["typo"] = "digit" if "typo_digit" in pl else ("swap" if "typo_swap" in pl else None)
        rec, tags = render(t, src, date, o)
        if not decidable_positive(rec, t, weak_ok="weak" in pl):
            continue
        done = True
        break
    if not done:
        raise RuntimeError("could not place positive %d %s" % (i, plan[i]))
    usage[t["pid"]] += 1
    if not t["reg_id"]:
        tags.append("reg_lacks_id")
    if not t["reg_dob"]:
        tags.append("reg_lacks_dob")
    if "weak" in pl:
        tags.append("weak_evidence_name_address")
    if len(t["links"]) > 1:
        tags.append("shared_guardian")
    if len({r for _, r in t["links"]}) > 1:
        tags.append("cross_family_relation")
    matches = sorted(({"child_id": c, "relation": r} for c, r in t["links"]), key=lambda m: m["child_id"])
    why = "concerns %s %s (born %s); links %s" % (t["role"], t["name"], t["dob"].isoformat(), links_text(t))
    records.append((rec, matches, ["match:" + ("self" if t["role"] == "child" else "guardian")] + tags, why))

# ----------------------------------------------------------------------------------------------
# non-matching records


def neg_opts(t, id_required=False, id_prob=0.75, allow_typo=False, county=None, addr=None):
    has_id = id_required or rng.random() < id_prob
    o = base_opts(allow_missing_dob=has_id)
    if county:
        o["county"] = county
    if addr:
        o["addr"] = addr
    if not has_id:
        o["id_mode"] = "none"
    else:
        o["id_mode"] = "id15" if t["dob"].year < 2000 and rng.random() < 0.22 else "id18"
        o["lower_x"] = rng.random() < 0.9
        o["fullwidth"] = rng.random() < 0.06
        o["space_id"] = rng.random() < 0.03
        if allow_typo and o["id_mode"] == "id18" and rng.random() < 0.10:
            o["typo"] = rng.choice(["digit", "swap"])
    o["trad"] = rng.random() < 0.08
    o["space_name"] = rng.random() < 0.04
    return o


def other_dob(d, lo, hi, adult=False):
    for _ in range(100):
        y = d.year + rng.choice([-1, 1]) * rng.randint(lo, hi)
        nd = rand_date(D(y, 1, 1), D(y, 12, 28))
        if nd > D(2024, 12, 31):
            continue
        if adult and nd > D(2006, 12, 31):
            continue
        if dob_digits_far(nd, d):
            return nd
    return None


decoy_use = collections.Counter()


def pick_decoy(pred):
    c = [p for p in persons if pred(p) and decoy_use[p["pid"]] < 2]
    return rng.choice(c)


def addr_near(p):
    r = rng.random()
    a = p["addr"]
    if r < 0.3:
        return dict(a, group=(rng.choice("一二三四五六七八") + "组") if rng.random() < 0.3 else "")
    if r < 0.6:
        return rand_addr(a["ci"], a["town"])
    return rand_addr(a["ci"])


def fresh_name(gen, gender, avoid_surname):
    return gen_name(gen, gender, pick_surname(None, avoid=avoid_surname), None, common_ok=False)


def gen_of(dob):
    age = 2025 - dob.year
    return "child" if age < 18 else ("parent" if age < 52 else "grand")


def make_hard(kind):
    if kind == "same_name_dob_other_county":
        q = pick_decoy(lambda p: p["reg_id"])
        ci2 = rng.choice([ci for ci in ALL_CI if ci != q["ci"]])
        t = dict(name=q["name"], gender=q["gender"], dob=q["dob"], addr=rand_addr(ci2))
        t["id"] = make_id(C[ci2]["code"], t["dob"], t["gender"])
        o = neg_opts(t, id_required=True, county=wchoice([("full", .6), ("short", .1), ("with_city", .15), ("missing", .15)]))
        why = "same name+birth date as %s %s (%s) but lives in %s with a different valid ID" % (
            q["role"], q["name"], links_text(q), C[ci2]["name"])
    elif kind == "same_name_same_county_other_dob":
        q = pick_decoy(lambda p: p["rdob"] and p["role"] == "child") if rng.random() < 0.7 else \
            pick_decoy(lambda p: p["rdob"] and p["role"] != "child")
        nd = other_dob(q["dob"], 2, 12)
        if nd is None:
            return None
        t = dict(name=q["name"], gender=q["gender"], dob=nd, addr=addr_near(q))
        t["id"] = make_id(C[q["ci"]]["code"], nd, t["gender"])
        o = neg_opts(t, id_prob=0.5)
        why = "same name and county as %s %s (%s, born %s) but born %s" % (
            q["role"], q["name"], links_text(q), q["dob"], nd)
    elif kind == "id_one_digit_other_name":
        q = pick_decoy(lambda p: p["reg_id"])
        for _ in range(100):
            body = list(q["id"][:17])
            pos = rng.choice([14, 15, 16, 16, 13])
            body[pos] = rng.choice([d for d in "0123456789" if d != body[pos]])
            b = "".join(body)
            if b[14:17] == "000" or id_dob(b + "0") is None:
                continue
            nid = b + check_digit(b)
            if nid not in USED_IDS:
                break
        else:
            return None
        USED_IDS.add(nid)
        gender = "M" if int(nid[16]) % 2 else "F"
        dob = id_dob(nid)
        t = dict(name=fresh_name(gen_of(dob), gender, q["name"][0]), gender=gender, dob=dob, id=nid, addr=addr_near(q))
        o = neg_opts(t, id_required=True)
        if o["id_mode"] == "id15" and rng.random() < 0.5:
            o["id_mode"] = "id18"
        why = "ID %s differs from %s %s (%s) ID %s in one body digit (pos %d) with recomputed check digit; other name" % (
            nid, q["role"], q["name"], links_text(q), q["id"], pos + 1)
    elif kind == "guardian_namesake":
        q = pick_decoy(lambda p: p["rdob"] and p["role"] != "child")
        nd = other_dob(q["dob"], 2, 15, adult=True)
        if nd is None:
            return None
        where = wchoice([("other", .5), ("same", .3), ("none", .2)])
        if where == "other":
            addr = rand_addr(rng.choice([ci for ci in ALL_CI if ci != q["ci"]]))
        else:
            addr = addr_near(q)
        t = dict(name=q["name"], gender=q["gender"], dob=nd, addr=addr)
        t["id"] = make_id(C[addr["ci"]]["code"], nd, t["gender"])
        o = neg_opts(t, id_prob=0.5, county="missing" if where == "none" else None,
                     addr="missing" if where == "none" else None)
        why = "namesake of %s %s (%s, born %s); born %s, place %s" % (
            q["role"], q["name"], links_text(q), q["dob"], nd, where)
    elif kind == "child_name_guardian_dob":
        ch = rng.choice([c for c in children if c["p"]["rdob"] and any(gp["rdob"] for _, gp in c["guardians"])
                         and decoy_use[c["p"]["pid"]] < 2])
        q = ch["p"]
        rel, gp = rng.choice([(r, gp) for r, gp in ch["guardians"] if gp["rdob"]])
        addr = dict(q["addr"]) if rng.random() < 0.6 else rand_addr(q["ci"], q["addr"]["town"])
        t = dict(name=q["name"], gender=q["gender"], dob=gp["rdob"], addr=addr)
        t["id"] = make_id(C[q["ci"]]["code"], t["dob"], t["gender"])
        o = neg_opts(t, id_prob=0.5)
        why = "name of child %s (%s, born %s) with the birth date of its %s %s (%s)" % (
            q["name"], q["links"][0][0], q["dob"], rel, gp["name"], gp["rdob"])
    elif kind == "homophone_other_dob":
        q = pick_decoy(lambda p: p["rdob"] and any(ch in HOMO for ch in p["name"][1:]))
        nd = other_dob(q["dob"], 2, 15, adult=q["role"] != "child")
        if nd is None:
            return None
        hn = homophone_variant(q["name"])
        addr = addr_near(q) if rng.random() < 0.7 else rand_addr(rng.choice(ALL_CI))
        t = dict(name=hn, gender=q["gender"], dob=nd, addr=addr)
        t["id"] = make_id(C[addr["ci"]]["code"], nd, t["gender"])
        o = neg_opts(t, id_prob=0.5)
        why = "homophone %s of %s %s (%s, born %s); born %s" % (
            hn, q["role"], q["name"], links_text(q), q["dob"], nd)
    else:
        raise ValueError(kind)
    date = rand_date(REC_DATE0, REC_DATE1)
    if date <= t["dob"]:
        return None
    src = source_for(t, date)
    rec, tags = render(t, src, date, o)
    if not decidable_negative(rec):
        return None
    rv = rec_view(rec)
    if not agreement(rv, q):   # must really look like the decoy
        return None
    decoy_use[q["pid"]] += 1
    return rec, ["trap:" + kind] + tags, why


for kind, n in HARD.items():
    k = 0
    tries = 0
    while k < n:
        tries += 1
        if tries > 5000:
            raise RuntimeError(kind)
        r = make_hard(kind)
        if r:
            records.append((r[0], [], r[1], r[2]))
            k += 1

AGE_BY_SOURCE = {"prison_admission": (18, 65), "prison_release": (19, 66), "drug_rehab": (18, 58),
                 "death": (0, 95), "disability": (1, 85), "serious_illness": (1, 85), "missing": (3, 85),
                 "dibao": (1, 90), "tekun": (1, 95)}
k = 0
while k < N_EASY:
    src = rng.choice(SOURCES)
    date = rand_date(REC_DATE0, REC_DATE1)
    lo, hi = AGE_BY_SOURCE[src]
    age = rng.randint(lo, hi)
    dob = rand_date(D(date.year - age - 1, date.month, 1), D(date.year - age, date.month, 1))
    if dob >= date:
        continue
    gender = rng.choice("MF") if src not in ("prison_admission", "prison_release") else wchoice([("M", .8), ("F", .2)])
    ci = rng.choice(ALL_CI)
    t = dict(name=gen_name(gen_of(dob), gender), gender=gender, dob=dob, addr=rand_addr(ci))
    t["id"] = make_id(area_code(ci, dob), dob, gender)
    o = neg_opts(t, allow_typo=True)
    rec, tags = render(t, src, date, o)
    if not decidable_negative(rec):
        continue
    rv = rec_view(rec)
    trap = "trap:none"
    nm = [q for q in persons if rv["name"] == q["nname"]]
    why = "outsider, not in register"
    if nm:
        trap = "trap:incidental_namesake"
        why += "; same name as " + ", ".join("%s %s (%s)" % (q["role"], q["name"], links_text(q)) for q in nm[:3])
    records.append((rec, [], [trap] + tags, why))
    k += 1

# ----------------------------------------------------------------------------------------------
# write
rng.shuffle(records)


def dump(path, rows):
    with open(os.path.join(HERE, path), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


reg_rows = []
for ch in children:
    p = ch["p"]
    row = {"child_id": ch["child_id"], "name": p["name"]}
    if p["reg_id"]:
        row["id_number"] = p["id"]
    if p["reg_dob"]:
        row["birth_date"] = p["dob"].isoformat()
    if ch["has_gender"]:
        row["gender"] = "男" if p["gender"] == "M" else "女"
    if ch["has_county"]:
        row["county"] = C[p["ci"]]["name"]
    if ch["has_addr"]:
        row["address"] = full_addr(p["addr"])
    gl = []
    for rel, gp in ch["guardians"]:
        g = {"relation": rel, "name": gp["name"]}
        if gp["reg_id"]:
            g["id_number"] = gp["id"]
        if gp["reg_dob"]:
            g["birth_date"] = gp["dob"].isoformat()
        if gp["phone"]:
            g["phone"] = gp["phone"]
        gl.append(g)
    row["guardians"] = gl
    reg_rows.append(row)

rec_rows, gold_rows, note_rows = [], [], []
KEYS = ["record_id", "source", "name", "id_number", "birth_date", "gender", "county", "address", "date"]
for n, (rec, matches, tags, why) in enumerate(records, 1):
    rid = "R%04d" % n
    rec["record_id"] = rid
    rec_rows.append({k: rec[k] for k in KEYS if k in rec})
    gold_rows.append({"record_id": rid, "matches": matches})
    note_rows.append({"record_id": rid, "noise": tags, "why": why})

dump("register.jsonl", reg_rows)
dump("records.jsonl", rec_rows)
dump("gold.jsonl", gold_rows)
dump("notes.jsonl", note_rows)

# ----------------------------------------------------------------------------------------------
# stats
pos = [t for _, m, t, _ in records if m]
neg = [t for _, m, t, _ in records if not m]


def share(rows, pred):
    c = sum(1 for t in rows if pred(t))
    return [c, round(100.0 * c / max(1, len(rows)), 1)]


NOISE = ["no_id", "id15", "lower_x", "fullwidth", "space_id", "space_name", "trad", "homophone",
         "id_typo_digit", "id_swap", "dob_missing", "dob_slash", "dob_compact", "dob_cjk",
         "county_missing", "county_short", "county_with_city", "addr_missing", "addr_no_province",
         "addr_no_prov_city", "addr_abbrev_county", "addr_county_only", "addr_town_only",
         "addr_nearby_village", "addr_nearby_town", "reg_lacks_id", "reg_lacks_dob", "shared_guardian",
         "cross_family_relation", "weak_evidence_name_address"]
stats = {
    "children": len(children),
    "guardian_slots": sum(len(c["guardians"]) for c in children),
    "distinct_guardians": len({gp["pid"] for c in children for _, gp in c["guardians"]}),
    "guardians_shared_by_2plus_children": sum(1 for p in persons if p["role"] != "child" and len(p["links"]) > 1),
    "guardians_with_two_relations": sum(1 for p in persons if len({r for _, r in p["links"]}) > 1),
    "families": len(families),
    "twin_families": sum(1 for f in families if f["twins"]),
    "register_children_without_id": sum(1 for c in children if not c["p"]["reg_id"]),
    "register_children_without_birth_date": sum(1 for c in children if not c["p"]["reg_dob"]),
    "register_guardians_without_id": sum(1 for c in children for _, g in c["guardians"] if not g["reg_id"]),
    "register_guardians_without_birth_date": sum(1 for c in children for _, g in c["guardians"] if not g["reg_dob"]),
    "register_guardians_without_both": sum(1 for c in children for _, g in c["guardians"] if not g["reg_id"] and not g["reg_dob"]),
    "register_distinct_names_shared_by_2plus_people": sum(1 for v in collections.Counter(p["name"] for p in persons).values() if v > 1),
    "records": len(records),
    "records_with_match": len(pos),
    "records_with_2plus_matches": sum(1 for _, m, _, _ in records if len(m) > 1),
    "match_target_role": dict(collections.Counter(t[0] for t in pos)),
    "match_relations": dict(collections.Counter(m["relation"] for _, ms, _, _ in records for m in ms)),
    "negatives_by_kind": dict(collections.Counter(t[0] for t in neg)),
    "sources": dict(collections.Counter(r["source"] for r, _, _, _ in records)),
    "noise_among_matching": {k: share(pos, lambda t, k=k: k in t) for k in NOISE},
    "noise_among_nonmatching": {k: share(neg, lambda t, k=k: k in t) for k in NOISE[:25]},
}
with open(os.path.join(HERE, "stats.json"), "w", encoding="utf-8") as f:
    json.dump(stats, f, ensure_ascii=False, indent=1)
print(json.dumps(stats, ensure_ascii=False, indent=1))
