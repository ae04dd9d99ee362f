"""``hotline key rotate``: every ``*_sealed`` column of every table is re-sealed under the new data key and its
digest recomputed, in batches that each commit (an interrupted run is resumed by running it again); afterwards
everything opens with the new key alone and exact lookups still find their records."""

from __future__ import annotations

import base64
import os
from dataclasses import replace

import pytest
from children_support import add_child, get, guardian, person
from click.testing import CliRunner
from sqlalchemy import select, text
from tests_support import TOTP_SECRET

from hotline import rekey
from hotline.accounts.actor import SYSTEM
from hotline.accounts.models import AuditEntry, User
from hotline.children.models import Child, Guardian
from hotline.cli import given, main
from hotline.config import ConfigError, load_settings
from hotline.crypto import FieldCipher, _key, decode_key
from hotline.models import Base
from hotline.runtime import Runtime
from hotline.tickets import calls
from hotline.tickets.intake import IntakeRequest, intake
from hotline.tickets.models import Ticket

NEW = base64.urlsafe_b64encode(b"n" * 32).decode()
CHILD_ID, FATHER_ID, PHONE = "220122201503070023", "22012219850214011X", "13912345678"
LEGACY = "老地址：陈家店村五社"


def rotating(state) -> Runtime:  # noqa: ANN001
    """The runtime as an operator restarts it to rotate: the new key, the old one as the previous key."""
    return Runtime(replace(state.settings, data_key=NEW, data_key_previous="secret-key"), db=state.db)


def legacy_v1(raw_key: bytes, value: str) -> str:
    """A value as the first version sealed it (``v1:``, no key id)."""
    nonce = os.urandom(12)
    return "v1:" + base64.urlsafe_b64encode(nonce + _key(raw_key).aead.encrypt(nonce, value.encode(), None)).decode()


@pytest.fixture
def world(state):  # noqa: ANN001, ANN201
    """Sealed values in four tables under the old key: a ticket's caller, a child's ID number, a guardian's ID
    number and phone, an administrator's TOTP secret; ``legacy`` is a value in the v1 format."""
    from hotline.crypto import derived_key

    admin = person(state, "admin")
    number = add_child(state, admin, id_number=CHILD_ID,
                       guardians=[guardian(id_number=FATHER_ID, phone=PHONE)])
    with state.db.transaction() as session:
        ticket, _ = intake(session, IntakeRequest(channel="phone", text="来电人反映孩子一个人在家。", caller_name="张桂芳",
                                                  caller_phone=PHONE, address="农安县合隆镇陈家店村三社12号"),
                           SYSTEM, cipher=state.cipher)
        legacy = legacy_v1(derived_key(state.settings.secret_key), LEGACY)
        guardian_id = get(session, number).guardians[0].id
        return {"child": number, "ticket": ticket.number, "admin": admin.label.split(":", 1)[1],
                "legacy": legacy, "guardian_id": guardian_id}


def stale_counts(runtime) -> int:  # noqa: ANN001
    return sum(rekey.remaining(runtime.db, runtime.cipher, Base.metadata).values())


