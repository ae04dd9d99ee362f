"""数据找人: which registered child an agency's record (a prison admission, a death, a 低保 decision …)
concerns — the child itself or one of its guardians. Pure: no database, no Flask; ``hotline match`` and the
review queue both call :func:`match`.

Real lists are noisy, so both sides are normalised first: ID numbers (spaces, full-width digits, a
lower-case x, the 15-digit form turned into the 18-digit one, GB 11643 check digit), names (spaces,
traditional and variant characters), dates (``2016/3/5``, ``20160305``, ``2016年3月5日``), places (a county
found in an abbreviated address). Candidates come from blocking keys — the ID, name + birth date, the
name's pinyin + birth date (IME homophones), surname + birth date, name + county — never from all pairs;
each candidate is then scored by explicit rules, and the confidence says why (``reasons``).

A match is reported from ``THRESHOLD`` up, and only when it is within ``MARGIN`` of the record's best
candidate (a twin whose name differs by one character does not ride along with the exact match).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

THRESHOLD = 0.8
MARGIN = 0.1
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
_DROP = re.compile(r"[\s·•．.\-_,，、()（）]+")
_DIGITS = re.compile(r"\d+")
_ADMIN = re.compile(r"街道|镇|乡|县|市|区|省")
_COUNTY_SUFFIXES = ("满族自治县", "朝鲜族自治县", "蒙古族自治县", "自治县", "县", "市", "区")
#: how people shorten the names the suffix rule does not reach
_COUNTY_ALIASES = {"前郭": "前郭尔罗斯蒙古族自治县", "前郭县": "前郭尔罗斯蒙古族自治县"}
#: two given names this far apart (one character changed, not a homophone) are a typing error at best
TYPO, HOMOPHONE, EXACT = 0.75, 0.9, 1.0


# --- normalisation -------------------------------------------------------------------------------------


def _nfkc(value: Any) -> str:
    return unicodedata.normalize("NFKC", str(value)) if value is not None else ""


@lru_cache(maxsize=200_000)
def clean_name(raw: str) -> str:
    """Full-width to half-width, no spaces or dots, traditional and variant characters to simplified."""
    from zhconv import convert

    return convert(_DROP.sub("", _nfkc(raw)), "zh-cn")


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> str:
    """The name as typed on a pinyin keyboard (without tones): IME homophones share it."""
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(name))


def check_digit(first17: str) -> str:
    return CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _valid_date(digits: str) -> str | None:
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
    except ValueError:
        return None


@dataclass(frozen=True)
class IdNumber:
    value: str  # 18 characters (a 15-digit one converted), or whatever was there when it cannot be read
    valid: bool  # the check digit and the birth date are right

    @property
    def birth(self) -> str | None:
        return _valid_date(self.value[6:14]) if len(self.value) == 18 else None


def parse_id(raw: Any) -> IdNumber | None:
    """An ID number as written anywhere: spaces, full-width digits, a lower-case x, the 15-digit form."""
    text = _DROP.sub("", _nfkc(raw)).upper()
    if not text:
        return None
    if len(text) == 15 and text.isdigit():  # 1st generation: no century, no check digit
        first17 = text[:6] + "19" + text[6:]
        return IdNumber(first17 + check_digit(first17), _valid_date(first17[6:14]) is not None)
    if len(text) == 18 and text[:17].isdigit() and text[17] in "0123456789X":
        valid = check_digit(text[:17]) == text[17] and _valid_date(text[6:14]) is not None
        return IdNumber(text, valid)
    return IdNumber(text, False)


def parse_date(raw: Any) -> str | None:
    """``2016-03-05``, ``2016/3/5``, ``2016.03.05``, ``20160305``, ``2016年3月5日`` → ISO; None otherwise."""
    text = _nfkc(raw).strip()
    if not text:
        return None
    parts = _DIGITS.findall(text)
    if len(parts) == 1 and len(parts[0]) == 8:
        return _valid_date(parts[0])
    if len(parts) >= 3 and len(parts[0]) == 4:
        return _valid_date(f"{parts[0]}{int(parts[1]):02d}{int(parts[2]):02d}") if len(parts[1]) <= 2 and len(parts[2]) <= 2 else None
    return None


class Places:
    """Jilin's counties from the taxonomy: a county named in full, abbreviated (农安 for 农安县) or inside an
    address."""

    def __init__(self, counties: Iterable[str]) -> None:
        self.full: dict[str, str] = {}
        for county in counties:
            self.full[county] = county
            for suffix in _COUNTY_SUFFIXES:
                if county.endswith(suffix) and len(county) - len(suffix) >= 2:
                    short = county[: -len(suffix)]
                    self.full.setdefault(short, county)
                    if "自治" in suffix:
                        self.full.setdefault(short + "县", county)  # 长白县, 伊通县
                    break
        for alias, county in _COUNTY_ALIASES.items():
            if county in self.full:
                self.full.setdefault(alias, county)
        self._by_length = sorted(self.full, key=len, reverse=True)

    @classmethod
    def of_taxonomy(cls) -> Places:
        from classifier.taxonomy import load_taxonomy

        return cls(c for counties in load_taxonomy().regions.values() for c in counties)

    def county(self, county: Any, address: Any = None) -> str | None:
        name = clean_name(county) if county else ""
        if name in self.full:
            return self.full[name]
        text = clean_name(address) if address else ""
        for key in self._by_length:  # the longest name first: 前郭尔罗斯 before 前郭
            if key in text:
                return self.full[key]
        return None


def _village(address: Any) -> str | None:
    """The village of an address, without what comes before it: "农安合隆镇陈家店村" and "吉林省长春市农安县
    合隆镇陈家店村" both give 陈家店村."""
    text = clean_name(address) if address else ""
    end = text.rfind("村")
    if end < 1:
        return None
    return _ADMIN.split(text[: end + 1])[-1][-8:] or None


