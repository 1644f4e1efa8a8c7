"""audit_v2: audit_log.hash_version — rows written so far are version 1 (sha256), new rows
version 2 (HMAC with GROWAPP_AUDIT_KEY over a canonical serialisation)

Revision ID: 0006_audit_v2
Revises: 0005_sessions
Create Date: 2026-12-01 10:15:00.000000
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_audit_v2'
down_revision = '0005_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash_version', sa.Integer(), nullable=False,
                                      server_default=sa.text('1')))


def downgrade() -> None:
    # Version 2 rows cannot be checked by the version 1 code once the column is gone.
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash_version')
