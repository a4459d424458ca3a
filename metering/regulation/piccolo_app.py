"""Piccolo app of the regulation: rule sets, drought levels, night use, cases and notices."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = Path(__file__).resolve().parent

APP_CONFIG = AppConfig(
    app_name="regulation",
    migrations_folder_path=str(CURRENT_DIRECTORY / "piccolo_migrations"),
    table_classes=table_finder(modules=["metering.regulation.tables"], exclude_imported=True),
    migration_dependencies=["metering.piccolo_app"],
    commands=[],
)
