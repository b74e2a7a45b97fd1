"""The practicum in the curriculum: its requirements and drill scenarios, loaded, rendered and checked."""

import re
from pathlib import Path

import pytest
import yaml

from academy import models
from academy.curriculum.loader import analyse, read_catalogue, signature, source_files
from academy.curriculum.practicum import DRILL_ROLE_NAMES, DRILL_ROLES, KIND_NAMES, Practicum
from academy.curriculum.schema import PRACTICE_KINDS, SCENARIO_SECTIONS
from tests.curriculum_factory import (
    SCENARIO_BODY,
    module_text,
    requirement_text,
    scenario_text,
    write_curriculum,
    write_practicum,
)

ROOT = Path(__file__).resolve().parent.parent / "curriculum"
SHIPPED = read_catalogue(ROOT)
REQUIREMENTS = "practicum/requirements.yaml"
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum|placeholder text|coming soon)\b", re.I)
LAB = """\
labs:
  - id: lab-a
    title: A lab
    steps: [Do it.]
    acceptance_criteria: [Done.]
    evidence: [write-up]
"""


def small_curriculum(root: Path, requirements: list[str] | None, scenarios: dict[str, str] | None = None) -> Path:
    """One module `a` with one lab `lab-a`, and the practicum given."""
    write_curriculum(root, {"01-a.md": module_text("a", extra=LAB)})
    return write_practicum(root, requirements, scenarios)


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in analyse(root)[2]]


def line_with(root: Path, path: str, snippet: str, nth: int = 1) -> int:
    """The line of `path` where `snippet` occurs for the `nth` time."""
    found = [i for i, line in enumerate((root / path).read_text().splitlines(), 1) if snippet in line]
    assert len(found) >= nth, f"{snippet!r} not in {path}"
    return found[nth - 1]


# ---------------------------------------------------------------- the shipped practicum


def test_the_shipped_practicum_loads_without_problems():
    assert [str(p) for p in SHIPPED.problems] == []
    assert len(SHIPPED.practicum.requirements) == 5


def test_the_shipped_requirements_are_the_practice_we_ask_for():
    by_kind = {r.kind: r for r in SHIPPED.practicum.requirements}
    assert sorted(r.kind for r in SHIPPED.practicum.requirements) == sorted(
        ["shadow", "reverse-shadow", "drill", "game-day", "postmortem"]
    ), "one requirement of each kind, and no real-incident requirement"
    shadow, reverse, drill = by_kind["shadow"], by_kind["reverse-shadow"], by_kind["drill"]
    assert shadow.count == 3
    assert reverse.count == 2
    assert "on-call" in reverse.spec.prerequisites.modules
    assert reverse.spec.prerequisites.practice == {shadow.id: 2}
    assert drill.count == 2 and drill.spec.different_roles
    assert by_kind["game-day"].count == 1
    assert by_kind["postmortem"].count == 1
    assert not any(r.spec.different_roles for r in (shadow, reverse, by_kind["game-day"], by_kind["postmortem"]))


def test_the_on_call_prerequisite_is_the_incidents_tracks_on_call_module():
    module = SHIPPED.get("on-call")
    assert module is not None and module.track == "incidents"
    assert module.path == "incidents/02-on-call.md"


def test_requirements_keep_the_order_of_the_file():
    written = yaml.safe_load((ROOT / REQUIREMENTS).read_text())["requirements"]
    assert [r.id for r in SHIPPED.practicum.requirements] == [r["id"] for r in written]


@pytest.mark.parametrize("requirement", SHIPPED.practicum.requirements, ids=lambda r: r.id)
def test_every_shipped_requirement_is_rendered(requirement):
    assert requirement.summary_html.startswith("<p>")
    assert len(requirement.rubric_html) == len(requirement.spec.rubric) >= 3
    assert all(item.strip() for item in requirement.rubric_html)
    assert requirement.kind_name == KIND_NAMES[requirement.kind]


def test_summaries_link_to_module_pages():
    reverse = SHIPPED.practicum.requirement("reverse-shadow-shifts")
    assert 'href="/modules/on-call"' in reverse.summary_html
    assert ".md" not in reverse.summary_html


