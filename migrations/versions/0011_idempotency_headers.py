"""idempotency_records.headers: a replayed htmx answer keeps its HX-Redirect/HX-Refresh

Revision ID: 0011_idempotency_headers
Revises: 0010_sealed_channel_secrets
Create Date: 2026-12-01 16:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011_idempotency_headers'
down_revision = '0010_sealed_channel_secrets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.Text(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_column('headers')