# --- the people of the register -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A child (relation ``self``) or one of its guardians, normalised, with the child's place."""

    child_id: str
    relation: str
    name: str
    pinyin: str
    id_number: IdNumber | None
    birth: str | None
    gender: str | None
    county: str | None
    village: str | None


def _gender(raw: Any) -> str | None:
    text = _nfkc(raw).strip().lower()
    return {"男": "m", "m": "m", "male": "m", "女": "f", "f": "f", "female": "f"}.get(text)


def _birth(id_number: IdNumber | None, raw: Any) -> str | None:
    return parse_date(raw) or (id_number.birth if id_number and id_number.valid else None)


def people(child: dict[str, Any], places: Places) -> Iterator[Person]:
    """The child and each guardian of one register line (guardians share the child's place)."""
    county = places.county(child.get("county"), child.get("address"))
    village = _village(child.get("address"))
    for relation, who in [("self", child), *((g.get("relation") or "other", g) for g in child.get("guardians") or ())]:
        name = clean_name(who.get("name") or "")
        if not name:
            continue
        id_number = parse_id(who.get("id_number"))
        yield Person(str(child["child_id"]), str(relation), name, name_pinyin(name), id_number,
                     _birth(id_number, who.get("birth_date")), _gender(who.get("gender")), county, village)


def _keys(name: str, pinyin: str, id_number: IdNumber | None, birth: str | None, county: str | None) -> Iterator[tuple]:
    if id_number and len(id_number.value) >= 15:
        yield ("id", id_number.value)
    if id_number and len(id_number.value) == 18:
        # a one-digit typo leaves at least one of these three parts whole: area + birth date, area + sequence
        # and check digit, birth date + sequence and check digit
        value = id_number.value
        yield ("ida", value[:14])
        yield ("ids", value[:6] + value[14:])
        yield ("idb", value[6:])
    if birth:
        yield ("nb", name, birth)
        yield ("pb", pinyin, birth)
        yield ("sb", name[:1], birth, len(name))
    if county:
        yield ("nc", name, county)
        yield ("pc", pinyin, county)


@dataclass
class Register:
    """The register indexed by blocking keys."""

    places: Places
    index: dict[tuple, list[Person]] = field(default_factory=lambda: defaultdict(list))
    size: int = 0

    @classmethod
    def build(cls, children: Iterable[dict[str, Any]], places: Places | None = None) -> Register:
        register = cls(places or Places.of_taxonomy())
        for child in children:
            for person in people(child, register.places):
                register.size += 1
                for key in _keys(person.name, person.pinyin, person.id_number, person.birth, person.county):
                    register.index[key].append(person)
        return register


# --- scoring --------------------------------------------------------------------------------------------------