def test_a_full_rotation_round_trip(state, world):
    # a v1 value (sealed before key ids existed) sits in the register too
    with state.db.transaction() as session:
        session.execute(text("UPDATE guardians SET id_number_sealed = :v WHERE id = :id"),
                        {"v": world["legacy"], "id": world["guardian_id"]})
    runtime = rotating(state)
    assert stale_counts(runtime) >= 5
    # while the rotation has not run, the restarted application opens old values and finds old digests
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == world["ticket"]))
        assert runtime.cipher.open(ticket.caller_phone_sealed) == PHONE
        found = calls.related_history(session, SYSTEM, cipher=runtime.cipher, phone=PHONE)
        assert world["ticket"] in {t.number for t in found}

    result = CliRunner().invoke(main, ["key", "rotate"], obj=given(runtime), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "轮换完成" in result.output and "tickets.caller_phone_sealed" in result.output
    assert stale_counts(runtime) == 0

    only_new = FieldCipher(decode_key(NEW))
    only_old = state.cipher
    with state.db.transaction(readonly=True) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.number == world["ticket"]))
        assert (only_new.open(ticket.caller_name_sealed), only_new.open(ticket.caller_phone_sealed),
                only_new.open(ticket.address_sealed)) == ("张桂芳", PHONE, "农安县合隆镇陈家店村三社12号")
        with pytest.raises(ValueError, match="unknown key"):
            only_old.open(ticket.caller_phone_sealed)
        child = get(session, world["child"])
        assert only_new.open(child.id_number_sealed) == CHILD_ID
        father = session.get(Guardian, world["guardian_id"])
        assert only_new.open(father.id_number_sealed) == LEGACY and only_new.open(father.phone_sealed) == PHONE
        user = session.scalar(select(User).where(User.username == world["admin"]))
        assert only_new.open(user.totp_secret_sealed) == TOTP_SECRET
        # the digests were recomputed: exact lookups with the new key alone find the records
        assert session.scalar(select(Child.number).where(Child.id_number_digest == only_new.digest(CHILD_ID))) \
            == world["child"]
        assert session.scalar(select(Guardian.id).where(Guardian.phone_digest == only_new.digest(PHONE))) \
            == world["guardian_id"]
        found = calls.related_history(session, SYSTEM, cipher=only_new, phone="139 1234 5678",
                                      address="农安县合隆镇陈家店村三社12号")
        assert world["ticket"] in {t.number for t in found}
        assert session.scalar(select(AuditEntry.event).where(AuditEntry.event == "key_rotate")) == "key_rotate"
    status = CliRunner().invoke(main, ["key", "status"], obj=given(runtime), catch_exceptions=False)
    assert status.exit_code == 0 and "全部使用当前密钥" in status.output
    # a second run has nothing to do
    again = CliRunner().invoke(main, ["key", "rotate"], obj=given(runtime), catch_exceptions=False)
    assert "本次重新加密 0 个值" in again.output and again.exit_code == 0


def test_an_interrupted_rotation_is_resumed_by_running_it_again(state, world, monkeypatch):
    runtime = rotating(state)
    total = stale_counts(runtime)
    monkeypatch.setattr(rekey, "BATCH", 1)

    def crash(name: str, done: int) -> None:
        raise KeyboardInterrupt  # the operator pressed Ctrl-C after the first batch

    with pytest.raises(KeyboardInterrupt):
        rekey.rotate(runtime.db, runtime.cipher, Base.metadata, progress=crash)
    assert stale_counts(runtime) == total - 1  # the first batch is committed
    report = rekey.rotate(runtime.db, runtime.cipher, Base.metadata)
    assert sum(report.resealed.values()) == total - 1 and report.remaining == 0


def test_without_the_previous_key_the_rotation_stops_with_a_clear_message(state, world):
    runtime = Runtime(replace(state.settings, data_key=NEW), db=state.db)
    before = stale_counts(runtime)
    result = CliRunner().invoke(main, ["key", "rotate"], obj=given(runtime))
    assert result.exit_code == 2 and "HOTLINE_DATA_KEY_PREVIOUS" in result.output
    assert "Traceback" not in result.output and stale_counts(runtime) == before


def test_every_sealed_column_is_discovered_with_its_digest():
    found = {c.name: c.digest.name if c.digest is not None else None for c in rekey.sealed_columns(Base.metadata)}
    assert found["tickets.caller_phone_sealed"] == "caller_phone_digest"
    assert found["tickets.caller_name_sealed"] is None
    assert found["children.id_number_sealed"] == "id_number_digest"
    assert found["users.totp_secret_sealed"] is None


def test_the_previous_key_is_validated():
    env = {"HOTLINE_SECRET_KEY": "k" * 40, "HOTLINE_INSTANCE_PATH": "/nonexistent/hotline", "HOTLINE_DATA_KEY": NEW}
    assert load_settings(env={**env, "HOTLINE_DATA_KEY_PREVIOUS": "secret-key"}).data_key_previous == "secret-key"
    with pytest.raises(ConfigError, match="HOTLINE_DATA_KEY_PREVIOUS"):
        load_settings(env={**env, "HOTLINE_DATA_KEY_PREVIOUS": "too-short"})
