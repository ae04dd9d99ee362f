"""The register: GB 11643 validation, sealed ID numbers and phones, versions with who and when, scopes
(a 儿童主任 sees only their villages, a 督导员 their township, county staff their county), reveals audited."""


import pytest
from children_support import add_child, get, guardian, person, places
from sqlalchemy import select

from hotline.accounts.models import AuditEntry
from hotline.children import register
from hotline.children.models import ChildVersion, VisitTask
from hotline.children.privacy import reveal_child, view_child
from hotline.children.scopes import get_child, visible_children
from hotline.errors import Forbidden, InputError, NotFound
from hotline.timeutil import utcnow

# fabricated IDs with a correct GB 11643 check digit
CHILD_ID = "220122201503070023"
FATHER_ID = "22012219850214011X"


def numbers(state, actor) -> set[str]:
    with state.db.transaction(readonly=True) as session:
        return {c.number for c in session.scalars(visible_children(session, actor))}


def test_id_numbers_are_checked_and_sealed(state):
    admin = person(state, "admin")
    number = add_child(state, admin, id_number="2201 2220 1503 0700 23", guardians=[
        guardian(id_number=FATHER_ID.lower(), phone="138 1234 5678")])
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        assert child.birth_date.isoformat() == "2015-03-07" and child.gender == "female"
        assert CHILD_ID not in (child.id_number_sealed or "") and child.id_number_masked == "220122********0023"
        assert state.cipher.open(child.id_number_sealed) == CHILD_ID
        g = child.guardians[0]
        assert g.phone_masked == "138****5678" and state.cipher.open(g.phone_sealed) == "13812345678"
        assert g.birth_date.isoformat() == "1985-02-14"
    with pytest.raises(InputError) as bad:
        add_child(state, admin, id_number=CHILD_ID[:-1] + "9")
    assert bad.value.code == "bad_id_number"
    with pytest.raises(InputError) as dup:
        add_child(state, admin, id_number=CHILD_ID)
    assert dup.value.code == "duplicate_child"


def test_every_change_is_versioned_with_who_and_when(state):
    admin = person(state, "admin")
    number = add_child(state, admin, id_number=CHILD_ID)
    director = person(state, "child_director", place_names=("陈家店村",))
    with state.db.transaction() as session:
        village = places(session)["陈家店村"]
        values = {f.name: None for f in register.CHILD_SPEC.fields}
        values.update(name="李小梅", id_number=CHILD_ID, residence_place=village.id, category="left_behind",
                      assessment="concern", concerns=["rural_single_parent"])
        register.update_child(session, director, number, values, [guardian(status="imprisoned")],
                              cipher=state.cipher, now=utcnow())
    with state.db.transaction(readonly=True) as session:
        child = get(session, number)
        rows = list(session.scalars(select(ChildVersion).where(ChildVersion.child_id == child.id)
                                    .order_by(ChildVersion.version)))
        assert [(r.version, r.reason) for r in rows] == [(1, "create"), (2, "update")]
        assert rows[0].actor == admin.label and rows[1].actor == director.label
        assert rows[1].changes["assessment"] == ["fair", "concern"]
        assert "id_number" not in rows[1].changes  # unchanged
        assert "服刑在押" in rows[1].changes["guardians"][1][0]
        # the new assessment re-plans the visit: every two weeks from registration
        tasks = list(session.scalars(select(VisitTask).where(VisitTask.child_id == child.id)))
        open_ = [t for t in tasks if t.status == "open"]
        assert len(open_) == 1 and open_[0].assessment == "concern"
        assert (open_[0].due_date - child.created_at.date()).days in (13, 14, 15)


def test_scopes_village_township_county(state):
    admin = person(state, "admin")
    here = add_child(state, admin, "陈家店村")
    next_door = add_child(state, admin, "合隆村")
    other_town = add_child(state, admin, "哈拉海村")
    other_county = add_child(state, admin, "闫家村")
    director = person(state, "child_director", place_names=("陈家店村",))
    supervisor = person(state, "child_supervisor", place_names=("合隆镇",))
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    police = person(state, "agency_staff", unit="public_security:长春市/农安县")
    prefecture = person(state, "agency_staff", unit="civil_affairs:长春市")
    mine = {here, next_door, other_town, other_county}
    assert numbers(state, director) & mine == {here}
    assert numbers(state, supervisor) & mine == {here, next_door}
    assert numbers(state, county) & mine == {here, next_door, other_town}
    assert numbers(state, prefecture) & mine == {here, next_door, other_town}
    assert numbers(state, police) & mine == set()
    assert numbers(state, admin) & mine == mine
    with state.db.transaction(readonly=True) as session, pytest.raises(NotFound):
        get_child(session, next_door, director)
    # a 儿童主任 cannot register a child in another village
    with pytest.raises(Forbidden):
        add_child(state, director, "合隆村")


def test_masked_by_default_and_reveal_is_audited(state):
    admin = person(state, "admin")
    number = add_child(state, admin, id_number=CHILD_ID, residence_address="合隆镇陈家店村三社12号",
                       guardians=[guardian(phone="13812345678", id_number=FATHER_ID)])
    operator = person(state, "operator")
    director = person(state, "child_director", place_names=("陈家店村",))
    with state.db.transaction() as session:
        child = get_child(session, number, operator)
        shown = view_child(operator, child)
        assert shown.name == "李**" and shown.id_number == "220122********0023"
        assert shown.guardians[0].phone == "138****5678" and "12号" not in shown.residence_address
        assert view_child(director, child).name == "李小梅"
        full = reveal_child(session, director, child, {"reason": "visit", "note": None}, cipher=state.cipher,
                            source_ip="127.0.0.1")
        assert full.id_number == CHILD_ID and full.guardians[0].phone == "13812345678"
        with pytest.raises(InputError):
            reveal_child(session, director, child, {"reason": "other", "note": None}, cipher=state.cipher,
                         source_ip=None)
        audit = session.scalars(select(AuditEntry).where(AuditEntry.object_ref == f"child:{number}")).all()
        assert [(a.event, a.actor, a.reason) for a in audit] == [("reveal", director.label, "reveal:visit")]
        assert all(CHILD_ID not in (a.detail or "") for a in audit)


def test_place_roles_need_places_of_the_right_level(state):
    with pytest.raises(InputError) as missing:
        person(state, "child_director")
    assert missing.value.code == "place_required"
    with pytest.raises(InputError):
        person(state, "child_director", place_names=("合隆镇",))
    with pytest.raises(InputError):
        person(state, "child_supervisor", place_names=("合隆镇", "哈拉海镇"))
