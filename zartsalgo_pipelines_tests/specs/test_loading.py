"""Scenario: an author edits the shipped `quote_request` defs.yaml and breaks it: a YAML syntax
error, an inline secret where a variable NAME belongs, a duplicated target, a wrong type, an
unknown key, a key written twice. Each is refused by the spec loader (which the CLI and the
Dagster definitions both use) with the file, the line of the offending field, its path and the
rule; a value that may be a secret is never echoed back."""

import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from zartsalgo_pipelines.definitions import build_definitions
from zartsalgo_pipelines.settings import DEFS_DIR, REPOSITORY_DIR
from zartsalgo_pipelines.specs.errors import ProviderSpecError
from zartsalgo_pipelines.specs.loading import load_spec_file, load_specs

SHIPPED = (DEFS_DIR / "quote_request" / "defs.yaml").read_text(encoding="utf-8")
SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def edit(old: str, new: str) -> str:
    assert SHIPPED.count(old) == 1, f"the shipped spec changed: {old!r}"
    return SHIPPED.replace(old, new)


# (id, edited text, text on the line to be named, field path, rule, value that must not show)
REFUSED = [
    (
        "duplicate target reported at the duplicate",
        edit("target: contact_phone", "target: contact_name"),
        "contact.phone, target: contact_name",
        "attributes.fields.7.target",
        r"`contact_name` is mapped twice",
        None,
    ),
    (
        "inline credential",
        edit(
            "model: none          # exports",
            "model: bearer\n    credentials: {token: " + SECRET + "}\n    # exports",
        ).replace("    credentials: {}\n", ""),
        "credentials: {token:",
        "attributes.auth.credentials.token",
        r"should match pattern .*value not shown: it may be a secret",
        SECRET,
    ),
    (
        "inline webhook secret",
        edit("secrets: [QUOTE_REQUEST_WEBHOOK_SECRET,", f"secrets: [{WEBHOOK_SECRET},"),
        "secrets: [whsec_",
        "attributes.webhook.secrets.0",
        r"value not shown",
        WEBHOOK_SECRET,
    ),
    (
        "secret under an unknown key",
        edit("    credentials: {}\n", f"    credentials: {{}}\n    token: {SECRET}\n"),
        "token: sk_live",
        "attributes.auth.token",
        r"Extra inputs are not permitted \(unknown key; its value is not shown\)",
        SECRET,
    ),
    (
        "unknown field type, value shown",
        edit("type: decimal, min: 0", "type: money, min: 0"),
        "type: money",
        "attributes.fields.9.type",
        r"'string', 'integer', 'decimal', .* \(got 'money'\)",
        None,
    ),
    (
        "target that is not a column",
        edit("target: source_page", "target: notes"),
        "target: notes",
        "attributes.fields.13.target",
        r"`notes` is not a field of quote_request; valid: \[",
        None,
    ),
    (
        "type that cannot fill the column",
        edit("target: submitted_at, type: datetime", "target: submitted_at, type: date"),
        "target: submitted_at, type: date,",
        "attributes.fields.2.type",
        r"cannot fill quote_request.submitted_at; expected one of \['datetime'\]",
        None,
    ),
    (
        "metric on an unmapped field",
        edit("field: contact_email", "field: fax"),
        "field: fax",
        "attributes.metrics.1.field",
        r"`fax` is not a mapped target",
        None,
    ),
    (
        "missing key reported at its parent",
        edit("      unit: {one: request, other: requests}\n", ""),
        "- key: requests_received",
        "attributes.metrics.0.unit",
        r"Field required",
        None,
    ),
    (
        "webhook rule reported at the webhook",
        edit("record_path: data ", "signed_content: '{id}.{timestamp}'\n    record_path: data "),
        "webhook:",
        "attributes.webhook",
        r"signed_content must include \{body\}",
        None,
    ),
]
IDS = [case[0] for case in REFUSED]


def line_with(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if marker in line)


def expected(path: Path, text: str, marker: str, field: str, rule: str) -> str:
    return re.escape(f"{path}:{line_with(text, marker)}: {field}: ") + ".*" + rule


@pytest.mark.parametrize(("case", "text", "marker", "field", "rule", "hidden"), REFUSED, ids=IDS)
def test_the_cli_loader_names_file_line_path_and_rule(
    tmp_path: Path, case: str, text: str, marker: str, field: str, rule: str, hidden: str | None
) -> None:
    spec_file = tmp_path / "defs.yaml"
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(ProviderSpecError, match=expected(spec_file, text, marker, field, rule)):
        try:
            load_spec_file(spec_file)
        except ProviderSpecError as refused:
            assert hidden is None or hidden not in str(refused)
            raise


