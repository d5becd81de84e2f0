"""business hours, SLA policies, teams and routing rules

- ``business_hours``: calendars (time zone, weekly intervals, holidays).
- ``sla_policies``, ``sla_breaches``: targets by conditions; missed targets for reports.
- ``teams``, ``team_members``, ``routing_rules``: where a new ticket goes and who gets it.
- ``tickets``: its team and SLA clock (policy, due times, pause), what the inbox sorts by.

Revision ID: 18a0s1a00006
Revises: 17c1a1m50005
Create Date: 2026-12-07 22:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftercare.db

revision: str = "18a0s1a00006"
down_revision: str | Sequence[str] | None = "17c1a1m50005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "business_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("intervals", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_hours")),
        sa.UniqueConstraint("name", name=op.f("uq_business_hours_name")),
    )
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    with op.batch_alter_table("routing_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routing_rules_position"), ["position"], unique=False)

    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("first_response_minutes", sa.Integer(), nullable=False),
        sa.Column("next_response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["business_hours.id"],
            name=op.f("fk_sla_policies_business_hours_id_business_hours"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("assignment", sa.String(length=16), nullable=False),
        sa.Column("business_hours_id", sa.Integer(), nullable=True),
        sa.Column("last_assigned_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_hours_id"],
            ["business_hours.id"],
            name=op.f("fk_teams_business_hours_id_business_hours"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["last_assigned_user_id"],
            ["users.id"],
            name=op.f("fk_teams_last_assigned_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("max_open_tickets", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_team_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_members_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("due_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", aftercare.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_sla_breaches_policy_id_sla_policies"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_sla_breaches_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint("ticket_id", "target", name=op.f("uq_sla_breaches_ticket_id_target")),
    )
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_breaches_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_sla_breaches_policy_id"), ["policy_id"], unique=False)

    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_policy_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sla_started_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_paused_seconds", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("first_response_due_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("first_responded_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution_due_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_next_due_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sla_at_risk_at", aftercare.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_sla_next_due_at"), ["sla_next_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_team_id"), ["team_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_team_id_teams"), "teams", ["team_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_sla_policy_id_sla_policies"),
            "sla_policies",
            ["sla_policy_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_sla_policy_id_sla_policies"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_tickets_team_id_teams"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_team_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_sla_next_due_at"))
        for column in (
            "sla_at_risk_at",
            "sla_next_due_at",
            "resolution_due_at",
            "first_responded_at",
            "first_response_due_at",
            "sla_paused_seconds",
            "sla_paused_at",
            "sla_started_at",
            "sla_policy_id",
            "team_id",
        ):
            batch_op.drop_column(column)
    for table in ("sla_breaches", "team_members", "teams", "sla_policies", "routing_rules", "business_hours"):
        op.drop_table(table)
