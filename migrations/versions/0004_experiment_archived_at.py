"""experiments.archived_at: archived trials leave the list (issue 11, the desk)

Revision ID: 0004_experiment_archived_at
Revises: 0003_corrections
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import growapp.models.base

revision = '0004_experiment_archived_at'
down_revision = '0003_corrections'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', growapp.models.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_experiments_archived_at'), ['archived_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('experiments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiments_archived_at'))
        batch_op.drop_column('archived_at')
