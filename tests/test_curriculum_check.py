"""`flask academy curriculum check`: every problem named as path:line: message, exit status non-zero."""

from pathlib import Path

import pytest

from academy.curriculum.loader import analyse
from tests.curriculum_factory import module_text, write_curriculum

QUIZ = """\
quiz:
  questions:
    - id: q1
      prompt: Which one?
      choices:
        a: This one
        b: That one
      answer: c
      explanation: Because.
"""


def check(runner, root: Path):
    return runner.invoke(args=["academy", "curriculum", "check", "--dir", str(root)])


def problems_of(root: Path) -> list[str]:
    return [str(p) for p in analyse(root)[2]]


def test_shipped_curriculum_passes(runner):
    result = check(runner, Path(__file__).resolve().parent.parent / "curriculum")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_clean_small_curriculum_passes(runner, tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a"), "02-b.md": module_text("b", prerequisites="[a]")})
    result = check(runner, tmp_path)
    assert result.exit_code == 0, result.output


def test_invalid_yaml_names_file_and_line(runner, tmp_path):
    broken = module_text("a").replace("estimated_minutes: 30", "estimated_minutes: [30")
    write_curriculum(tmp_path, {"01-a.md": broken})
    result = check(runner, tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path}/basics/01-a.md:" in result.output
    assert "invalid YAML" in result.output


def test_missing_field_is_reported_at_the_front_matter(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a").replace("estimated_minutes: 30\n", "")})
    assert "basics/01-a.md:2: estimated_minutes: Field required" in problems_of(tmp_path)


def test_wrongly_typed_field_names_its_line(tmp_path):
    write_curriculum(
        tmp_path, {"01-a.md": module_text("a").replace("estimated_minutes: 30", "estimated_minutes: soon")}
    )
    found = problems_of(tmp_path)
    assert any(p.startswith("basics/01-a.md:7: estimated_minutes:") and "integer" in p for p in found), found


def test_unknown_field_is_refused(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a", extra="prerequisite: [b]\n")})
    assert any(p.startswith("basics/01-a.md:10: prerequisite:") for p in problems_of(tmp_path))


def test_duplicate_ids(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a"), "02-a.md": module_text("a", order=2)})
    assert "basics/02-a.md:2: duplicate module id a (also in basics/01-a.md)" in problems_of(tmp_path)


def test_unknown_prerequisite(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a", prerequisites="[ghost]")})
    assert "basics/01-a.md:6: unknown prerequisite ghost" in problems_of(tmp_path)


def test_prerequisite_cycle_is_named(runner, tmp_path):
    write_curriculum(
        tmp_path,
        {
            "01-a.md": module_text("a", prerequisites="[c]"),
            "02-b.md": module_text("b", order=2, prerequisites="[a]"),
            "03-c.md": module_text("c", order=3, prerequisites="[b]"),
        },
    )
    result = check(runner, tmp_path)
    assert result.exit_code == 1
    assert "basics/01-a.md:6: prerequisite cycle: a -> c -> b -> a" in result.output


def test_broken_internal_links(tmp_path):
    body = "## Intro\n\nSee [b](02-b.md) and [nothing](03-none.md)\nand [a section](02-b.md#nowhere).\n"
    write_curriculum(tmp_path, {"01-a.md": module_text("a", body=body), "02-b.md": module_text("b", order=2)})
    found = problems_of(tmp_path)
    assert "basics/01-a.md:13: broken link 03-none.md: no module file basics/03-none.md" in found
    assert "basics/01-a.md:13: broken link 02-b.md#nowhere: basics/02-b.md has no section #nowhere" in found
    assert not any("02-b.md:" in p for p in found)


def test_working_link_to_a_section_passes(tmp_path):
    body = "## Intro\n\nSee [b's intro](02-b.md#intro).\n"
    write_curriculum(tmp_path, {"01-a.md": module_text("a", body=body), "02-b.md": module_text("b", order=2)})
    assert problems_of(tmp_path) == []


def test_quiz_answer_not_among_choices(runner, tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a", extra=QUIZ)})
    result = check(runner, tmp_path)
    assert result.exit_code == 1
    assert "basics/01-a.md:17: quiz.questions.0.answer: answer c is not among the choices (a, b)" in result.output


def test_duplicate_lab_ids_across_modules(tmp_path):
    lab = (
        "labs:\n  - id: same-lab\n    title: A lab\n    steps: [Do it.]\n    acceptance_criteria: [Done.]\n"
        "    evidence: [write-up]\n"
    )
    write_curriculum(
        tmp_path, {"01-a.md": module_text("a", extra=lab), "02-b.md": module_text("b", order=2, extra=lab)}
    )
    assert "basics/02-b.md:11: duplicate lab id same-lab (also in basics/01-a.md)" in problems_of(tmp_path)


def test_file_without_front_matter(tmp_path):
    write_curriculum(tmp_path, {"01-a.md": "# Just a title\n"})
    assert problems_of(tmp_path) == ["basics/01-a.md:1: no front matter: a module starts with a '---' line"]


@pytest.mark.parametrize("fmt", [["--json"], []])
def test_list_prints_the_catalogue(runner, fmt):
    result = runner.invoke(args=["academy", "curriculum", "list", *fmt])
    assert result.exit_code == 0
    if fmt:
        import json

        data = json.loads(result.output)
        assert data["totals"]["modules"] == sum(len(t["modules"]) for t in data["tracks"])
    else:
        assert "Totals:" in result.output and "linux-shell" in result.output
