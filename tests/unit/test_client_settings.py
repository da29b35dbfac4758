from wave_lsp.config.client_settings import ClientSettings, parse_client_settings


def test_defaults() -> None:
    assert parse_client_settings(None) == (ClientSettings(), [])


def test_typed_settings_and_section_wrapper() -> None:
    settings, problems = parse_client_settings({"wave": {"logLevel": "debug", "debounceMs": 50}})
    assert problems == []
    assert settings.log_level == "debug"
    assert settings.debounce_ms == 50


def test_invalid_fields_fall_back_one_by_one() -> None:
    settings, problems = parse_client_settings({"logLevel": "loud", "debounceMs": 80, "colour": 1})
    assert settings.debounce_ms == 80
    assert settings.log_level is None
    assert len(problems) == 2
    assert any("logLevel" in p for p in problems)
    assert any("colour" in p for p in problems)


def test_not_an_object() -> None:
    settings, problems = parse_client_settings(["x"])
    assert settings == ClientSettings()
    assert problems == ["settings must be an object, got list"]


def test_the_client_side_keys_of_the_section_are_not_reported() -> None:
    """VS Code sends the whole ``wave`` section, its server command and tracing included."""
    settings, problems = parse_client_settings(
        {"server": {"command": ["wave", "lsp"]}, "trace": {"server": "off"}, "persona": "x"}
    )
    assert problems == [] and settings.persona == "x"
    _, problems = parse_client_settings({"persnoa": "x"})
    assert problems and "persnoa" in problems[0]  # a typo is still reported