def test_there_are_enough_drill_scenarios():
    assert len(SHIPPED.practicum.scenarios) >= 4
    assert len({s.spec.service for s in SHIPPED.practicum.scenarios}) == len(SHIPPED.practicum.scenarios)


@pytest.mark.parametrize("scenario", SHIPPED.practicum.scenarios, ids=lambda s: s.id)
def test_every_shipped_scenario_is_complete(scenario):
    for key in SCENARIO_SECTIONS:
        html = getattr(scenario, f"{key}_html")
        assert len(re.sub(r"<[^>]+>", "", html).split()) >= 60, f"{key} is too thin to run a drill from"
    assert scenario.reveals_html.count("<strong>At ") >= 5, "a timed list of reveals"
    assert "<h3" in scenario.good_response_html, "the good response says what each role does"
    assert set(scenario.spec.suggested_roles) <= set(DRILL_ROLES)
    assert scenario.summary_html and scenario.title


@pytest.mark.parametrize("path", sorted((ROOT / "practicum").rglob("*.*")), ids=lambda p: p.name)
def test_no_placeholder_text_in_the_practicum(path):
    assert not PLACEHOLDER.search(path.read_text(encoding="utf-8"))


def test_the_names_cover_every_kind_and_role():
    assert set(KIND_NAMES) == set(PRACTICE_KINDS)
    assert DRILL_ROLES is models.DRILL_ROLES
    assert list(DRILL_ROLE_NAMES) == list(models.DRILL_ROLES)


def test_requirements_and_scenarios_are_found_by_id():
    practicum = SHIPPED.practicum
    assert practicum.requirement("shadow-shifts") is practicum.requirements[0]
    assert practicum.requirement("no-such-requirement") is None
    first = practicum.scenarios[0]
    assert practicum.scenario(first.id) is first
    assert practicum.scenario("no-such-scenario") is None


# ---------------------------------------------------------------- loading a small practicum


