"""knowledge base: the ranking index replaces full-text candidate search

Search now builds one in-memory ranking index per content generation from the tokens stored in
``kb_passages`` (``knowledge_base.ranker``) and scores every passage, so the full-text objects that
preselected candidates (FTS5 ``kb_fts`` on SQLite, the generated ``tsv`` column and its GIN index on
PostgreSQL) and the document-frequency table ``kb_terms`` are no longer read.  They cost every import
and edit a write, so they go.  Downgrade recreates and refills them from the stored tokens.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS kb_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_passages_tsv")
        op.execute("ALTER TABLE kb_passages DROP COLUMN IF EXISTS tsv")
    op.drop_table("kb_terms")


def downgrade() -> None:
    op.create_table(
        "kb_terms",
        sa.Column("term", sa.String(length=128), nullable=False),
        sa.Column("df", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_kb_terms")),
    )
    op.execute(
        "INSERT INTO kb_terms (term, df) SELECT term, count(DISTINCT id) FROM ("
        + _tokens_sql()
        + ") AS t WHERE term <> '' GROUP BY term"
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE kb_fts USING fts5("
            "passage_id UNINDEXED, tokens_title, tokens_tags, tokens_body, tokenize='unicode61')"
        )
        op.execute("INSERT INTO kb_fts (passage_id, tokens_title, tokens_tags, tokens_body) "
                   "SELECT id, tokens_title, tokens_tags, tokens_body FROM kb_passages")
    else:
        op.execute(
            "ALTER TABLE kb_passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', "
            "tokens_title || ' ' || tokens_tags || ' ' || tokens_body)) STORED"
        )
        op.execute("CREATE INDEX ix_kb_passages_tsv ON kb_passages USING gin (tsv)")


def _tokens_sql() -> str:
    """Every (passage id, token) pair of the stored space-joined tokens."""
    if op.get_bind().dialect.name == "sqlite":
        return (
            "WITH RECURSIVE split(id, term, rest) AS ("
            " SELECT id, '', tokens_title || ' ' || tokens_tags || ' ' || tokens_body || ' ' FROM kb_passages"
            " UNION ALL SELECT id, substr(rest, 1, instr(rest, ' ') - 1), substr(rest, instr(rest, ' ') + 1)"
            " FROM split WHERE rest <> '') SELECT id, term FROM split"
        )
    return ("SELECT id, unnest(string_to_array(tokens_title || ' ' || tokens_tags || ' ' || tokens_body, ' ')) AS term"
            " FROM kb_passages")
