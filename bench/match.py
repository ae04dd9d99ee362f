"""数据找人: the quality of `hotline match` on labelled sets, and its speed at provincial scale.

    .venv/bin/python bench/match.py --only quality       # the labelled sets in bench/data/match/ (seconds)
    .venv/bin/python bench/match.py --only scale         # 1M children + 2M guardians against 200k records
    .venv/bin/python bench/match.py --children 100000 --records 20000 --only scale   # smaller
    .venv/bin/python bench/match.py --only database --children 200000 --records 20000 [--database-url URL]

* ``quality`` — precision and recall over (record, child, relation) pairs on each set in
  ``bench/data/match/``: ``dev`` (written blind, then used to tune: a tuned figure, not a quality claim)
  and ``hold`` (written blind by someone else, never tuned on: the quality figure). Beside it, in the same
  run, the baseline: exact ID match alone (after the same ID normalisation). Misses and false matches are
  listed with the set's notes on what noise the record carries.
* ``scale`` — a synthetic register (N children with two guardians each) and M records, 40 % of them about a
  registered person with some noise: the time to index the register, to match, and the records per
  second, beside the same run at a tenth of the register (time per record should stay flat: blocking
  keys, not all pairs).

* ``database`` — the same synthetic register stored in a fresh database (SQLite in a temporary folder, or
  ``--database-url``: an empty PostgreSQL database), ID numbers sealed as in production, and an agency list
  of the records imported through the console's path (``agency_lists.import_list``: read the CSV, load and
  open the register, match, store the matched rows and the reviews, in one transaction); beside it, in the
  same run, the pure matcher on the same lines (the floor the database path adds to).

Nothing is asserted; figures are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotline.children.matching import Places, Register, check_digit, match_record, parse_id  # noqa: E402

SETS = ROOT / "bench" / "data" / "match"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _pairs(record_id: str, matches: list[dict]) -> set[tuple[str, str, str]]:
    return {(record_id, str(m["child_id"]), str(m["relation"])) for m in matches}


def _exact_id_baseline(register: list[dict], records: list[dict]) -> dict[str, list[dict]]:
    by_id: dict[str, list[dict]] = {}
    for child in register:
        for relation, who in [("self", child), *((g.get("relation"), g) for g in child.get("guardians") or ())]:
            parsed = parse_id(who.get("id_number"))
            if parsed:
                by_id.setdefault(parsed.value, []).append({"child_id": child["child_id"], "relation": relation})
    out = {}
    for record in records:
        parsed = parse_id(record.get("id_number"))
        out[str(record["record_id"])] = by_id.get(parsed.value, []) if parsed else []
    return out


def _score(gold: dict[str, set], predicted: dict[str, set]) -> tuple[float, float, int, int, int]:
    g = set().union(*gold.values()) if gold else set()
    p = set().union(*predicted.values()) if predicted else set()
    hit = len(g & p)
    precision = hit / len(p) if p else 1.0
    recall = hit / len(g) if g else 1.0
    return precision, recall, hit, len(p), len(g)


def quality(only: str | None = None) -> None:
    places = Places.of_taxonomy()
    for folder in sorted(p for p in SETS.iterdir() if (p / "gold.jsonl").exists()):
        if only and folder.name != only:
            continue
        register, records = _lines(folder / "register.jsonl"), _lines(folder / "records.jsonl")
        gold = {str(g["record_id"]): _pairs(str(g["record_id"]), g["matches"]) for g in _lines(folder / "gold.jsonl")}
        notes = {str(n["record_id"]): n for n in _lines(folder / "notes.jsonl")} if (folder / "notes.jsonl").exists() else {}
        started = time.perf_counter()
        index = Register.build(register, places)
        found = {str(r["record_id"]): match_record(index, r) for r in records}
        took = time.perf_counter() - started
        predicted = {rid: {(rid, m.child_id, m.relation) for m in ms} for rid, ms in found.items()}
        base = _exact_id_baseline(register, records)
        base_pred = {rid: _pairs(rid, ms) for rid, ms in base.items()}
        p, r, hit, npred, ngold = _score(gold, predicted)
        bp, br, *_ = _score(gold, base_pred)
        label = "tuned on" if folder.name.startswith("dev") else "held out"
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{folder.name} ({label}): {len(register)} children, {len(records)} records, {ngold} true pairs")
        print(f"  hotline match: precision {p:.3f}, recall {r:.3f}, F1 {f1:.3f} ({hit}/{npred} predicted right) in {took:.2f} s")
        print(f"  exact ID only (baseline): precision {bp:.3f}, recall {br:.3f}")
        for rid in gold:
            wrong, missed = predicted.get(rid, set()) - gold[rid], gold[rid] - predicted.get(rid, set())
            if wrong or missed:
                why = ", ".join(notes.get(rid, {}).get("noise", [])) or notes.get(rid, {}).get("why", "")
                reasons = {m.child_id: " ".join(m.reasons) for m in found[rid]}
                print(f"    {rid}: false {sorted(w[1:] for w in wrong)} missed {sorted(m[1:] for m in missed)}"
                      f" [{why}] {reasons}")


# --- scale ------------------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志强子涵梓萱浩然欣怡宇轩诗雨俊杰雨桐博文佳怡一鸣思远"
AREAS = ["220122", "220182", "220183", "220113", "220283", "220284", "220322", "220323", "220422", "220521", "220523",
         "220524", "220621", "220622", "220721", "220722", "220821", "220822", "222401", "222403", "222405"]


def _id(rng: random.Random, year_from: int, year_to: int, area: str) -> str:
    born = f"{rng.randint(year_from, year_to)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = f"{area}{born}{rng.randint(0, 999):03d}"
    return first17 + check_digit(first17)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def synthetic(children: int, records: int, seed: int = 11) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    register, people = [], []
    for i in range(children):
        area = rng.choice(AREAS)
        child = {"child_id": f"c{i}", "name": _name(rng), "id_number": _id(rng, 2008, 2024, area),
                 "guardians": [{"relation": rel, "name": _name(rng), "id_number": _id(rng, 1960, 1998, area)}
                               for rel in ("father", "mother")]}
        register.append(child)
        if i % 7 == 0:
            people.append(child)
            people.extend(child["guardians"])
    out = []
    for j in range(records):
        if rng.random() < 0.4:
            who = rng.choice(people)
            ident = who["id_number"]
            noisy = rng.random()
            if noisy < 0.25:  # no ID: name and birth date
                out.append({"record_id": f"r{j}", "source": "death", "name": who["name"],
                            "birth_date": f"{ident[6:10]}/{int(ident[10:12])}/{int(ident[12:14])}"})
                continue
            if noisy < 0.35:
                ident = ident[:6] + ident[8:17]  # 15-digit
            elif noisy < 0.45:
                ident = ident.lower()
            out.append({"record_id": f"r{j}", "source": "prison_admission", "name": who["name"], "id_number": ident})
        else:
            out.append({"record_id": f"r{j}", "source": "dibao", "name": _name(rng),
                        "id_number": _id(rng, 1950, 2024, rng.choice(AREAS))})
    return register, out


def scale(children: int, records: int) -> None:
    places = Places.of_taxonomy()
    rates = []
    for n in (children // 10, children):
        register, recs = synthetic(n, records)
        started = time.perf_counter()
        index = Register.build(register, places)
        built = time.perf_counter() - started
        started = time.perf_counter()
        matched = sum(bool(match_record(index, r)) for r in recs)
        took = time.perf_counter() - started
        rates.append(len(recs) / took)
        print(f"  register {n:,} children + {2 * n:,} guardians: indexed in {built:.1f} s; {len(recs):,} records "
              f"matched in {took:.1f} s ({len(recs) / took:,.0f} records/s, {matched:,} with a match); "
              f"total {built + took:.1f} s")
        del register, index
    print(f"  records/s at the full register vs a tenth: {rates[1] / rates[0]:.2f}")


def database(children: int, records: int, url: str | None) -> None:
    import csv
    import io
    import tempfile
    from datetime import date

    from sqlalchemy import insert, select

    from hotline.accounts.actor import SYSTEM
    from hotline.bootstrap import initialise
    from hotline.children import agency_lists
    from hotline.children.models import Child, Guardian, Place
    from hotline.children.places import import_places
    from hotline.directory.models import Region, RegionLevel
    from hotline.runtime import Runtime
    from hotline.timeutil import utcnow

    folder = Path(tempfile.mkdtemp(prefix="bench-match-"))
    runtime = Runtime.from_env({"instance_path": folder, "database_url": url or f"sqlite:///{folder / 'bench.db'}"})
    initialise(runtime)
    register, recs = synthetic(children, records)
    started = time.perf_counter()
    with runtime.db.transaction() as session:
        counties = list(session.scalars(select(Region).where(Region.level == RegionLevel.COUNTY)))
        import_places(session, "区县,乡镇（街道）,村（社区）\n" + "".join(f"{c.path},测试镇,测试村\n" for c in counties))
        villages = [p for p in session.scalars(select(Place)) if p.parent_id]
        cipher, now = runtime.cipher, utcnow()
        for start in range(0, len(register), 10_000):
            batch, kids, people = register[start:start + 10_000], [], []
            for i, line in enumerate(batch, start=start + 1):
                v, ident = villages[i % len(villages)], line["id_number"]
                kids.append({"id": i, "number": f"ET{i:08d}", "name": line["name"],
                             "id_number_sealed": cipher.seal(ident), "id_number_digest": cipher.digest(ident),
                             "id_number_masked": ident[:6] + "********" + ident[-4:],
                             "birth_date": date(int(ident[6:10]), int(ident[10:12]), int(ident[12:14])),
                             "residence_place_id": v.id, "village_id": v.id, "township_id": v.parent_id,
                             "county_id": v.county_id, "category": "left_behind", "assessment": "good",
                             "concerns": [], "status": "active", "version": 1, "created_at": now, "updated_at": now})
                for g in line["guardians"]:
                    people.append({"child_id": i, "relation": g["relation"], "name": g["name"],
                                   "id_number_sealed": cipher.seal(g["id_number"]),
                                   "id_number_digest": cipher.digest(g["id_number"]), "status": "away"})
            session.execute(insert(Child), kids)
            session.execute(insert(Guardian), people)
    print(f"  stored {children:,} children + {2 * children:,} guardians (sealed) in {time.perf_counter() - started:.0f} s")

    places = Places.of_taxonomy()
    started = time.perf_counter()
    index = Register.build(register, places)
    matched = sum(bool(match_record(index, r)) for r in recs)
    pure = time.perf_counter() - started
    del index
    print(f"  pure matcher (baseline, same run): {pure:.1f} s for {len(recs):,} records ({matched:,} with a match)")

    body = io.StringIO()
    writer = csv.writer(body)
    writer.writerow(["姓名", "公民身份号码", "出生日期"])
    for r in recs:
        writer.writerow([r["name"], r.get("id_number") or "", r.get("birth_date") or ""])
    with runtime.db.transaction() as session:
        values = {f.name: None for f in agency_lists.SOURCE_SPEC.fields}
        values.update(kind="prison_admission", name="bench", retention_days=30)
        source_id = agency_lists.save_source(session, values).id
    started = time.perf_counter()
    with runtime.db.transaction() as session:
        found = agency_lists.import_list(session, SYSTEM, source_id, "bench.csv", body.getvalue().encode("utf-8"),
                                         cipher=runtime.cipher, now=utcnow(),
                                         working_days=runtime.settings.review_working_days,
                                         calendar=runtime.calendar, workday_start=runtime.policy.workday_start)
        rows, hit, reviews = found.agency_list.rows, found.agency_list.matched, found.reviews
    took = time.perf_counter() - started
    print(f"  database import: {took:.1f} s for {rows:,} rows ({hit:,} matched, {reviews:,} reviews); "
          f"{took / pure:.1f}× the pure matcher")
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("quality", "scale", "database"))
    parser.add_argument("--database-url", default=None, help="database: an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--set", default=None, help="one labelled set (dev or hold); default all")
    args = parser.parse_args()
    if args.only in (None, "quality"):
        quality(args.set)
    if args.only in (None, "scale"):
        print(f"scale: {args.children:,} children, {args.records:,} records")
        scale(args.children, args.records)
    if args.only == "database":
        print(f"database: {args.children:,} children, {args.records:,} records")
        database(args.children, args.records, args.database_url)


if __name__ == "__main__":
    main()
