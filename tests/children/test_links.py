"""Children and calls: which registered children a call is likely about (the same name and place, a guardian's
phone, the village in the address with the same surname), only among the children the person may see and
through indexed lookups (the sealed register is never opened to search it); linking tickets and leads to a
child (idempotent, on the ticket's timeline and the child's versions, by 档案号 only); the register form
prefilled from a ticket."""

import copy
from datetime import timedelta

import pytest
from children_support import add_child, get, guardian, open_lead, person, places
from sqlalchemy import event, select

from hotline.children import links
from hotline.children.models import Child, ChildLink, ChildVersion
from hotline.crypto import FieldCipher
from hotline.errors import InputError, NotFound
from hotline.sentiment import leads
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket
from hotline.timeutil import utcnow

NOW = utcnow()
BIRTH = (NOW - timedelta(days=9 * 366)).date()  # nine years old


def numbers(found) -> list[str]:  # noqa: ANN001
    return [s.child.number for s in found]


def suggest(state, actor, **query):  # noqa: ANN001, ANN003, ANN201
    with state.db.transaction(readonly=True) as session:
        found = links.suggest(session, actor, cipher=state.cipher, **query)
        return [(s.child.number, s.score, s.reasons) for s in found]


@pytest.fixture
def register(state):
    """Children of the demo places: 李小梅 (陈家店村, father's phone 13812345678), 李小美 (合隆村, a homophone),
    李小梅 again in 闫家村 (another county), 李强 (陈家店村, the same surname), 王小梅 (哈拉海村)."""
    admin = person(state, "admin")
    made = {
        "meilin": add_child(state, admin, "陈家店村", name="李小梅", birth_date=BIRTH,
                            residence_address="合隆镇陈家店村三社12号",
                            guardians=[guardian(phone="138 1234 5678", name="李建国")]),
        "homophone": add_child(state, admin, "合隆村", name="李小美", guardians=[guardian(name="李建军")]),
        "far": add_child(state, admin, "闫家村", name="李小梅", guardians=[guardian(name="李建华")]),
        "brother": add_child(state, admin, "陈家店村", name="李强", guardians=[guardian(name="李建设")]),
        "other": add_child(state, admin, "哈拉海村", name="王小梅", guardians=[guardian(name="王建国")]),
    }
    return made


def test_same_name_counts_only_with_the_same_place(state, register):
    operator = person(state, "operator")
    found = suggest(state, operator, name="李小梅", county="农安县")
    assert [n for n, _, _ in found] == [register["meilin"], register["homophone"]]
    assert found[0][2] == ("姓名相同", "同在农安县")
    assert found[1][2] == ("姓名读音相同", "同在农安县") and found[1][1] < found[0][1]
    # the same name in another county, or with no place at all, is nobody
    assert [n for n, _, _ in suggest(state, operator, name="李小梅", county="梨树县")] == [register["far"]]
    assert suggest(state, operator, name="李小梅") == []
    assert suggest(state, operator) == []
    assert suggest(state, operator, county="农安县") == []  # a place alone says nothing about a child
    # the county is also found in the address, abbreviated; the typed name is cleaned (spaces, full width)
    assert [n for n, _, _ in suggest(state, operator, name=" 李 小梅 ", address="农安合隆镇")][:1] == [register["meilin"]]


def test_the_village_in_the_address_and_the_surname(state, register):
    operator = person(state, "operator")
    found = suggest(state, operator, name="李梅", address="吉林省农安县合隆镇陈家店村三社")
    assert {n for n, _, _ in found} == {register["meilin"], register["brother"]}
    assert all(r == ("同姓", "地址提到所在村（陈家店村）") for _, _, r in found)
    # the exact name with the village outranks the county, and the village outranks a homophone elsewhere
    found = suggest(state, operator, name="李小梅", address="合隆镇陈家店村", county="农安县")
    assert found[0][0] == register["meilin"] and found[0][2] == ("姓名相同", "地址提到所在村（陈家店村）")
    assert [n for n, _, _ in found][1:] == [register["homophone"], register["brother"]]
    assert found[0][1] > found[1][1] > found[2][1]
    # another surname in the village is not suggested
    assert suggest(state, operator, name="张三", address="合隆镇陈家店村") == []