def test_a_catalogue_without_a_practicum_folder_has_an_empty_practicum(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a")})
    catalogue = read_catalogue(tmp_path)
    assert catalogue.problems == ()
    assert catalogue.practicum == Practicum()
    assert catalogue.practicum.requirements == () and catalogue.practicum.requirement("a") is None


def test_a_practicum_folder_without_requirements_is_reported(tmp_path):
    small_curriculum(tmp_path, None, {"disk.md": scenario_text("disk")})
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:1: missing: a practicum folder needs a requirements file"]


SMALL_PRACTICUM = """\
requirements:
  - id: watch
    kind: shadow
    title: Watch the primary
    summary: Read [module a](../basics/01-a.md) first.
    count: 2
    rubric:
      - It was done.
  - id: drills
    kind: drill
    title: Drill
    summary: Take a role.
    count: 2
    different_roles: true
    rubric:
      - It was done, as [module a](../basics/01-a.md) teaches.
"""


def test_a_small_practicum_is_loaded_and_rendered(tmp_path):
    small_curriculum(tmp_path, [], {"disk.md": scenario_text("disk")})
    (tmp_path / REQUIREMENTS).write_text(SMALL_PRACTICUM)
    catalogue = read_catalogue(tmp_path)
    assert catalogue.problems == ()
    watch, drills = catalogue.practicum.requirements
    assert (watch.id, watch.kind, watch.title, watch.count) == ("watch", "shadow", "Watch the primary", 2)
    assert not watch.needs_role
    assert drills.needs_role and drills.spec.different_roles
    assert watch.summary_html == '<p>Read <a href="/modules/a">module a</a> first.</p>\n'
    assert watch.rubric_html == ("It was done.",)
    assert drills.rubric_html == ('It was done, as <a href="/modules/a">module a</a> teaches.',)
    disk = catalogue.practicum.scenario("disk")
    assert disk.path == "practicum/drills/disk.md"
    assert "95% full" in disk.situation_html and "Hints" not in disk.situation_html
    assert "<strong>At 10 min</strong>" in disk.reveals_html
    assert "write-ahead log" in disk.hints_html
    assert "Buy time first" in disk.good_response_html
    assert disk.role_names == ("Incident commander", "Operations lead")


def test_a_markdown_file_in_the_practicum_folder_is_not_a_module(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")])
    (tmp_path / "practicum" / "notes.md").write_text("# Notes for mentors\n")
    assert problems_of(tmp_path) == []
    assert set(read_catalogue(tmp_path).modules) == {"a"}


def test_practicum_files_are_part_of_the_signature(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk")})
    assert {tmp_path / REQUIREMENTS, tmp_path / "practicum/drills/disk.md"} <= set(source_files(tmp_path))
    before = signature(tmp_path)
    (tmp_path / REQUIREMENTS).write_text((tmp_path / REQUIREMENTS).read_text() + "# a comment that grows the file\n")
    assert signature(tmp_path) != before
    before = signature(tmp_path)
    (tmp_path / "practicum/drills/disk.md").write_text(scenario_text("disk") + "\nMore.\n")
    assert signature(tmp_path) != before


def test_a_reload_picks_up_edits_and_a_broken_edit_keeps_the_last_good(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk")})
    first = read_catalogue(tmp_path)
    (tmp_path / REQUIREMENTS).write_text((tmp_path / REQUIREMENTS).read_text().replace("count: 1", "count: 4"))
    second = read_catalogue(tmp_path, previous=first)
    assert second.practicum.requirement("watch").count == 4

    (tmp_path / REQUIREMENTS).write_text("requirements:\n  - id: watch\n    kind: [broken\n")
    (tmp_path / "practicum/drills/disk.md").write_text(scenario_text("disk", body="## The situation\n\nOnly this.\n"))
    third = read_catalogue(tmp_path, previous=second)
    assert third.problems
    assert third.practicum.requirement("watch").count == 4
    assert "95% full" in third.practicum.scenario("disk").situation_html
    assert read_catalogue(tmp_path).practicum == Practicum(), "without a last good version, nothing is served"


def test_a_broken_scenario_is_left_out_and_the_rest_served(tmp_path):
    small_curriculum(
        tmp_path,
        [requirement_text("watch")],
        {
            "disk.md": scenario_text("disk"),
            "cert.md": scenario_text("cert", body=SCENARIO_BODY.replace("## Hints", "## Tips")),
        },
    )
    catalogue = read_catalogue(tmp_path)
    assert [s.id for s in catalogue.practicum.scenarios] == ["disk"]
    assert catalogue.practicum.requirement("watch") is not None


# ---------------------------------------------------------------- what the check refuses


def test_an_unknown_kind_names_its_line(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch"), requirement_text("call", kind="phone-call")])
    line = line_with(tmp_path, REQUIREMENTS, "kind: phone-call")
    assert (
        f"{REQUIREMENTS}:{line}: requirements.1.kind: Input should be 'shadow', 'reverse-shadow', 'drill', "
        in "\n".join(problems_of(tmp_path))
    )


def test_different_roles_only_where_entries_have_roles(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch", extra="different_roles: true\n")])
    line = line_with(tmp_path, REQUIREMENTS, "different_roles")
    assert problems_of(tmp_path) == [
        f"{REQUIREMENTS}:{line}: requirements.0.different_roles: different_roles applies to drill and incident "
        "requirements, not shadow"
    ]


def test_unknown_fields_are_refused(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch", extra="prerequisites:\n  module: [a]\n")])
    line = line_with(tmp_path, REQUIREMENTS, "module: [a]")
    assert problems_of(tmp_path) == [
        f"{REQUIREMENTS}:{line}: requirements.0.prerequisites.module: Extra inputs are not permitted"
    ]


@pytest.mark.parametrize(
    ("prerequisites", "snippet", "message"),
    [
        ("modules: [a, ghost]", "modules:", "unknown module ghost"),
        ("labs: [lab-ghost]", "labs:", "unknown lab lab-ghost"),
        ("practice: {ghost: 1}", "practice:", "unknown requirement ghost"),
    ],
)
def test_an_unknown_prerequisite_names_its_line(tmp_path, prerequisites, snippet, message):
    small_curriculum(
        tmp_path, [requirement_text("watch"), requirement_text("hold", extra=f"prerequisites:\n  {prerequisites}\n")]
    )
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:{line_with(tmp_path, REQUIREMENTS, snippet)}: {message}"]


def test_known_prerequisites_pass(tmp_path):
    needs = "prerequisites:\n  modules: [a]\n  labs: [lab-a]\n  practice:\n    watch: 2\n"
    small_curriculum(tmp_path, [requirement_text("watch", count=3), requirement_text("hold", extra=needs)])
    assert problems_of(tmp_path) == []


def test_a_practice_prerequisite_cycle_is_named(tmp_path):
    small_curriculum(
        tmp_path,
        [
            requirement_text("a", extra="prerequisites:\n  practice: {c: 1}\n"),
            requirement_text("b", extra="prerequisites:\n  practice: {a: 1}\n"),
            requirement_text("c", extra="prerequisites:\n  practice: {b: 1}\n"),
        ],
    )
    line = line_with(tmp_path, REQUIREMENTS, "practice: {c: 1}")
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:{line}: practice prerequisite cycle: a -> c -> b -> a"]


def test_a_requirement_cannot_wait_for_itself(tmp_path):
    small_curriculum(tmp_path, [requirement_text("a", extra="prerequisites:\n  practice: {a: 1}\n")])
    line = line_with(tmp_path, REQUIREMENTS, "practice:")
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:{line}: practice prerequisite cycle: a -> a"]


def test_a_practice_prerequisite_cannot_ask_more_than_the_requirement_needs(tmp_path):
    small_curriculum(
        tmp_path,
        [
            requirement_text("watch", count=3),
            requirement_text("hold", extra="prerequisites:\n  practice:\n    watch: 4\n"),
        ],
    )
    line = line_with(tmp_path, REQUIREMENTS, "watch: 4")
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:{line}: 4 confirmed watch asked, but watch itself needs only 3"]


def test_duplicate_requirement_ids(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch"), requirement_text("hold"), requirement_text("watch")])
    first, second = line_with(tmp_path, REQUIREMENTS, "id: watch"), line_with(tmp_path, REQUIREMENTS, "id: watch", 2)
    assert problems_of(tmp_path) == [f"{REQUIREMENTS}:{second}: duplicate requirement id watch (also on line {first})"]
    assert [r.id for r in read_catalogue(tmp_path).practicum.requirements] == ["watch", "hold"]


def test_a_broken_link_in_a_summary(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")])
    path = tmp_path / REQUIREMENTS
    path.write_text(path.read_text().replace("summary: Do watch.", "summary: See [b](../basics/02-b.md)."))
    line = line_with(tmp_path, REQUIREMENTS, "summary:")
    assert problems_of(tmp_path) == [
        f"{REQUIREMENTS}:{line}: broken link ../basics/02-b.md: no module file basics/02-b.md"
    ]


def test_a_scenario_links_module_pages_and_a_broken_link_names_its_line(tmp_path):
    hints = "- Re-read [module a](../../basics/01-a.md).\n- And [nothing](../../basics/09-none.md).\n"
    body = SCENARIO_BODY.replace("- Who still needs the write-ahead log?\n", hints)
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk", body=body)})
    line = line_with(tmp_path, "practicum/drills/disk.md", "09-none.md")
    assert problems_of(tmp_path) == [
        f"practicum/drills/disk.md:{line}: broken link ../../basics/09-none.md: no module file basics/09-none.md"
    ]
    assert '<a href="/modules/a">module a</a>' in read_catalogue(tmp_path).practicum.scenario("disk").hints_html


def test_duplicate_scenario_ids(tmp_path):
    small_curriculum(
        tmp_path, [requirement_text("watch")], {"a-disk.md": scenario_text("disk"), "b-disk.md": scenario_text("disk")}
    )
    assert problems_of(tmp_path) == [
        "practicum/drills/b-disk.md:2: duplicate scenario id disk (also in practicum/drills/a-disk.md)"
    ]


@pytest.mark.parametrize("key", list(SCENARIO_SECTIONS))
def test_a_scenario_missing_a_section(tmp_path, key):
    heading = SCENARIO_SECTIONS[key]
    body = SCENARIO_BODY.replace(f"## {heading}\n", "")
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk", body=body)})
    found = problems_of(tmp_path)
    assert f"practicum/drills/disk.md:9: missing section '## {heading}'" in found  # line 9: the body's first line
    assert read_catalogue(tmp_path).practicum.scenarios == ()


@pytest.mark.parametrize(
    ("change", "snippet", "message"),
    [
        (("## Hints", "## Tips"), "## Tips", "unknown section 'Tips': a drill scenario has 'The situation', "),
        (("- Who still needs the write-ahead log?\n", ""), "## Hints", "section 'Hints' is empty"),
        (("## The situation\n", "Before.\n\n## The situation\n"), "Before.", "text before the first section"),
        (("## Hints", "## The situation"), "## The situation\n", "section 'The situation' appears twice"),
    ],
)
def test_a_scenario_body_with_wrong_sections(tmp_path, change, snippet, message):
    body = SCENARIO_BODY.replace(*change)
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk", body=body)})
    nth = 2 if "twice" in message else 1
    line = line_with(tmp_path, "practicum/drills/disk.md", snippet.strip(), nth)
    found = problems_of(tmp_path)
    assert any(p.startswith(f"practicum/drills/disk.md:{line}: {message}") for p in found), found


@pytest.mark.parametrize(
    ("reveals", "snippet", "message"),
    [
        ("- The page.\n- The slots.\n", "## What the game master reveals", "no timed reveals"),
        (
            "- At 10 min: the page.\n- At 5 min: the slots.\n",
            "At 5 min",
            "the reveal at 5 min comes after one at 10 min",
        ),
        (
            "- At 0 min: the page.\n- **At 45 min**: the slots.\n",
            "At 45 min",
            "the reveal at 45 min is after the drill's end (30 min)",
        ),
    ],
)
def test_reveals_are_timed_in_order_within_the_drill(tmp_path, reveals, snippet, message):
    body = SCENARIO_BODY.replace("- **At 0 min**: the page.\n- **At 10 min**: the replication slots.\n", reveals)
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk", body=body)})
    line = line_with(tmp_path, "practicum/drills/disk.md", snippet)
    found = problems_of(tmp_path)
    assert any(p.startswith(f"practicum/drills/disk.md:{line}: {message}") for p in found), found


@pytest.mark.parametrize(
    ("change", "snippet", "message"),
    [
        (
            ("[incident-commander, operations]", "[incident-commander, firefighter]"),
            "suggested_roles",
            "suggested_roles.1: Input should be",
        ),
        (
            ("[incident-commander, operations]", "[scribe, scribe]"),
            "suggested_roles",
            "suggested_roles: role scribe is listed twice",
        ),
        (("duration_minutes: 30\n", ""), "---", "duration_minutes: Field required"),
        (
            ("duration_minutes: 30\n", "duration_minutes: 30\ndifficulty: hard\n"),
            "difficulty",
            "difficulty: Extra inputs",
        ),
        (("id: disk", "id: Disk Full"), "id: Disk", "id: String should match pattern"),
    ],
)
def test_a_scenario_with_bad_front_matter(tmp_path, change, snippet, message):
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk").replace(*change)})
    line = 2 if snippet == "---" else line_with(tmp_path, "practicum/drills/disk.md", snippet)
    found = problems_of(tmp_path)
    assert any(p.startswith(f"practicum/drills/disk.md:{line}: {message}") for p in found), found
    assert read_catalogue(tmp_path).practicum.scenarios == ()


def test_a_scenario_without_front_matter(tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": SCENARIO_BODY})
    assert problems_of(tmp_path) == [
        "practicum/drills/disk.md:1: no front matter: a drill scenario starts with a '---' line"
    ]


def test_the_check_command_names_a_bad_requirement(runner, tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch", kind="phone-call")])
    result = runner.invoke(args=["academy", "curriculum", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    line = line_with(tmp_path, REQUIREMENTS, "kind: phone-call")
    assert f"{tmp_path}/{REQUIREMENTS}:{line}: requirements.0.kind: Input should be" in result.output


def test_the_check_command_passes_a_good_practicum(runner, tmp_path):
    small_curriculum(tmp_path, [requirement_text("watch")], {"disk.md": scenario_text("disk")})
    result = runner.invoke(args=["academy", "curriculum", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