def _name_similarity(a: str, a_pinyin: str, b: str, b_pinyin: str) -> float:
    if a == b:
        return EXACT
    if len(a) == len(b) and a[:1] == b[:1]:
        if a_pinyin == b_pinyin:
            return HOMOPHONE
        if sum(x != y for x, y in zip(a, b, strict=True)) == 1 and len(a) >= 3:
            return TYPO
    return 0.0


def _id_relation(a: IdNumber | None, b: IdNumber | None) -> str:
    """same | near (one digit wrong, or two neighbours swapped) | different | unknown."""
    if a is None or b is None:
        return "unknown"
    if a.value == b.value:
        return "same"
    x, y = a.value, b.value
    if len(x) == len(y) == 18:
        diff = [i for i in range(18) if x[i] != y[i]]
        if len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                              and x[diff[1]] == y[diff[0]]):
            return "near"
    return "different"


@dataclass(frozen=True)
class Match:
    child_id: str
    relation: str
    confidence: float
    reasons: tuple[str, ...]


def score(record: Person, person: Person) -> Match | None:
    """How sure we are that ``record`` is about ``person`` (None: not at all)."""
    name = _name_similarity(record.name, record.pinyin, person.name, person.pinyin)
    ids = _id_relation(record.id_number, person.id_number)
    reasons = [f"id:{ids}", {EXACT: "name:exact", HOMOPHONE: "name:homophone", TYPO: "name:typo"}.get(name, "name:no")]
    birth = "unknown" if not (record.birth and person.birth) else ("same" if record.birth == person.birth else "different")
    county = "unknown" if not (record.county and person.county) else ("same" if record.county == person.county else "different")
    village = record.village is not None and record.village == person.village
    reasons += [f"birth:{birth}", f"county:{county}"] + (["village:same"] if village else [])
    if record.gender and person.gender and record.gender != person.gender:
        return None
    if ids == "same":
        confidence = 0.99 if name >= TYPO else (0.7 if not record.name else 0.5)
    elif ids == "near":
        confidence = 0.95 if name >= HOMOPHONE and birth != "different" else 0.0
    elif ids == "different" and record.id_number.valid and person.id_number.valid:
        return None  # two well-formed IDs that differ belong to two people
    elif birth == "different" or name == 0.0:
        return None
    elif birth == "same":
        base = {EXACT: 0.9, HOMOPHONE: 0.8, TYPO: 0.7}[name]
        confidence = base + (0.07 if county == "same" else -0.6 if county == "different" else -0.05)
        confidence += 0.02 if village else 0.0
    else:  # no birth date on one side: the name and the place only
        if name < EXACT or county != "same":
            return None
        confidence = 0.85 if village else 0.6
    confidence = round(max(0.0, min(confidence, 0.99)), 3)
    return Match(person.child_id, person.relation, confidence, tuple(reasons)) if confidence > 0 else None


def record_person(record: dict[str, Any], places: Places) -> Person:
    name = clean_name(record.get("name") or "")
    id_number = parse_id(record.get("id_number"))
    return Person("", "", name, name_pinyin(name) if name else "", id_number,
                  _birth(id_number, record.get("birth_date")), _gender(record.get("gender")),
                  places.county(record.get("county"), record.get("address")), _village(record.get("address")))


def match_record(register: Register, record: dict[str, Any]) -> list[Match]:
    """The registered children one record concerns, best first (empty: nobody)."""
    who = record_person(record, register.places)
    seen: dict[tuple[str, str], Match] = {}
    for key in _keys(who.name, who.pinyin, who.id_number, who.birth, who.county):
        for person in register.index.get(key, ()):
            found = score(who, person)
            if found is None or found.confidence < THRESHOLD:
                continue
            slot = (found.child_id, found.relation)
            if slot not in seen or seen[slot].confidence < found.confidence:
                seen[slot] = found
    if not seen:
        return []
    best = max(m.confidence for m in seen.values())
    return sorted((m for m in seen.values() if m.confidence >= best - MARGIN), key=lambda m: (-m.confidence, m.child_id))


def match(register_lines: Iterable[dict[str, Any]], records: Iterable[dict[str, Any]],
          places: Places | None = None) -> Iterator[tuple[dict[str, Any], list[Match]]]:
    """Every record with its matches, in input order."""
    register = Register.build(register_lines, places)
    for record in records:
        yield record, match_record(register, record)
