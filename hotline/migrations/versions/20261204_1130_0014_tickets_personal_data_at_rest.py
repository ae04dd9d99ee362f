"""tickets personal data at rest

The caller's name and phone and the address of every ticket are sealed (``*_sealed``), with keyed digests
for exact lookups and masked copies for lists (``hotline.tickets.personal``), and the plaintext columns are
dropped; ``personal_data_purged_at`` marks tickets whose personal data the retention purge removed.

Existing rows are sealed here, in the same transaction as the schema change: there is never a moment when
both the plaintext and the sealed copy exist, and a failure leaves the database at 0013. The key comes from
``hotline init`` (``hotline.migrate.upgrade(..., cipher=runtime.cipher)`` puts the runtime's cipher in the
Alembic config's attributes); run without one (plain ``alembic upgrade``), the migration refuses a database
that holds any ticket personal data instead of dropping it.

On SQLite the columns are added and dropped with plain ALTER TABLE (``recreate="never"``): recreating
``tickets`` would drop it, and with foreign keys on that deletes its events in cascade.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hotline.orm

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
_NEW = (
    ('caller_name_sealed', sa.Text()), ('caller_name_masked', sa.String(length=64)),
    ('caller_phone_sealed', sa.Text()), ('caller_phone_digest', sa.String(length=64)),
    ('caller_phone_masked', sa.String(length=32)),
    ('address_sealed', sa.Text()), ('address_digest', sa.String(length=64)), ('address_masked', sa.String(length=200)),
)
_OLD = (('caller_name', sa.String(length=64)), ('caller_phone', sa.String(length=32)),
        ('address', sa.String(length=200)))
_INDEXED = ('caller_phone_digest', 'address_digest', 'personal_data_purged_at')


def _cipher():  # noqa: ANN202
    return op.get_context().config.attributes.get("cipher") if op.get_context().config is not None else None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        for name, type_ in _NEW:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column('personal_data_purged_at', hotline.orm.UTCDateTime(), nullable=True))
        for name in _INDEXED:
            batch_op.create_index(batch_op.f(f'ix_tickets_{name}'), [name], unique=False)
    _seal_existing_rows()
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_caller_phone'))
        batch_op.drop_index(batch_op.f('ix_tickets_address'))
        for name, _ in _OLD:
            batch_op.drop_column(name)


def _seal_existing_rows() -> None:
    from hotline.accounts.privacy import mask_address, mask_name, mask_phone
    from hotline.tickets.personal import address_key, phone_key

    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id', sa.Integer), *(sa.column(n, t) for n, t in _OLD + _NEW))
    holding = sa.or_(*(tickets.c[n].is_not(None) for n, _ in _OLD))
    cipher = _cipher()
    if cipher is None:
        if bind.execute(sa.select(sa.func.count()).select_from(tickets).where(holding)).scalar():
            raise RuntimeError("迁移 0014 要用数据密钥加密已有工单的来电人信息和地址：请用 hotline init 升级数据库")
        return
    last = 0
    while True:
        rows = bind.execute(sa.select(tickets.c.id, tickets.c.caller_name, tickets.c.caller_phone, tickets.c.address)
                            .where(tickets.c.id > last, holding).order_by(tickets.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            name, phone, address = (v.strip() if v and v.strip() else None
                                    for v in (row.caller_name, row.caller_phone, row.address))
            bind.execute(tickets.update().where(tickets.c.id == row.id).values(
                caller_name_sealed=cipher.seal(name), caller_name_masked=mask_name(name) or None,
                caller_phone_sealed=cipher.seal(phone), caller_phone_digest=cipher.digest(phone_key(phone)),
                caller_phone_masked=mask_phone(phone) or None,
                address_sealed=cipher.seal(address), address_digest=cipher.digest(address_key(address)),
                address_masked=(mask_address(address) or "")[:200] or None,
                caller_name=None, caller_phone=None, address=None))
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        for name, type_ in _OLD:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_caller_phone'), ['caller_phone'], unique=False)
    bind = op.get_bind()
    tickets = sa.table('tickets', sa.column('id', sa.Integer), *(sa.column(n, t) for n, t in _OLD + _NEW))
    sealed = sa.or_(*(tickets.c[n].is_not(None) for n in ('caller_name_sealed', 'caller_phone_sealed', 'address_sealed')))
    cipher = _cipher()
    if cipher is None:
        if bind.execute(sa.select(sa.func.count()).select_from(tickets).where(sealed)).scalar():
            raise RuntimeError("降级 0014 要用数据密钥解密工单的来电人信息和地址，请在程序中用 hotline.migrate 降级")
    else:
        for row in bind.execute(sa.select(tickets.c.id, tickets.c.caller_name_sealed, tickets.c.caller_phone_sealed,
                                          tickets.c.address_sealed).where(sealed)).all():
            bind.execute(tickets.update().where(tickets.c.id == row.id).values(
                caller_name=cipher.open(row.caller_name_sealed), caller_phone=cipher.open(row.caller_phone_sealed),
                address=cipher.open(row.address_sealed)))
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        for name in reversed(_INDEXED):
            batch_op.drop_index(batch_op.f(f'ix_tickets_{name}'))
        batch_op.drop_column('personal_data_purged_at')
        for name, _ in reversed(_NEW):
            batch_op.drop_column(name)
