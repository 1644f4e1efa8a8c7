"""corrections: feeding logs, measurements, notes and adverse events can be corrected or
voided with a reason (issue 10, "mistakes can be mended")

Revision ID: 0003_corrections
Revises: 0002_jobs
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import growapp.models.base

revision = '0003_corrections'
down_revision = '0002_jobs'
branch_labels = None
depends_on = None

TABLES = ("feeding_logs", "plant_metrics", "notes", "adverse_events")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('voided_at', growapp.models.base.UTCDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('void_reason', sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column('corrected_at', growapp.models.base.UTCDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column('correction_reason', sa.Text(), server_default='', nullable=False))
            batch_op.add_column(sa.Column('amended_by_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_amended_by_id_users'), 'users', ['amended_by_id'], ['id'])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_amended_by_id_users'), type_='foreignkey')
            batch_op.drop_column('amended_by_id')
            batch_op.drop_column('correction_reason')
            batch_op.drop_column('corrected_at')
            batch_op.drop_column('void_reason')
            batch_op.drop_column('voided_at')
