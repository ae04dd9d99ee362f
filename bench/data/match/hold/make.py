#!/usr/bin/env python3
"""Build the held-out record-matching test set (register, records, gold, notes, README).

    /work/main/.venv/bin/python make.py

Deterministic (SEED).  Standard library only.  Inputs kept beside this file:
  tables.py                  places, names, homophones, traditional forms (hand-made)
  handwritten_register.jsonl 23 hand-written register children (15 families)
  handwritten.jsonl          62 hand-written records with their labels, noise tags and reasons
Everything else is generated here.  `check.py` validates the output.
"""
import collections
import datetime as dt
import json
import os
import re
import random

import tables as T

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 11643_1999
R = random.Random(SEED)

N_RECORDS = 500
N_CHILDREN = 300
GEN_POSITIVE = 179          # + 46 hand-written positives = 225 = 45 %
EVENT_START, EVENT_END = dt.date(2021, 1, 1), dt.date(2024, 11, 30)
TODAY = dt.date(2024, 12, 1)

# ------------------------------------------------------------------ ID numbers (GB 11643-1999)
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_digit(body17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, W)) % 11]


def valid_id(s):
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return check_digit(s[:17]) == s[17]


USED_IDS = set()


def make_id(area, birth, gender):
    for _ in range(1000):
        seq = R.randrange(0, 1000)
        if (seq % 2 == 1) != (gender == "M"):
            continue
        body = "%s%s%03d" % (area, birth.strftime("%Y%m%d"), seq)
        full = body + check_digit(body)
        if full not in USED_IDS:
            USED_IDS.add(full)
            return full
    raise RuntimeError("id space exhausted")


# ------------------------------------------------------------------ places
class County:
    def __init__(self, code, full, short, towns, mix, weight=0):
        self.code, self.full, self.short = code, full, short
        self.towns = towns.split()
        self.mix, self.weight = mix, weight
        self.pref = T.PREF[code[:4]]
        self.korean = "kor" in mix and mix["kor"] >= 0.3


REG = [County(*c) for c in T.REG_COUNTIES]
OTHER = [County(*c) for c in T.OTHER_COUNTIES]
ALL = REG + OTHER
BY_CODE = {c.code: c for c in ALL}

TOWN_SUFFIX = re.compile(r"(满族朝鲜族乡|朝鲜族满族乡|朝鲜族镇|蒙古族乡|满族乡|朝鲜族乡|街道|镇|乡)$")


def town_stem(t):
    s = TOWN_SUFFIX.sub("", t)
    return s if len(s) >= 2 else t


VILLAGES = {}


def villages_of(county, town):
    key = (county.code, town)
    if key not in VILLAGES:
        n = R.choice([2, 3, 3, 4])
        stems = T.KOREAN_VILLAGE_STEMS if county.korean and R.random() < 0.7 else T.VILLAGE_STEMS
        VILLAGES[key] = R.sample(stems, n)
    return VILLAGES[key]


def new_address(county, town=None, village=None):
    town = town or R.choice(county.towns)
    village = village or R.choice(villages_of(county, town))
    return {"county": county, "town": town, "village": village,
            "group": R.randint(1, 9), "unit": "组" if county.korean else R.choice("社社社组")}


def full_address(a):
    c = a["county"]
    return "吉林省%s%s%s%s村%d%s" % (c.pref, c.full, a["town"], a["village"], a["group"], a["unit"])


def cn_num(n):
    return T.CN_NUM[n] if n <= 10 else str(n)


def render_address(a, style):
    c = a["county"]
    v = a["village"] + "村"
    g = "%d%s" % (a["group"], a["unit"])
    if style == "full":
        return full_address(a)
    if style == "addr_no_province":
        return c.pref + c.full + a["town"] + v + g
    if style == "addr_from_county":
        return c.full + a["town"] + v
    if style == "addr_cn_numeral":
        return c.full + a["town"] + v + cn_num(a["group"]) + a["unit"]
    if style == "addr_abbrev":
        return c.short + town_stem(a["town"]) + (a["village"] if R.random() < 0.5 else v)
    if style == "addr_township_only":
        return c.full + a["town"]
    if style == "addr_no_county":
        return a["town"] + v + (g if R.random() < 0.5 else "")
    raise ValueError(style)


ADDR_STYLES = [("full", 22), ("addr_no_province", 14), ("addr_from_county", 18), ("addr_cn_numeral", 6),
               ("addr_abbrev", 18), ("addr_township_only", 12), ("addr_no_county", 10)]
VILLAGE_LEVEL = {"full", "addr_no_province", "addr_from_county", "addr_cn_numeral", "addr_abbrev", "addr_no_county"}


def wchoice(pairs):
    tot = sum(w for _, w in pairs)
    x = R.random() * tot
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


# ------------------------------------------------------------------ names
SURN = {"han": T.weighted(T.HAN_SURNAMES), "man": T.weighted(T.MAN_SURNAMES),
        "kor": T.weighted(T.KOR_SURNAMES), "mon": T.weighted(T.MON_SURNAMES)}


def surname(eth):
    return wchoice(SURN[eth])


