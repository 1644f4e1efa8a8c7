"""sessions: server-side sign-ins, password resets, per-account sign-in lock

user_sessions: one row per signed-in browser (the cookies carry its token; only the hash
is stored), so sign-out and password changes end sessions for real. password_resets:
one-time reset links (hash only) and the requests that count towards their rate limit.
login_throttles: one row per email, locked by each sign-in attempt for that email.
Existing sign-in cookies stop working: everyone signs in once more after this upgrade.

Revision ID: 0005_sessions
Revises: 0004_experiment_archived_at
Create Date: 2026-12-01 09:53:52.929074
"""
from alembic import op
import sqlalchemy as sa
import growapp.models.base


revision = '0005_sessions'
down_revision = '0004_experiment_archived_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('attempted_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_login_throttles'))
    )
    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', growapp.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_password_resets_issued_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index('ix_password_resets_email_created_at', ['email', 'created_at'], unique=False)
        batch_op.create_index('ix_password_resets_ip_created_at', ['ip', 'created_at'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', growapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', growapp.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_id_revoked_at', ['user_id', 'revoked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_id_revoked_at')

    op.drop_table('user_sessions')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index('ix_password_resets_ip_created_at')
        batch_op.drop_index('ix_password_resets_email_created_at')

    op.drop_table('password_resets')
    op.drop_table('login_throttles')
