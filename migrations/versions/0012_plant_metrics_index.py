"""plant_metrics: drop ix_plant_metrics_plant_id

Both the unique (plant_id, week_number) and ix_plant_metrics_plant_week_voided begin with
plant_id, so every lookup by plant already has an index; the third was one more B-tree to
write on every measurement and to keep in memory.

Revision ID: 0012_plant_metrics_index
Revises: 0011_idempotency_headers
Create Date: 2026-12-01 22:50:00
"""
from alembic import op

revision = '0012_plant_metrics_index'
down_revision = '0011_idempotency_headers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('plant_metrics', schema=None) as batch_op:
        batch_op.drop_index('ix_plant_metrics_plant_id')


def downgrade() -> None:
    with op.batch_alter_table('plant_metrics', schema=None) as batch_op:
        batch_op.create_index('ix_plant_metrics_plant_id', ['plant_id'], unique=False)