@pytest.fixture
def scratch_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """A throwaway dg project holding one provider spec; returns its defs.yaml path."""

    def make(text: str) -> Path:
        package = f"scratch_{uuid.uuid4().hex[:8]}"
        root = tmp_path / package
        spec_file = root / package / "defs" / "broken_provider" / "defs.yaml"
        spec_file.parent.mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        (root / "pyproject.toml").write_text(
            f'[tool.dg]\ndirectory_type = "project"\n[tool.dg.project]\nroot_module = "{package}"\n'
        )
        spec_file.write_text(text, encoding="utf-8")
        monkeypatch.syspath_prepend(str(root))
        return spec_file

    return make


# Dagster's loader is slow to start: a few cases that cover the location and secret rules.
DAGSTER_CASES = [c for c in REFUSED if c[0] in {IDS[0], IDS[1], IDS[3], IDS[6]}]


@pytest.mark.parametrize(
    ("case", "text", "marker", "field", "rule", "hidden"),
    DAGSTER_CASES,
    ids=[c[0] for c in DAGSTER_CASES],
)
def test_dagsters_loader_says_the_same_without_the_secret(
    scratch_project: Callable[[str], Path],
    case: str,
    text: str,
    marker: str,
    field: str,
    rule: str,
    hidden: str | None,
) -> None:
    spec_file = scratch_project(text)
    with pytest.raises(ProviderSpecError) as refused:
        build_definitions(spec_file.parent.parent.parent)
    assert re.search(expected(spec_file, text, marker, field, rule), str(refused.value))
    assert refused.value.__cause__ is None  # the chain would hold pydantic's echo of the value
    assert hidden is None or hidden not in str(refused.value)


SYNTAX = [
    ("tab indentation", edit("  status: connected", "\tstatus: connected"), 7, 1),
    ("unclosed quote", edit('cron: "15 6 * * *"', 'cron: "15 6 * * *'), 27, 1),
    (
        "unclosed flow mapping",
        edit("alerts: {max_failed_share", "alerts: [{max_failed_share"),
        28,
        1,
    ),
]


@pytest.mark.parametrize(("case", "text", "line", "column"), SYNTAX, ids=[s[0] for s in SYNTAX])
def test_a_yaml_syntax_error_names_the_file_and_line(
    tmp_path: Path, case: str, text: str, line: int, column: int
) -> None:
    spec_file = tmp_path / "defs.yaml"
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    message = str(refused.value)
    found = re.match(re.escape(f"{spec_file}:") + r"(\d+):(\d+): YAML syntax error: ", message)
    assert found, message
    assert "<unicode string>" not in message
    assert int(found[1]) >= line  # PyYAML notices a problem at or after the line that has it
    assert int(found[2]) >= column


def test_a_provider_key_used_twice_is_reported_at_the_second_key(tmp_path: Path) -> None:
    for folder in ("a_first", "b_second"):
        (tmp_path / folder).mkdir()
        shutil.copy(DEFS_DIR / "quote_request" / "defs.yaml", tmp_path / folder / "defs.yaml")
    second = tmp_path / "b_second" / "defs.yaml"
    line = line_with(SHIPPED, "key: quote_request")
    with pytest.raises(ProviderSpecError, match=re.escape(f"{second}:{line}: attributes.key: ")):
        load_specs(tmp_path)


def test_a_spec_without_attributes_is_refused_at_the_top(tmp_path: Path) -> None:
    spec_file = tmp_path / "defs.yaml"
    spec_file.write_text("type: zartsalgo_pipelines.factory.component.ProviderComponent\n")
    with pytest.raises(ProviderSpecError, match=re.escape(f"{spec_file}:1: attributes: ")):
        load_spec_file(spec_file)


def test_a_wrong_component_type_names_its_line(tmp_path: Path) -> None:
    spec_file = tmp_path / "defs.yaml"
    text = edit("type: zartsalgo_pipelines.factory.component.ProviderComponent", "type: x.Y")
    spec_file.write_text(text, encoding="utf-8")
    line = line_with(text, "type: x.Y")
    with pytest.raises(ProviderSpecError, match=re.escape(f"{spec_file}:{line}: `type` must be")):
        load_spec_file(spec_file)


def test_a_key_written_twice_is_refused_at_its_second_line(tmp_path: Path) -> None:
    """PyYAML alone keeps the last of two equal keys; the author would not see which is used."""
    spec_file = tmp_path / "defs.yaml"
    text = edit("  stale_after_hours: 24\n", "  stale_after_hours: 24\n  stale_after_hours: 2\n")
    spec_file.write_text(text, encoding="utf-8")
    first = line_with(text, "stale_after_hours: 24")
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    assert re.match(
        re.escape(f"{spec_file}:{first + 1}:3: YAML syntax error: key `stale_after_hours` is ")
        + re.escape(f"given twice (first on line {first})"),
        str(refused.value),
    ), str(refused.value)


