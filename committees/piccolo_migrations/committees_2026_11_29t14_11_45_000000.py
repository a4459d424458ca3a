"""Composite unique keys of committees, on SQLite and PostgreSQL alike."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T14:11:45:000000"
VERSION = "1.38.0"
DESCRIPTION = "one current vote per member, one signature per household, and other keys"

STATEMENTS = [
    # Issue 4: one current vote per member per proposal, enforced by the database.
    "CREATE UNIQUE INDEX vote_one_current ON vote (proposal, account)",
    # One co-signature per household (the right to contribute counts households, not accounts).
    "CREATE UNIQUE INDEX signature_one_per_household ON signature (proposal, household)",
    "CREATE UNIQUE INDEX elector_once ON elector (proposal, account)",
    "CREATE UNIQUE INDEX college_name ON college (committee, name)",
    "CREATE UNIQUE INDEX college_tally_key ON college_tally (proposal, college)",
    "CREATE UNIQUE INDEX notification_once ON notification (account, kind, proposal)",
    # A committee governs one service of one territory.
    "CREATE UNIQUE INDEX committee_service_territory ON committee (service, territory)",
    # An account sits in one college of a committee at a time.
    "CREATE UNIQUE INDEX membership_open ON membership (committee, account) WHERE ends_at IS NULL",
    "CREATE INDEX membership_committee ON membership (committee, starts_at)",
    "CREATE INDEX vote_history_proposal ON vote_history (proposal, id)",
    "CREATE INDEX proposal_due ON proposal (status, deadline)",
    "CREATE INDEX notification_unsent ON notification (emailed_at, account)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="committees", description=DESCRIPTION)

    async def create_keys():
        engine = engine_finder()
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create_keys)
    return manager
