"""webhook secrets sealed at rest: alert_channels.secret becomes text (a sealed value is
longer than the 200 characters a secret may have)

Existing rows keep their plaintext secret, which still works (a value without the "v1:"
prefix is read as it is); the worker's periodic task seals them (it has the key, a
migration does not).

Revision ID: 0010_sealed_channel_secrets
Revises: 0009_readiness_indexes
Create Date: 2026-12-01 15:50:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_sealed_channel_secrets'
down_revision = '0009_readiness_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=200), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    # a sealed secret does not fit 200 characters: downgrading needs plaintext rows
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.Text(), type_=sa.String(length=200),
                              existing_nullable=False)