def test_an_override_of_a_merged_key_is_not_a_key_written_twice(tmp_path: Path) -> None:
    """`<<:` merges are flattened into a mapping after its own keys are checked, including a
    mapping that merges another one which is itself built later."""
    spec_file = tmp_path / "defs.yaml"
    text = edit(
        "  stale_after_hours: 24\n",
        "  stale_after_hours: 24\n  x-base: {inner: &base {<<: {days: 1}, days: 2}}\n"
        "  x-child: {<<: *base}\n",
    )
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    # Refused for the unknown keys, not for `days`: the merge itself was read.
    assert "x-base: Extra inputs are not permitted" in str(refused.value)
    assert "given twice" not in str(refused.value)


@pytest.mark.parametrize(
    ("key", "value"), [("attributs", "{}"), ("post_processing", "{}"), ("api_token", SECRET)]
)
def test_an_unknown_top_level_key_is_refused_at_its_line(
    tmp_path: Path, key: str, value: str
) -> None:
    """Dagster's component options and typos alike: the definitions do not read them, so a
    spec that holds one would silently do less than it says."""
    spec_file = tmp_path / "defs.yaml"
    text = SHIPPED + f"{key}: {value}\n"
    spec_file.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    assert f"{spec_file}:{line}: {key}: not a key of a provider spec" in str(refused.value)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    "stray",
    ["group/nested/defs.yaml", "quote_request/defs.yml", "extra/assets.py", "x/component.yaml"],
)
def test_a_file_the_definitions_would_not_load_is_refused(tmp_path: Path, stray: str) -> None:
    """Dagster's component loader would load it; the project's loader does not, so it says so
    instead of dropping a provider or an asset without a word."""
    (tmp_path / "quote_request").mkdir()
    shutil.copy(DEFS_DIR / "quote_request" / "defs.yaml", tmp_path / "quote_request")
    (tmp_path / stray).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / stray).write_text(SHIPPED, encoding="utf-8")
    with pytest.raises(ProviderSpecError, match="holds provider specs only") as refused:
        load_specs(tmp_path)
    assert str(tmp_path / stray) in str(refused.value)


def test_every_error_of_a_spec_is_reported_at_once(tmp_path: Path) -> None:
    """Five mistakes: a field error pydantic finds, two rules broken by one entry, and two rules
    across entries (which pydantic alone would check only once every field is valid). `validate`
    shows all five, each with its file, line, field path and expectation, in line order."""
    text = (
        edit("type: decimal, min: 0", "type: money, min: 0")
        .replace("target: contact_phone", "target: contact_name")
        .replace("field: contact_email", "field: fax")
        .replace(
            "{source: message, target: message, type: string, label: Message}",
            "{source: message, target: message, type: string, label: Message, scale: 2, round: 1}",
        )
    )
    spec_file = tmp_path / "defs.yaml"
    spec_file.write_text(text, encoding="utf-8")
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    lines = str(refused.value).splitlines()[1:]
    message_line = line_with(text, "target: message, type: string")
    wanted = [
        (
            line_with(text, "contact.phone, target: contact_name"),
            "attributes.fields.7.target",
            "`contact_name` is mapped twice",
        ),
        (line_with(text, "type: money"), "attributes.fields.9.type", "(got 'money')"),
        (message_line, "attributes.fields.12.scale", "scale applies to integer or decimal only"),
        (message_line, "attributes.fields.12.round", "round applies to integer or decimal only"),
        (line_with(text, "field: fax"), "attributes.metrics.1.field", "`fax` is not a mapped"),
    ]
    assert len(lines) == len(wanted), lines
    for line, (number, path, rule) in zip(lines, wanted, strict=True):
        assert line.startswith(f"{spec_file}:{number}: {path}: "), (line, number, path)
        assert rule in line, (line, rule)


def test_a_token_pasted_into_params_is_refused_without_its_value(tmp_path: Path) -> None:
    """Meta's docs show `?access_token=...`: pasted into `params` it would sit in the spec file
    and in every URL a message shows, so it is refused, pointing to `auth`."""
    example = (REPOSITORY_DIR / "docs" / "examples" / "ads_meta.defs.yaml").read_text("utf-8")
    text = example.replace(
        "      limit: 100\n", f"      limit: 100\n      access_token: {SECRET}\n"
    )
    spec_file = tmp_path / "defs.yaml"
    spec_file.write_text(text, encoding="utf-8")
    rule = r"`access_token` carries credentials: declare it under `auth`"
    with pytest.raises(ProviderSpecError) as refused:
        load_spec_file(spec_file)
    found = str(refused.value)
    assert re.search(
        expected(spec_file, text, "params:", "attributes.source.rest_api.params", rule), found
    )
    assert SECRET not in found