def test_a_guardians_phone_without_opening_the_register(state, register):
    operator = person(state, "operator")

    class Sealed(FieldCipher):
        def open(self, token):  # noqa: ANN001, ANN201
            raise AssertionError("the register was decrypted to search it")

    spy = copy.copy(state.cipher)
    spy.__class__ = Sealed
    with state.db.transaction(readonly=True) as session:
        found = links.suggest(session, operator, phone="+86 138-1234-5678", cipher=spy)
        assert numbers(found) == [register["meilin"]] and found[0].reasons == ("监护人电话相同（父亲）",)
        # with the name and the village too: the surest suggestion there is
        both = links.suggest(session, operator, name="李小梅", phone="13812345678", address="陈家店村", cipher=spy)
        assert numbers(both)[0] == register["meilin"] and both[0].score > found[0].score
        assert both[0].reasons == ("姓名相同", "地址提到所在村（陈家店村）", "监护人电话相同（父亲）")
        assert links.suggest(session, operator, phone="13812345679", cipher=spy) == []
        assert links.suggest(session, operator, phone="5678", cipher=spy) == []  # too short to mean anything


def test_only_children_the_actor_may_see(state, register):
    director = person(state, "child_director", place_names=("合隆村",))
    police = person(state, "agency_staff", unit="public_security:长春市/农安县")
    county = person(state, "agency_staff", unit="civil_affairs:四平市/梨树县")
    assert [n for n, _, _ in suggest(state, director, name="李小梅", county="农安县")] == [register["homophone"]]
    assert suggest(state, director, phone="13812345678") == []
    assert suggest(state, police, name="李小梅", county="农安县", phone="13812345678") == []
    assert suggest(state, county, name="李小梅", county="农安县") == []


def test_ranked_and_cut_at_the_limit(state, register):
    operator = person(state, "operator")
    found = suggest(state, operator, name="李小梅", address="合隆镇陈家店村", county="农安县", limit=2)
    assert [n for n, _, _ in found] == [register["meilin"], register["homophone"]]


def test_lookups_use_the_indexes_not_the_whole_register(state, register):
    """Dozens of unrelated children in the same county: suggesting reads only the candidates."""
    admin = person(state, "admin")
    for i in range(30):
        add_child(state, admin, "哈拉海村", name=f"赵{'一二三四五六七八九十'[i % 10]}{i}", guardians=[])
    loaded: list[str] = []

    def count_loads(target, context):  # noqa: ANN001
        loaded.append(target.number)

    event.listen(Child, "load", count_loads)
    try:
        operator = person(state, "operator")
        found = suggest(state, operator, name="李小梅", address="合隆镇陈家店村", county="农安县",
                        phone="13812345678")
    finally:
        event.remove(Child, "load", count_loads)
    assert found[0][0] == register["meilin"]
    assert len(set(loaded)) <= 4 and not any(n not in register.values() for n in loaded)


# --- links ------------------------------------------------------------------------------------------------


def call(state, actor, **over) -> str:  # noqa: ANN001, ANN003
    """A call taken (committed); returns the ticket's number."""
    values = {"channel": "phone", "text": "来电人系孩子母亲，反映孩子父亲外出务工，孩子无人照看。",
              "caller_name": "张桂芳", "caller_phone": "13912340000", "child_name": "李小梅", "child_age": 9,
              "child_gender": "女", "address": "农安县合隆镇陈家店村三社12号"}
    values.update(over)
    with state.db.transaction() as session:
        ticket, _ = intake(session, IntakeRequest(**values), actor, cipher=state.cipher)
        ticket.county = "农安县"
        return ticket.number


def test_link_is_idempotent_and_recorded_by_number_only(state, register):
    operator = person(state, "operator")
    number = call(state, operator)
    child = register["meilin"]
    with state.db.transaction() as session:
        version = session.scalar(select(Ticket.version).where(Ticket.number == number))
        first = links.link(session, operator, child, ticket_number=number, now=NOW)
        again = links.link(session, operator, child, ticket_number=number, now=NOW)
        assert first.id == again.id and first.linked_by == operator.label
        # a link is not a change of the ticket: a form opened before it still submits
        assert session.scalar(select(Ticket.version).where(Ticket.number == number)) == version
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert [c.number for c in links.children_of_ticket(session, ticket)] == [child]
        events = [e for e in ticket.events if e.action == links.LINK_EVENT]
        assert len(events) == 1 and events[0].data == {"child": child} and events[0].actor == operator.label
        assert "李" not in (events[0].note or "") and child in events[0].note
        versions = session.scalars(select(ChildVersion).where(ChildVersion.child_id == get(session, child).id)
                                   .order_by(ChildVersion.version)).all()
        assert [(v.reason, v.changes) for v in versions][1:] == [("link", {"ticket": [None, number]})]
    with state.db.transaction() as session:
        assert links.unlink(session, operator, child, ticket_number=number, now=NOW) is True
        assert links.unlink(session, operator, child, ticket_number=number, now=NOW) is False
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        assert links.children_of_ticket(session, ticket) == []
        assert [e.action for e in ticket.events][-1] == links.UNLINK_EVENT


