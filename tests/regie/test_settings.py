"""Every setting is documented in the README, and read from its own variable."""

import re
from pathlib import Path

from regie.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_in_the_readme() -> None:
    source = (ROOT / "regie" / "settings.py").read_text()
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r'"(REGIE_[A-Z_]+)"', source))
    assert len(names) >= 15
    missing = sorted(name for name in names if name not in readme)
    assert missing == []


def test_settings_come_from_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("REGIE_MQTT_URL", "mqtt://u:p@broker:1884")
    monkeypatch.setenv("REGIE_INGEST_BATCH", "123")
    monkeypatch.setenv("REGIE_DATABASE_URL", "postgresql://x@db/regie")
    settings = Settings()
    assert settings.mqtt.url == "mqtt://u:p@broker:1884"
    assert settings.ingest.batch_size == 123
    assert settings.database.is_postgres