def given(eth, gen, sex):
    if eth == "kor":
        return R.choice(T.KOR_GIVEN[(gen, sex)])
    if eth == "mon" and R.random() < 0.5:
        return R.choice(T.MON_GIVEN[(gen, sex)])
    return R.choice(T.HAN_GIVEN[(gen, sex)])


def pick_eth(county):
    return wchoice(list(county.mix.items()))


GROUPS = T.homophone_groups()
HOMO = {ch: i for i, g in enumerate(GROUPS) for ch in g}
SIMP = {v: k for k, v in T.TRAD.items()}
SIMP.update({v: k for k, v in T.VARIANTS.items()})


def name_key(name):
    s = re.sub(r"[\s·•・.]", "", name)
    s = "".join(SIMP.get(ch, ch) for ch in s)
    return "".join("#%d" % HOMO[ch] if ch in HOMO else ch for ch in s)


def to_trad(s):
    return "".join(T.TRAD.get(ch, ch) for ch in s)


# ------------------------------------------------------------------ people and households
PEOPLE = {}          # pid -> person dict
ROLES = collections.defaultdict(list)   # pid -> [(child_key, relation)]


def rand_date(y0, y1):
    d0, d1 = dt.date(y0, 1, 1), dt.date(y1, 12, 31)
    return d0 + dt.timedelta(days=R.randrange((d1 - d0).days + 1))


def new_person(name, sex, birth, county, gen, eth, addr, with_id=True):
    pid = "P%04d" % (len(PEOPLE) + 1)
    area = county.code if R.random() < 0.86 else R.choice(ALL).code
    p = {"pid": pid, "name": name, "sex": sex, "birth": birth, "eth": eth, "gen": gen,
         "id": make_id(area, birth, sex) if with_id else None, "addr": addr,
         "reg_id": False, "reg_birth": False, "phone": None, "hand": False}
    PEOPLE[pid] = p
    return p


def phone():
    return R.choice(["13", "15", "18", "17", "13", "15"]) + R.choice("0123456789") + "".join(R.choice("0123456789") for _ in range(8))


def show_guardian(p, rel):
    """Decide once per person what the register shows."""
    if "shown" in p:
        return
    p["shown"] = True
    p_id = {"father": .9, "mother": .86, "grandfather": .74, "grandmother": .72, "other": .84}[rel]
    p["reg_id"] = R.random() < p_id
    p["reg_birth"] = R.random() < (.9 if p["reg_id"] else .5)
    if R.random() < {"father": .7, "mother": .7, "other": .6}.get(rel, .35):
        p["phone"] = phone()


HOUSEHOLDS = []


def unique_in_village(addr, name):
    key = (addr["county"].code, addr["town"], addr["village"])
    taken = VILLAGE_NAMES[key]
    if name_key(name) in taken:
        return False
    taken.add(name_key(name))
    return True


VILLAGE_NAMES = collections.defaultdict(set)


def person_named(eth, gen, sex, addr, sur=None, birth=None, county=None, with_id=True):
    for _ in range(50):
        s = sur or surname(eth)
        nm = s + given(eth, gen, sex)
        if unique_in_village(addr, nm):
            return new_person(nm, sex, birth, county or addr["county"], gen, eth, addr, with_id)
    raise RuntimeError("no unique name")


