"""Training: subjects and sources of sessions, training jobs, the model registry and its events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    # Who is in a session (splits group by it) and where it came from (an import, the browser).
    op.add_column("sessions", sa.Column("subject", sa.Text(), nullable=True))
    op.add_column("sessions", sa.Column("source", sa.Text(), nullable=False, server_default=""))
    # Datasets select labelled frames only.
    op.create_index(
        "ix_frames_label",
        "frames",
        ["label"],
        postgresql_where=sa.text("label IS NOT NULL"),
    )
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("request", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("progress", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("result", postgresql.JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("worker", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        _created_at(),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_training_jobs"),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name="status",
        ),
    )
    op.create_index("ix_training_jobs_model", "training_jobs", ["model", "created_at"])
    op.create_table(
        "model_versions",
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(128), nullable=True),
        sa.Column("config", sa.String(128), nullable=False, server_default=""),
        sa.Column("metrics", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("training_data", postgresql.JSONB(), nullable=False, server_default="{}"),
        sa.Column("parent_version", sa.Integer(), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("model", "version", name="pk_model_versions"),
        sa.UniqueConstraint("job_id", name="uq_model_versions_job_id"),
    )
    op.create_table(
        "model_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("alias", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", postgresql.JSONB(), nullable=False, server_default="{}"),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_model_events"),
    )
    op.create_index("ix_model_events_model", "model_events", ["model", "id"])


def downgrade() -> None:
    op.drop_table("model_events")
    op.drop_table("model_versions")
    op.drop_table("training_jobs")
    op.drop_index("ix_frames_label", table_name="frames")
    op.drop_column("sessions", "source")
    op.drop_column("sessions", "subject")
