"""api tokens signing idempotency

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 11:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import hotline.orm


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_API_TOKENS = sa.table("api_tokens", sa.column("expires_at", hotline.orm.UTCDateTime()))


def upgrade() -> None:
    # API tokens: expiry (existing tokens get a year from the upgrade), last use, sealed signing secrets
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', hotline.orm.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', hotline.orm.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_used_ip', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signing_secret_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_signing_secret_sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_valid_until', hotline.orm.UTCDateTime(), nullable=True))
    op.execute(_API_TOKENS.update().values(expires_at=datetime.now(UTC) + timedelta(days=365)))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=hotline.orm.UTCDateTime(), nullable=False)

    op.create_table('api_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('seen_at', hotline.orm.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_api_nonces_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_nonces')),
    sa.UniqueConstraint('token_id', 'nonce', name=op.f('uq_api_nonces_token_id'))
    )
    with op.batch_alter_table('api_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_nonces_seen_at'), ['seen_at'], unique=False)

    # idempotency keys scoped per client token: the old global keys cannot be attributed to a token and
    # only ever protected retries of a few minutes, so they are dropped with their table
    op.drop_table('idempotency_keys')
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', hotline.orm.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_idempotency_keys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_idempotency_keys_token_id_api_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('token_id', 'key', name=op.f('uq_idempotency_keys_token_id'))
    )


def downgrade() -> None:
    op.drop_table('idempotency_keys')
    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_sha256', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('created_at', hotline.orm.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_idempotency_keys_ticket_id_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('api_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_nonces_seen_at'))
    op.drop_table('api_nonces')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_valid_until')
        batch_op.drop_column('previous_signing_secret_sealed')
        batch_op.drop_column('signing_secret_sealed')
        batch_op.drop_column('last_used_ip')
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')