def gen_household(county, cross_from=None):
    eth = pick_eth(county) if cross_from is None else cross_from["eth"]
    if cross_from is not None:
        addr = cross_from["addr"]
    else:
        addr = new_address(county)
    # children
    k = wchoice([(1, 64), (2, 28), (3, 8)])
    first = rand_date(2007, 2023)
    father_b = rand_date(first.year - 36, first.year - 22)
    mother_b = rand_date(max(father_b.year - 3, first.year - 36), min(father_b.year + 6, first.year - 20))
    fam_sur = surname(eth)
    ftype = wchoice([("both", 50), ("father_only", 13), ("mother_only", 12), ("grandparents", 13), ("other", 7)])
    if cross_from is not None:
        ftype = "cross"
    hh = {"addr": addr, "children": [], "guardians": [], "type": ftype, "eth": eth}
    g = []
    if ftype == "cross":
        gm, gf = cross_from["gm"], cross_from["gf"]
        mother = person_named(eth, "parent", "F", addr, sur=gf["name"][0] if gf else cross_from["sur"],
                              birth=rand_date(max(gm["birth"].year + 21, 1972), max(gm["birth"].year + 32, 1974)))
        mother_b = mother["birth"]
        first = rand_date(max(2007, mother_b.year + 20), min(2023, mother_b.year + 36))
        if R.random() < 0.75:
            g.append(("mother", mother))
        g.append(("grandmother", gm))
        if gf:
            g.append(("grandfather", gf))
        fam_sur = surname(eth)
        while fam_sur == mother["name"][0]:
            fam_sur = surname(eth)
    else:
        father = mother = None
        want_f = ftype in ("both", "father_only") or (ftype == "grandparents" and R.random() < .4)
        want_m = ftype in ("both", "mother_only") or (ftype == "grandparents" and R.random() < .3)
        if want_f:
            father = person_named(eth, "parent", "M", addr, sur=fam_sur, birth=father_b)
            g.append(("father", father))
        if want_m:
            msur = surname(eth)
            while msur == fam_sur and R.random() < .8:
                msur = surname(eth)
            mother = person_named(eth, "parent", "F", addr, sur=msur, birth=mother_b)
            g.append(("mother", mother))
        gp_sur = fam_sur if ftype != "mother_only" else (mother["name"][0] if mother else surname(eth))
        base = father_b if ftype != "mother_only" else mother_b
        p_gf = {"both": .55, "father_only": .5, "mother_only": .35, "grandparents": .8, "other": .2}[ftype]
        p_gm = {"both": .7, "father_only": .8, "mother_only": .6, "grandparents": .9, "other": .5}[ftype]
        gf = gm = None
        if R.random() < p_gf:
            gf = person_named(eth, "grand", "M", addr, sur=gp_sur, birth=rand_date(base.year - 32, base.year - 21))
            g.append(("grandfather", gf))
        if R.random() < p_gm or (ftype == "grandparents" and gf is None):
            gsur = surname(eth)
            while gsur == gp_sur:
                gsur = surname(eth)
            gm = person_named(eth, "grand", "F", addr, sur=gsur, birth=rand_date(base.year - 31, base.year - 19))
            g.append(("grandmother", gm))
        if ftype == "other" or (ftype == "both" and R.random() < .03):
            sex = R.choice("MF")
            osur = fam_sur if sex == "M" or R.random() < .5 else surname(eth)
            other = person_named(eth, "parent", sex, addr, sur=osur, birth=rand_date(father_b.year - 8, father_b.year + 8))
            g.append(("other", other))
        if not g:
            gm = person_named(eth, "grand", "F", addr, birth=rand_date(base.year - 31, base.year - 19))
            g.append(("grandmother", gm))
        hh["gm"], hh["gf"], hh["sur"] = gm, gf, gp_sur
    # children
    births = [first]
    for i in range(1, k):
        if R.random() < 0.06:
            births.append(births[-1])            # twins
        else:
            nb = births[-1] + dt.timedelta(days=R.randint(400, 2200))
            if nb.year > 2023:
                break
            births.append(nb)
    for b in births:
        sex = "M" if R.random() < .52 else "F"
        has_id = R.random() < (.45 if b.year >= 2019 else .88 if b.year >= 2015 else .97)
        true_id = has_id or R.random() < .5
        c = person_named(eth, "child", sex, addr, sur=fam_sur, birth=b, with_id=true_id)
        c["reg_id"] = has_id and c["id"] is not None
        c["hh"] = hh
        c["reg_birth"] = True
        hh["children"].append(c)
    for rel, p in g:
        show_guardian(p, rel)
    hh["guardians"] = g
    HOUSEHOLDS.append(hh)
    return hh


