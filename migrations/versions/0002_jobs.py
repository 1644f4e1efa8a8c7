"""jobs: one table for background work (label PDFs, exports) with a runner heartbeat

label_jobs rows move into jobs (kind 'labels'); the PDFs they point at keep their keys
(labels/<uuid>.pdf in the file store).

Revision ID: 0002_jobs
Revises: 0001_baseline
Create Date: 2026-12-01 09:23:41.971738
"""
from alembic import op
import sqlalchemy as sa
import growapp.models.base
from sqlalchemy.dialects import postgresql

revision = '0002_jobs'
down_revision = '0001_baseline'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
WHEN = growapp.models.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('file_key', sa.String(length=255), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('runner', sa.String(length=120), nullable=False),
    sa.Column('started_at', WHEN, nullable=True),
    sa.Column('heartbeat_at', WHEN, nullable=True),
    sa.Column('finished_at', WHEN, nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', WHEN, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', WHEN, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("kind in ('labels', 'export')", name=op.f('ck_jobs_kind')),
    sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed', 'expired')", name=op.f('ck_jobs_status')),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], name=op.f('fk_jobs_experiment_id_experiments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    sa.UniqueConstraint('uuid', name=op.f('uq_jobs_uuid'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_experiment_id'), ['experiment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_user_id'), ['user_id'], unique=False)

    op.execute(
        "INSERT INTO jobs (uuid, kind, experiment_id, user_id, status, options, total, done, "
        "file_key, file_name, error, runner, heartbeat_at, finished_at, created_at, updated_at) "
        "SELECT uuid, 'labels', experiment_id, user_id, status, options, total, done, "
        "file_path, '', error, '', updated_at, finished_at, created_at, updated_at "
        "FROM label_jobs ORDER BY id")

    with op.batch_alter_table('label_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_jobs_experiment_id'))

    op.drop_table('label_jobs')


def downgrade() -> None:
    op.create_table('label_jobs',
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('experiment_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('options', JSON, nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('file_path', sa.String(length=255), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('finished_at', WHEN, nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', WHEN, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', WHEN, server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("status in ('queued', 'running', 'done', 'failed')", name=op.f('ck_label_jobs_status')),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], name=op.f('fk_label_jobs_experiment_id_experiments')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_label_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_label_jobs')),
    sa.UniqueConstraint('uuid', name=op.f('uq_label_jobs_uuid'))
    )
    with op.batch_alter_table('label_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_label_jobs_experiment_id'), ['experiment_id'], unique=False)

    # Only label jobs of an experiment existed before; an expired one had lost its file.
    op.execute(
        "INSERT INTO label_jobs (uuid, experiment_id, user_id, status, options, total, done, "
        "file_path, error, finished_at, created_at, updated_at) "
        "SELECT uuid, experiment_id, user_id, "
        "CASE WHEN status = 'expired' THEN 'failed' ELSE status END, options, total, done, "
        "file_key, error, finished_at, created_at, updated_at "
        "FROM jobs WHERE kind = 'labels' AND experiment_id IS NOT NULL ORDER BY id")

    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_user_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_jobs_experiment_id'))

    op.drop_table('jobs')
