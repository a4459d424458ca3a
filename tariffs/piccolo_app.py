"""Piccolo app of `tariffs`: Tariff versions and bills."""

from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

CURRENT_DIRECTORY = Path(__file__).resolve().parent

APP_CONFIG = AppConfig(
    app_name="tariffs",
    migrations_folder_path=str(CURRENT_DIRECTORY / "piccolo_migrations"),
    table_classes=table_finder(modules=["tariffs.tables"], exclude_imported=True),
    migration_dependencies=["regie.piccolo_app"],
    commands=[],
)
