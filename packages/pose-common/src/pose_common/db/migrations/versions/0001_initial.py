"""Sessions, frames and predictions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", postgresql.UUID(as_uuid=False), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False, server_default=""),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_created_at", "sessions", ["created_at"])
    op.create_table(
        "frames",
        sa.Column("session_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("person", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("t", sa.Float(), nullable=False),
        sa.Column("detector", sa.String(64), nullable=False),
        sa.Column("detector_version", sa.String(64), nullable=False, server_default=""),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("keypoints", postgresql.ARRAY(postgresql.REAL()), nullable=False),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("session_id", "seq", "person", name="pk_frames"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            ondelete="CASCADE",
            name="fk_frames_session_id_sessions",
        ),
    )
    op.create_index("ix_frames_received_at", "frames", ["received_at"])
    op.create_table(
        "predictions",
        sa.Column("session_id", postgresql.UUID(as_uuid=False), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("person", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("model", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("probability", postgresql.REAL(), nullable=False),
        sa.Column("probabilities", postgresql.JSONB(), nullable=False),
        sa.Column("latency_ms", postgresql.REAL(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("session_id", "seq", "person", "model", name="pk_predictions"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            ondelete="CASCADE",
            name="fk_predictions_session_id_sessions",
        ),
    )


def downgrade() -> None:
    op.drop_table("predictions")
    op.drop_table("frames")
    op.drop_table("sessions")
