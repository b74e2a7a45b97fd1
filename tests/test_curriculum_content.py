"""The shipped programme: enough of it, every module complete, and every code sample valid."""

import json
import re
from pathlib import Path

import pytest
import yaml

from academy.curriculum.loader import read_catalogue
from academy.curriculum.parse import split_front_matter

ROOT = Path(__file__).resolve().parent.parent / "curriculum"
CATALOGUE = read_catalogue(ROOT)
MODULES = sorted(CATALOGUE.modules.values(), key=lambda m: m.path)
FENCE = re.compile(r"^(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^(?P=fence)\s*$", re.M | re.S)
PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum|placeholder text|coming soon)\b", re.I)


def fenced_blocks(language: set[str]):
    for module in MODULES:
        text = (ROOT / module.path).read_text(encoding="utf-8")
        _, body, body_line = split_front_matter(text)
        for match in FENCE.finditer(body):
            if match["lang"].lower() in language:
                line = body_line + body[: match.start()].count("\n")
                yield pytest.param(match["code"], id=f"{module.path}:{line}")


def test_the_catalogue_loads_without_problems():
    assert [str(p) for p in CATALOGUE.problems] == []


def test_the_programme_is_big_enough():
    assert len(CATALOGUE.tracks) >= 7
    assert len(CATALOGUE.modules) >= 28
    assert CATALOGUE.lab_count >= 16
    assert CATALOGUE.quiz_count >= 28


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_every_module_is_complete(module):
    assert module.objectives
    assert module.quiz is not None and len(module.quiz.questions) >= 4
    assert all(len(q.explanation) >= 40 for q in module.quiz.questions), "explanations teach why"
    assert 700 <= module.words <= 2600, f"{module.words} words"
    headings = [h.text.lower() for h in module.toc]
    assert any("check yourself" in h for h in headings)
    assert any("mistake" in h for h in headings)


@pytest.mark.parametrize("lab", [lab for m in MODULES for lab in m.labs], ids=lambda lab: lab.id)
def test_every_lab_has_steps_criteria_and_evidence(lab):
    assert len(lab.spec.steps) >= 3
    assert lab.spec.acceptance_criteria
    assert lab.spec.evidence


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.id)
def test_no_placeholder_text(module):
    text = (ROOT / module.path).read_text(encoding="utf-8")
    assert not PLACEHOLDER.search(text), PLACEHOLDER.search(text)


def test_prerequisites_start_from_the_foundations_and_open_up_later():
    roots = [m for m in MODULES if not m.prerequisites]
    assert [m.track for m in roots] == ["foundations"]
    unlocked_by_root = [m for m in MODULES if m.prerequisites == [roots[0].id]]
    assert len(unlocked_by_root) >= 3, "several modules open in parallel once the first is done"


@pytest.mark.parametrize("code", list(fenced_blocks({"yaml", "yml"})))
def test_fenced_yaml_parses(code):
    list(yaml.safe_load_all(code))


@pytest.mark.parametrize("code", list(fenced_blocks({"json"})))
def test_fenced_json_parses(code):
    json.loads(code)


@pytest.mark.parametrize("code", list(fenced_blocks({"python", "py"})))
def test_fenced_python_compiles(code):
    compile(code, "<module>", "exec")


def test_the_fence_finder_finds_blocks():
    """Guards the three tests above from passing on nothing."""
    assert len(list(fenced_blocks({"yaml", "yml"}))) >= 10
    assert len(list(fenced_blocks({"python", "py"}))) >= 3