# ------------------------------------------------------------------ hand-written families
def load_jsonl(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


HAND_REG = load_jsonl("handwritten_register.jsonl")
HAND_REC = load_jsonl("handwritten.jsonl")
HAND_PEOPLE = []     # registered persons of the hand-written families, for the checks


def county_by_name(full):
    for c in ALL:
        if c.full == full:
            return c
    raise KeyError(full)


def parse_hand_address(child):
    c = county_by_name(child["county"])
    rest = child["address"].split(c.full, 1)[1]
    m = re.match(r"(.+?(?:镇|乡))(.+?)村(\d+)(组|社)", rest)
    return {"county": c, "town": m.group(1), "village": m.group(2), "group": int(m.group(3)), "unit": m.group(4)}


def register_hand():
    by_key = {}
    for ch in HAND_REG:
        addr = parse_hand_address(ch)
        for idn in [ch.get("id_number")] + [g.get("id_number") for g in ch["guardians"]]:
            if idn:
                USED_IDS.add(idn)
        VILLAGE_NAMES[(addr["county"].code, addr["town"], addr["village"])].add(name_key(ch["name"]))
        for g in ch["guardians"]:
            VILLAGE_NAMES[(addr["county"].code, addr["town"], addr["village"])].add(name_key(g["name"]))
    # the hand-written negatives' IDs and special towns are reserved too
    for h in HAND_REC:
        idn = h["record"].get("id_number")
        if idn and len(idn) == 18:
            USED_IDS.add(idn.upper())
    return by_key


# ------------------------------------------------------------------ formatting noise
FW = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def fmt_date(d, style):
    return {"iso": d.isoformat(), "date_slash": "%d/%d/%d" % (d.year, d.month, d.day),
            "date_dot": d.strftime("%Y.%m.%d"), "date_compact": d.strftime("%Y%m%d"),
            "date_cn": "%d年%d月%d日" % (d.year, d.month, d.day)}[style]


DATE_STYLES = [("iso", 38), ("date_slash", 16), ("date_dot", 16), ("date_compact", 15), ("date_cn", 15)]


def fmt_id(p_id, birth, source, tags):
    s = p_id
    if source == "disability" and R.random() < .35:
        s = s + R.choice("1234567") + R.choice("1234")
        tags.append("disability_cert_no")
    elif birth.year < 1985 and source in ("death", "dibao", "tekun", "prison_admission", "prison_release") and R.random() < .18:
        s = s[:6] + s[8:17]
        tags.append("id15")
    if s.endswith("X") and R.random() < .6:
        s = s[:-1] + "x"
        tags.append("lowercase_x")
    r = R.random()
    if r < .06:
        s = s.translate(FW)
        tags.append("id_fullwidth")
    elif r < .11:
        s = (s[:6] + " " + s[6:14] + " " + s[14:]) if R.random() < .5 else " ".join(s[i:i + 4] for i in range(0, len(s), 4))
        tags.append("id_spaces")
    elif r < .14:
        s = R.choice([" ", "\t", ""]) + s + R.choice([" ", "  "])
        tags.append("id_whitespace")
    return s


def noisy_name(name, tags, allow_homophone):
    r = R.random()
    if r < .07 and to_trad(name) != name:
        tags.append("traditional")
        return to_trad(name)
    if r < .14:
        if not allow_homophone:
            return name
        idx = [i for i in range(1, len(name)) if name[i] in HOMO and len(GROUPS[HOMO[name[i]]]) > 1]
        if idx:
            i = R.choice(idx)
            alt = R.choice([c for c in GROUPS[HOMO[name[i]]] if c != name[i]])
            tags.append("homophone")
            return name[:i] + alt + name[i + 1:]
        return name
    if r < .18 and len(name) in (2, 3):
        tags.append("name_space")
        return name[0] + R.choice([" ", "  ", "\u3000"]) + name[1:]
    return name


def county_field(c):
    r = R.random()
    if r < .55:
        return c.full
    if r < .85:
        return c.short
    return c.pref + c.full


# source -> P(id), P(birth), P(gender), P(county), P(address)
FIELD_P = {
    "prison_admission": (.93, .7, .9, .6, .85), "prison_release": (.9, .7, .9, .5, .8),
    "death": (.85, .5, .8, .6, .8), "drug_rehab": (.9, .6, .8, .5, .7),
    "disability": (.95, .4, .7, .7, .5), "serious_illness": (.6, .8, .8, .6, .8),
    "missing_person": (.3, .85, .95, .7, .9), "dibao": (.95, .3, .4, .9, .9), "tekun": (.9, .5, .5, .9, .9),
}
SOURCE_POS = [("prison_admission", 20), ("prison_release", 14), ("death", 22), ("drug_rehab", 14), ("disability", 30),
              ("serious_illness", 25), ("missing_person", 12), ("dibao", 28), ("tekun", 15)]
SEX_CN = {"M": "男", "F": "女"}


def build_record(p, source, addr, date, tags, force=()):
    """Fields for a record about person p (true attributes), with noise."""
    pi, pb, pg, pc, pa = FIELD_P[source]
    rec = {"source": source}
    has_id = p["id"] is not None and (R.random() < pi or "id" in force)
    has_birth = R.random() < pb or "birth" in force
    has_addr = R.random() < pa or "addr" in force
    style = wchoice(ADDR_STYLES) if has_addr else None
    if "village" in force and style not in VILLAGE_LEVEL:
        style = "addr_from_county"
        has_addr = True
    allow_h = "exact_name" not in force and (has_id or has_birth)
    rec["name"] = noisy_name(p["name"], tags, allow_h)
    if has_id:
        rec["id_number"] = fmt_id(p["id"], p["birth"], source, tags)
    else:
        tags.append("no_id")
    if has_birth:
        st = wchoice(DATE_STYLES)
        rec["birth_date"] = fmt_date(p["birth"], st)
        if st != "iso":
            tags.append(st)
    if R.random() < pg:
        sx = p["sex"]
        if has_id and R.random() < .02 and "ok_gender" not in force:
            sx = "F" if sx == "M" else "M"
            tags.append("wrong_gender")
        rec["gender"] = SEX_CN[sx]
    if R.random() < pc:
        rec["county"] = county_field(addr["county"])
    else:
        tags.append("no_county")
    if has_addr:
        a = render_address(addr, style)
        if R.random() < .04:
            a = to_trad(a)
            tags.append("addr_traditional")
        rec["address"] = a
        if style != "full":
            tags.append(style)
    else:
        tags.append("no_address")
    if R.random() < .96:
        st = wchoice(DATE_STYLES)
        rec["date"] = fmt_date(date, st)
        if st != "iso" and st not in tags:
            tags.append(st)
    return rec


# ------------------------------------------------------------------ an independent decidability check ("oracle")
def norm_id(s):
    if not s:
        return None
    s = s.translate(str.maketrans("０１２３４５６７８９ＸｘX", "0123456789XXX")).upper()
    s = re.sub(r"\s", "", s)
    if len(s) == 15 and s.isdigit():
        return s[:6] + "19" + s[6:]          # 17 digits, no check digit
    if len(s) == 20:
        return s[:17]
    if len(s) == 18:
        return s[:17]
    return s[:17]


def parse_date(s):
    if not s:
        return None
    m = re.fullmatch(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?", s.strip()) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def id_birth(id17):
    try:
        return dt.date(int(id17[6:10]), int(id17[10:12]), int(id17[12:14]))
    except (ValueError, IndexError):
        return None


def simp(s):
    return "".join(SIMP.get(ch, ch) for ch in s)


def consistent(q, rec):
    """Would a careful human, seeing only the register, accept registered person q for rec?"""
    rid = norm_id(rec.get("id_number"))
    if rid and q["reg_id"]:
        return rid == q["id"][:17]
    if name_key(rec["name"]) != name_key(q["name"]):
        return False
    rb = parse_date(rec.get("birth_date")) or (id_birth(rid) if rid else None)
    if rb and q["reg_birth"] and rb != q["birth"]:
        return False
    return address_fits(q["addr"], rec)


def _strip_head(t):
    t = t.strip()
    if t.startswith("吉林省"):
        t = t[3:]
    for pref in T.PREF.values():
        if t.startswith(pref):
            t = t[len(pref):]
    return t


def _county_prefix(t):
    """County named at the start of t (longest form first), and the rest."""
    for c in ALL:
        for form in (c.full, c.short + "县", c.short + "市", c.short):
            if t.startswith(form):
                return c, t[len(form):]
    return None, t


def address_fits(a, rec):
    county_txt = simp(rec.get("county") or "")
    addr_txt = simp(rec.get("address") or "")
    mentioned = set()
    if county_txt:
        c, _ = _county_prefix(_strip_head(county_txt))
        if c:
            mentioned.add(c.code)
    rest = ""
    if addr_txt:
        c, rest = _county_prefix(_strip_head(addr_txt))
        if c:
            mentioned.add(c.code)
    if mentioned and mentioned != {a["county"].code}:
        return False
    if not rest:
        return True
    stem = town_stem(a["town"])
    if not rest.startswith(stem):
        return False
    tail = rest[len(stem):]
    tail = re.sub(r"^(满族朝鲜族乡|朝鲜族满族乡|朝鲜族镇|蒙古族乡|满族乡|朝鲜族乡|街道|镇|乡)", "", tail).strip()
    return not tail or tail.startswith(a["village"])


def strong_evidence(q, rec, tags):
    rid = norm_id(rec.get("id_number"))
    if rid and q["reg_id"]:
        return True
    if q["reg_birth"] and (rec.get("birth_date") or rid):
        return True
    return "address" in rec and not any(t in tags for t in ("addr_township_only",))


def candidates(rec, registered):
    return [q["pid"] for q in registered if consistent(q, rec)]


# ------------------------------------------------------------------ main
def main():
    register_hand()
    hand_ids = {c["child_id"] for c in HAND_REG}
    n_hand_children = len(HAND_REG)

    # households until the child count is reached
    weights = [(c, c.weight) for c in REG]
    while sum(len(h["children"]) for h in HOUSEHOLDS) < N_CHILDREN - n_hand_children:
        if len(HOUSEHOLDS) > 20 and R.random() < .045:
            cands = [h for h in HOUSEHOLDS if h["type"] in ("both", "father_only", "grandparents") and h.get("gm")]
            src = R.choice(cands)
            gen_household(src["addr"]["county"], cross_from=src)
        else:
            gen_household(wchoice(weights))
    # trim to exactly N_CHILDREN
    excess = sum(len(h["children"]) for h in HOUSEHOLDS) - (N_CHILDREN - n_hand_children)
    while excess > 0:
        h = HOUSEHOLDS[-1]
        drop = min(excess, len(h["children"]))
        if drop == len(h["children"]):
            HOUSEHOLDS.pop()
        else:
            h["children"] = h["children"][:-drop]
        excess -= drop

    # child ids
    used_cids = set(hand_ids)
    children = []
    for h in HOUSEHOLDS:
        for c in h["children"]:
            while True:
                cid = "JL%06d" % R.randrange(100000, 1000000)
                if cid not in used_cids:
                    break
            used_cids.add(cid)
            c["child_id"] = cid
            children.append((c, h))
            ROLES[c["pid"]].append((cid, "self"))
            for rel, g in h["guardians"]:
                ROLES[g["pid"]].append((cid, rel))

    # register rows
    reg_rows = []
    for c, h in children:
        row = {"child_id": c["child_id"], "name": c["name"]}
        if c["reg_id"]:
            row["id_number"] = c["id"]
        row["birth_date"] = c["birth"].isoformat()
        row["gender"] = SEX_CN[c["sex"]]
        row["county"] = h["addr"]["county"].full
        row["address"] = full_address(h["addr"])
        gl = []
        for rel, g in h["guardians"]:
            e = {"relation": rel, "name": g["name"]}
            if g["reg_id"]:
                e["id_number"] = g["id"]
            if g["reg_birth"]:
                e["birth_date"] = g["birth"].isoformat()
            if g["phone"]:
                e["phone"] = g["phone"]
            gl.append(e)
        row["guardians"] = gl
        reg_rows.append(row)

    # hand-written families as registered persons (for the oracle)
    hand_people = {}
    for ch in HAND_REG:
        addr = parse_hand_address(ch)
        ents = [("self", ch)] + [(g["relation"], g) for g in ch["guardians"]]
        for rel, e in ents:
            key = (e["name"], e.get("id_number"), e.get("birth_date"))
            if key not in hand_people:
                b = e.get("birth_date")
                hand_people[key] = {"pid": "H-%d" % len(hand_people), "name": e["name"], "id": e.get("id_number"),
                                    "reg_id": bool(e.get("id_number")), "birth": dt.date.fromisoformat(b) if b else None,
                                    "reg_birth": bool(b), "addr": addr, "hand": True}
            ROLES[hand_people[key]["pid"]].append((ch["child_id"], rel))
    registered = [p for p in PEOPLE.values() if p["pid"] in ROLES] + list(hand_people.values())
    reg_pids = {p["pid"] for p in registered}

    def age(p, d):
        return (d - p["birth"]).days / 365.25

    def pos_weight(p, src, d):
        a = age(p, d)
        rels = {r for _, r in ROLES[p["pid"]]}
        child = "self" in rels
        grand = rels & {"grandfather", "grandmother"}
        if a < 0.2:
            return 0
        if src in ("prison_admission", "prison_release", "drug_rehab"):
            if child or a < 18 or a > 62:
                return 0
            return {"M": 5, "F": 1}[p["sex"]] * (0.3 if grand else 1) + (3 if "other" in rels else 0)
        if src == "death":
            return 0.05 if child else (5 if grand and a > 55 else 0.8)
        if src == "disability":
            return 1
        if src == "serious_illness":
            return 3 if child else 1
        if src == "missing_person":
            if child:
                return 2 if a >= 5 else 0
            return 2 if a >= 65 else 0.3
        if src == "dibao":
            return 0.2 if child else 3
        if src == "tekun":
            if child:
                hrels = {r for r, _ in p["hh"]["guardians"]}
                return 3 if not (hrels & {"father", "mother"}) else 0
            if child is False and grand and a >= 60:
                return 2
            return 0
        return 0

    # children's households for addresses
    def home(p):
        return p["addr"]

    gen_pos = []
    used = collections.defaultdict(set)
    dead = set()
    last_date = {}
    gen_people = [p for p in registered if not p["hand"]]
    attempts = 0
    while len(gen_pos) < GEN_POSITIVE:
        attempts += 1
        src = wchoice(SOURCE_POS)
        d = EVENT_START + dt.timedelta(days=R.randrange((EVENT_END - EVENT_START).days))
        pool = [(p, pos_weight(p, src, d)) for p in gen_people if p["pid"] not in used[src] and p["pid"] not in dead]
        pool = [(p, w) for p, w in pool if w > 0]
        if not pool:
            continue
        p = wchoice(pool)
        if src == "death" and d <= last_date.get(p["pid"], EVENT_START):
            d = min(EVENT_END, last_date[p["pid"]] + dt.timedelta(days=R.randint(20, 400)))
        addr = home(p)
        tags = []
        moved = False
        if p["gen"] == "parent" and p["reg_id"] and R.random() < .06:
            c2 = R.choice(ALL)
            addr = new_address(c2)
            moved = True
        force = set()
        if moved:
            force |= {"id"}
        ok = False
        for tries in range(12):
            tags = ["address_moved"] if moved else []
            rec = build_record(p, src, addr, d, tags, force)
            if "id_number" in rec and not p["reg_id"]:
                # the register cannot confirm the ID: need name + (birth or village)
                pass
            cands = candidates(rec, registered)
            if cands == [p["pid"]] and strong_evidence(p, rec, tags):
                ok = True
                break
            # add evidence and retry
            force |= {["birth", "village", "exact_name", "id", "ok_gender"][min(tries, 4)]}
        if not ok:
            continue
        used[src].add(p["pid"])
        last_date[p["pid"]] = max(d, last_date.get(p["pid"], d))
        if src == "death":
            dead.add(p["pid"])
        rels = ROLES[p["pid"]]
        why = "positive: %s is %s" % (p["name"], "; ".join("%s of %s" % (r, c) if r != "self" else "the child %s" % c for c, r in rels))
        if not p["reg_id"]:
            why += "; register shows no ID for this person"
        gen_pos.append((rec, [{"child_id": c, "relation": r} for c, r in rels], tags, why))

    # ---------------- negatives
    n_gen = N_RECORDS - len(HAND_REC)
    n_neg = n_gen - len(gen_pos)
    gen_neg = []
    reg_by_village = collections.defaultdict(list)
    for p in gen_people:
        a = p["addr"]
        reg_by_village[(a["county"].code, a["town"], a["village"])].append(p)
    hh_list = HOUSEHOLDS

    def neg_person(kind):
        """Return (person dict (unregistered), addr, forced fields, why)."""
        src = wchoice(SOURCE_POS)
        d = EVENT_START + dt.timedelta(days=R.randrange((EVENT_END - EVENT_START).days))
        gen = {"death": "grand", "missing_person": R.choice(["child", "grand"]), "serious_illness": R.choice(["child", "parent", "grand"]),
               "tekun": R.choice(["child", "grand"]), "disability": R.choice(["child", "parent", "grand"])}.get(src, "parent")
        span = {"child": (2007, 2022), "parent": (1970, 2002), "grand": (1940, 1966)}[gen]
        sex = R.choice("MF")
        if src in ("prison_admission", "prison_release", "drug_rehab") and R.random() < .8:
            sex = "M"
        force = set()
        if kind == "random":
            c = R.choice(OTHER) if R.random() < .55 else R.choice(REG)
            addr = new_address(c)
            eth = pick_eth(c)
            nm = surname(eth) + given(eth, gen, sex)
            birth = rand_date(*span)
            why = "negative: unrelated person in %s" % c.full
        elif kind == "namesake":
            q = R.choice(gen_people)
            nm = q["name"]
            gen, sex = q["gen"], q["sex"]
            span = {"child": (2005, 2022), "parent": (1968, 2000), "grand": (1938, 1968)}[gen]
            birth = rand_date(*span)
            while birth == q["birth"]:
                birth = rand_date(*span)
            r = R.random()
            qa = q["addr"]
            if r < .35:
                addr = new_address(qa["county"], town=qa["town"])
                while addr["village"] == qa["village"] and len(villages_of(qa["county"], qa["town"])) > 1:
                    addr = new_address(qa["county"], town=qa["town"])
            elif r < .6:
                addr = new_address(qa["county"])
            else:
                addr = new_address(R.choice(ALL))
            force |= {"id"} if R.random() < .75 else {"birth"}
            why = "negative: namesake of registered %s (%s), different %s" % (q["name"], q["pid"], "ID" if "id" in force else "birth date")
            eth = q["eth"]
        elif kind in ("neighbor", "relative"):
            h = R.choice(hh_list)
            addr = dict(h["addr"])
            addr["group"] = R.randint(1, 9)
            eth = h["eth"]
            fam = h["children"][0]["name"][0]
            if kind == "neighbor":
                nm = (fam if R.random() < .4 else surname(eth)) + given(eth, gen, sex)
                birth = rand_date(*span)
                why = "negative: unregistered neighbour in the same village as registered child %s" % h["children"][0]["name"]
            else:
                fa = [g for r, g in h["guardians"] if r == "father"]
                r = R.random()
                if fa and len(fa[0]["name"]) == 3 and fa[0]["name"][0] == fam and r < .55:
                    f = fa[0]
                    sex = "M"
                    gen = "parent"
                    stem = f["name"][1]
                    alt = [n for n in T.HAN_GIVEN[("parent", "M")] if len(n) == 2 and n[0] == stem and n != f["name"][1:]]
                    nm = fam + (R.choice(alt) if alt else stem + R.choice("军国民华林山东强明"))
                    birth = rand_date(f["birth"].year - 6, f["birth"].year + 6)
                    why = "negative: brother of registered father %s (same village, not a guardian)" % f["name"]
                else:
                    gen = "child"
                    nm = fam + given(eth, "child", sex)
                    birth = rand_date(1995, 2002)
                    why = "negative: adult sibling of registered child %s, not in the register" % h["children"][0]["name"]
                    src = R.choice(["prison_admission", "drug_rehab", "disability", "serious_illness", "death"])
        elif kind == "same_birth":
            q = R.choice([p for p in gen_people if p["reg_birth"]])
            birth = q["birth"]
            sex, gen, eth = q["sex"], q["gen"], q["eth"]
            nm = q["name"][0] + given(eth, gen, sex)
            addr = new_address(q["addr"]["county"])
            force |= {"id", "birth"}
            why = "negative: same surname and birth date as registered %s, different given name and ID" % q["name"]
        elif kind == "near_id":
            q = R.choice([p for p in gen_people if p["reg_id"]])
            birth, sex, eth = q["birth"], q["sex"], q["eth"]
            gen = q["gen"]
            nm = surname(eth) + given(eth, gen, sex)
            c = q["addr"]["county"] if R.random() < .5 else R.choice(ALL)
            addr = new_address(c)
            force |= {"id"}
            why = "negative: ID shares area code and birth date with registered %s (%s); other name and sequence" % (q["name"], q["id"])
            p = {"pid": None, "name": nm, "sex": sex, "birth": birth, "eth": eth, "gen": gen, "addr": addr}
            area = q["id"][:6]
            for _ in range(100):
                seq = int(q["id"][14:17]) + R.choice([-4, -2, 2, 4, 6, -6, 10, 20])
                if 0 <= seq < 1000 and (seq % 2 == 1) == (sex == "M"):
                    body = "%s%s%03d" % (area, birth.strftime("%Y%m%d"), seq)
                    full = body + check_digit(body)
                    if full not in USED_IDS:
                        USED_IDS.add(full)
                        p["id"] = full
                        break
            else:
                return None
            return p, src, d, addr, force, why
        else:
            raise ValueError(kind)
        p = {"pid": None, "name": nm, "sex": sex, "birth": birth, "eth": eth, "gen": gen, "addr": addr,
             "id": make_id(addr["county"].code if R.random() < .85 else R.choice(ALL).code, birth, sex)}
        if kind in ("neighbor", "relative"):
            force |= {"exact_name"}
        return p, src, d, addr, force, why

    NEG_KINDS = [("random", 38), ("namesake", 22), ("neighbor", 14), ("relative", 12), ("same_birth", 6), ("near_id", 8)]
    while len(gen_neg) < n_neg:
        kind = wchoice(NEG_KINDS)
        out = neg_person(kind)
        if out is None:
            continue
        p, src, d, addr, force, why = out
        if age(p, d) < 0.3:
            continue
        if src in ("prison_admission", "prison_release", "drug_rehab") and not 18 <= age(p, d) <= 65:
            src = R.choice(["disability", "serious_illness", "dibao"])
        tags = []
        rec = build_record(p, src, addr, d, tags, force | {"ok_gender"})
        if candidates(rec, registered):
            continue
        gen_neg.append((rec, [], tags + ["neg_" + kind], why))

    # ---------------- merge with the hand-written records
    items = []
    for h in HAND_REC:
        items.append((h["record"], h["matches"], list(h["noise"]), "[hand-written %s] %s" % (h["hid"], h["why"]), h["hid"]))
    for rec, m, tags, why in gen_pos + gen_neg:
        items.append((rec, m, tags, why, None))
    R.shuffle(items)

    # register: shuffle children order, merge hand rows
    rows = reg_rows + HAND_REG
    R.shuffle(rows)

    out = lambda name: open(os.path.join(HERE, name), "w", encoding="utf-8")
    with out("register.jsonl") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    hid_map = {}
    with out("records.jsonl") as fr, out("gold.jsonl") as fg, out("notes.jsonl") as fn:
        for i, (rec, m, tags, why, hid) in enumerate(items, 1):
            rid = "R%04d" % i
            if hid:
                hid_map[hid] = rid
            full = {"record_id": rid}
            full.update(rec)
            m = sorted(m, key=lambda x: (x["child_id"], x["relation"]))
            fr.write(json.dumps(full, ensure_ascii=False) + "\n")
            fg.write(json.dumps({"record_id": rid, "matches": m}, ensure_ascii=False) + "\n")
            fn.write(json.dumps({"record_id": rid, "noise": merge_tags(full, tags), "why": why}, ensure_ascii=False) + "\n")
    with out("hand_ids.json") as f:
        json.dump(hid_map, f, ensure_ascii=False, indent=0, sort_keys=True)

    # oracle disagreements on hand-written records (these are the intended hard cases)
    pid_child = {}
    for q in registered:
        pid_child[q["pid"]] = sorted(ROLES[q["pid"]])
    report = []
    for h in HAND_REC:
        c = candidates(h["record"], registered)
        got = sorted({(cid, rel) for pid in c for cid, rel in pid_child[pid]})
        want = sorted((x["child_id"], x["relation"]) for x in h["matches"])
        if got != want:
            report.append("%s  rule-of-thumb says %s, label %s" % (h["hid"], got or "[]", want or "[]"))
    with out("oracle_disagreements.txt") as f:
        f.write("Hand-written records where the simple rule-of-thumb in make.py disagrees with the label\n"
                "(expected: these are the deliberately hard cases).\n\n" + "\n".join(report) + "\n")
    print("households", len(HOUSEHOLDS), "children", len(rows), "records", len(items),
          "positives", sum(1 for x in items if x[1]), "attempts", attempts)
    print("\n".join(report))


FULLWIDTH = re.compile("[０-９Ｘ]")


def merge_tags(rec, tags):
    """Add the tags that can be read off the record itself, keep the semantic ones."""
    auto = []
    idn = rec.get("id_number")
    if not idn:
        auto.append("no_id")
    else:
        core = re.sub(r"\s", "", idn)
        if FULLWIDTH.search(idn):
            auto.append("id_fullwidth")
        if re.search(r"\S\s+\S", idn):
            auto.append("id_spaces")
        if idn != idn.strip():
            auto.append("id_whitespace")
        if core.endswith("x"):
            auto.append("lowercase_x")
        if len(core) == 15:
            auto.append("id15")
        if len(core) == 20:
            auto.append("disability_cert_no")
    trad_chars = set(T.TRAD.values())
    if any(ch in trad_chars for ch in rec["name"]):
        auto.append("traditional")
    if re.search(r"\s", rec["name"]):
        auto.append("name_space")
    if any(ch in trad_chars for ch in rec.get("address", "")):
        auto.append("addr_traditional")
    for k in ("birth_date", "date"):
        v = rec.get(k)
        if not v:
            continue
        if "年" in v:
            auto.append("date_cn")
        elif "/" in v:
            auto.append("date_slash")
        elif "." in v:
            auto.append("date_dot")
        elif re.fullmatch(r"\d{8}", v):
            auto.append("date_compact")
    if "county" not in rec:
        auto.append("no_county")
    if "address" not in rec:
        auto.append("no_address")
    if "birth_date" not in rec:
        auto.append("no_birth_date")
    out = []
    for t in tags + auto:
        if t not in out:
            out.append(t)
    return out


if __name__ == "__main__":
    main()
