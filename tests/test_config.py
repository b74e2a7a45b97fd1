"""Configuration: ACADEMY_* variables, a secret key made once, never a constant."""

import pytest

from academy import create_app, instance_secret_key


def test_settings_come_from_academy_environment_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("ACADEMY_DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("ACADEMY_REVIEW_TARGET_HOURS", "24")
    app = create_app({"SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'x.db'}"
    assert app.config["REVIEW_TARGET_HOURS"] == 24


def test_default_database_is_a_file_in_the_instance_folder(monkeypatch):
    monkeypatch.delenv("ACADEMY_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "k"})
    assert app.config["DATABASE_URL"].startswith("sqlite:///")
    assert app.config["DATABASE_URL"].endswith("instance/academy.db")


def test_secret_key_is_generated_once_and_kept(tmp_path):
    path = tmp_path / "secret_key"
    first = instance_secret_key(path)
    assert len(first) == 64
    assert instance_secret_key(path) == first
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert instance_secret_key(tmp_path / "other") != first


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("REVIEW_OBJECTIVE", 1.0, "ACADEMY_REVIEW_OBJECTIVE must be above 0 and below 1"),
        ("REVIEW_OBJECTIVE", 0, "ACADEMY_REVIEW_OBJECTIVE must be above 0 and below 1"),
        ("REVIEW_OBJECTIVE", "ninety", "must be numbers"),
        ("REVIEW_TARGET_HOURS", -4, "ACADEMY_REVIEW_TARGET_HOURS must be a positive number"),
        ("REVIEW_TARGET_HOURS", "inf", "ACADEMY_REVIEW_TARGET_HOURS must be a positive number"),
        ("KEPT_PAGES_BYTES", "16MB", "ACADEMY_KEPT_PAGES_BYTES must be a whole number of bytes"),
        ("KEPT_PAGES_BYTES", "-1", "ACADEMY_KEPT_PAGES_BYTES must be a whole number of bytes"),
        ("KEPT_PAGES_BYTES", 1.5, "ACADEMY_KEPT_PAGES_BYTES must be a whole number of bytes"),
    ],
)
def test_settings_that_would_break_pages_are_refused_at_start(setting, value, message):
    with pytest.raises(ValueError, match=message):
        create_app({"SECRET_KEY": "k", setting: value})


def test_kept_pages_setting_from_the_environment_is_a_number(monkeypatch):
    monkeypatch.setenv("ACADEMY_KEPT_PAGES_BYTES", "2000000")
    assert create_app({"SECRET_KEY": "k"}).config["KEPT_PAGES_BYTES"] == 2_000_000