def test_the_actor_must_see_the_child_and_the_ticket(state, register):
    operator = person(state, "operator")
    number = call(state, operator)
    police = person(state, "agency_staff", unit="public_security:长春市/农安县")
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    director = person(state, "child_director", place_names=("合隆村",))
    with state.db.transaction() as session:
        with pytest.raises(NotFound) as no_child:
            links.link(session, police, register["meilin"], ticket_number=number, now=NOW)
        assert no_child.value.code == "child_not_found"
        with pytest.raises(NotFound) as no_ticket:  # the county sees the child, not another unit's ticket
            links.link(session, county, register["meilin"], ticket_number=number, now=NOW)
        assert no_ticket.value.code == "ticket_not_found"
        with pytest.raises(NotFound):
            links.link(session, director, register["meilin"], ticket_number=number, now=NOW)
        with pytest.raises(InputError):
            links.link(session, operator, register["meilin"], now=NOW)
        with pytest.raises(InputError):
            links.link(session, operator, register["meilin"], ticket_number=number, lead_number="XS-1", now=NOW)
        assert session.scalar(select(ChildLink.id)) is None


def test_a_lead_is_linked_by_the_unit_that_verifies_it(state, register):
    number = open_lead(state)
    county = person(state, "agency_staff", unit="civil_affairs:长春市/农安县")
    other = person(state, "agency_staff", unit="civil_affairs:四平市/梨树县")
    with state.db.transaction() as session:
        links.link(session, county, register["meilin"], lead_number=number, now=NOW)
        with pytest.raises(NotFound):
            links.link(session, other, register["far"], lead_number=number, now=NOW)
    with state.db.transaction(readonly=True) as session:
        lead = leads.get_lead(session, number, county)
        assert [c.number for c in links.children_of_lead(session, lead)] == [register["meilin"]]
        # a viewer who does not see the child is not shown it
        assert links.children_of_lead(session, lead, other) == []
        panel = links.lead_panel(session, county, lead)
        assert [c.number for c in panel.linked] == [register["meilin"]] and panel.can_edit


def test_the_ticket_panel_suggests_and_hides_what_is_linked(state, register):
    operator = person(state, "operator")
    number = call(state, operator)
    with state.db.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == number))
        panel = links.ticket_panel(session, operator, ticket, cipher=state.cipher, now=NOW)
        top = panel.suggestions[0]
        assert top.number == register["meilin"] and top.name == "李**" and top.age == 9
        assert top.village == "长春市农安县 合隆镇 陈家店村" and "姓名相同" in top.reasons
        links.link(session, operator, register["meilin"], ticket_number=number, now=NOW)
        panel = links.ticket_panel(session, operator, ticket, cipher=state.cipher, now=NOW)
        assert [c.number for c in panel.linked] == [register["meilin"]]
        assert register["meilin"] not in [c.number for c in panel.suggestions]
        police = person(state, "agency_staff", unit="public_security:长春市/农安县")
        assert links.ticket_panel(session, police, ticket, cipher=state.cipher) is None


def test_prefill_from_a_ticket(state, register):
    operator = person(state, "operator")
    number = call(state, operator)
    with state.db.transaction() as session:
        village = places(session)["陈家店村"]
        # the operator who took the call sees it in full: the caller is the child's mother
        values = links.prefill_from_ticket(session, operator, number, cipher=state.cipher)
        assert values["name"] == "李小梅" and values["gender"] == "female"
        assert values["residence_place"] == village.id and values["residence_address"] == "农安县合隆镇陈家店村三社12号"
        assert (values["g1_relation"], values["g1_name"], values["g1_phone"]) == ("mother", "张桂芳", "13912340000")
        assert village.id in values["county_villages"] and places(session)["闫家村"].id not in values["county_villages"]
        # someone who sees the ticket masked gets no personal data, only the village
        other = person(state, "dispatcher")
        masked = links.prefill_from_ticket(session, other, number, cipher=state.cipher)
        assert masked["personal_data_masked"] and masked["residence_place"] == village.id
        assert not {"name", "residence_address", "g1_name", "g1_phone"} & set(masked)
    # a caller who is not the parent is not made the guardian
    neighbour = call(state, operator, text="来电人是邻居，反映孩子一个人在家。")
    with state.db.transaction() as session:
        assert "g1_name" not in links.prefill_from_ticket(session, operator, neighbour, cipher=state.cipher)
