"""Unique keys and immutability triggers of tariff versions and bills, on SQLite and PostgreSQL.

Raw SQL goes in a migration of its own: Piccolo runs `add_raw` before it creates tables.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys and immutability of tariff versions and bills"

VERSION_EDITED = "tariff versions are never edited: a new version supersedes one from its date"
BILL_EDITED = "an issued bill is immutable: correct it with a credit note and a new bill"

INDEXES = [
    # One version per service and territory per date; one version per committee decision.
    "CREATE UNIQUE INDEX tariff_version_key ON tariff_version (service, territory, valid_from)",
    "CREATE UNIQUE INDEX tariff_version_decision ON tariff_version (decision_ref)"
    " WHERE decision_ref IS NOT NULL",
    # Re-running a period issues nothing twice: one original bill per household, service and
    # period. Household first: a household's bills, and the check of a batch of consecutive
    # households, read a range of this one index; every index costs a run of 100,000 bills
    # a tenth of a second. (Bill numbers are unique through `bill.number`, which holds the
    # year and the sequence number.)
    "CREATE UNIQUE INDEX bill_period_key ON bill (household, service, period)"
    " WHERE kind = 'bill' AND replaces IS NULL",
    # A bill is cancelled by one credit note at most, and replaced by one bill at most.
    "CREATE UNIQUE INDEX bill_cancels_key ON bill (cancels) WHERE cancels IS NOT NULL",
    "CREATE UNIQUE INDEX bill_replaces_key ON bill (replaces) WHERE replaces IS NOT NULL",
]

IMMUTABLE = {"tariff_version": VERSION_EDITED, "bill": BILL_EDITED, "bill_content": BILL_EDITED}

SQLITE_TRIGGERS = [
    f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table}"
    f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
    for table, message in IMMUTABLE.items()
]

POSTGRES_TRIGGERS = [
    "CREATE FUNCTION tariffs_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation'; END $$",
    *(
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION tariffs_refuse_update('{message}')"
        for table, message in IMMUTABLE.items()
    ),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tariffs", description=DESCRIPTION)

    async def create_keys():
        engine = engine_finder()
        triggers = POSTGRES_TRIGGERS if engine.engine_type == "postgres" else SQLITE_TRIGGERS
        for statement in INDEXES + triggers:
            await engine.run_ddl(statement)

    manager.add_raw(create_keys)
    return manager
