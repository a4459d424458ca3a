"""Piccolo app of `regie`: régie's own tables: households (accounts come with the web issue)."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = Path(__file__).resolve().parent

APP_CONFIG = AppConfig(
    app_name="regie",
    migrations_folder_path=str(CURRENT_DIRECTORY / "piccolo_migrations"),
    table_classes=table_finder(modules=["regie.tables"], exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
