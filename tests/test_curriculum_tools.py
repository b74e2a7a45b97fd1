"""The tool rule of `flask academy curriculum check`: a lab may use only the tools its module or one of its
prerequisites (direct or indirect) teaches, so that no lab asks for Docker before Docker was taught."""

from tests.curriculum_factory import module_text, write_curriculum
from tests.test_curriculum_check import check


def lab_using(*tools: str, lab_id: str = "the-lab") -> str:
    return f"""\
labs:
  - id: {lab_id}
    title: The lab
    steps:
      - Run it.
    acceptance_criteria:
      - It ran.
    evidence: [command-output]
    uses_tools: [{", ".join(tools)}]
"""


def test_a_lab_may_use_what_its_module_or_an_indirect_prerequisite_teaches(runner, tmp_path):
    write_curriculum(
        tmp_path,
        {
            "01-a.md": module_text("a", extra="teaches_tools: [docker]\n"),
            "02-b.md": module_text("b", order=2, prerequisites="[a]", extra="teaches_tools: [promtool]\n"),
            "03-c.md": module_text("c", order=3, prerequisites="[b]", extra=lab_using("docker", "promtool")),
            "04-d.md": module_text(
                "d", order=4, extra="teaches_tools: [kubectl]\n" + lab_using("kubectl", lab_id="own-tool")
            ),
        },
    )
    result = check(runner, tmp_path)
    assert result.exit_code == 0, result.output


def test_a_lab_using_a_tool_taught_elsewhere_is_refused_naming_file_line_and_the_fix(runner, tmp_path):
    text = module_text("c", order=3, extra=lab_using("promtool", "docker"))
    write_curriculum(
        tmp_path,
        {"01-a.md": module_text("a", extra="teaches_tools: [docker]\n"), "03-c.md": text},
    )
    result = check(runner, tmp_path)
    assert result.exit_code == 1
    line = text.splitlines().index("    uses_tools: [promtool, docker]") + 1
    assert (
        f"{tmp_path}/basics/03-c.md:{line}: lab the-lab uses docker, which neither this module nor its "
        "prerequisites teach: add one of a to the prerequisites"
    ) in result.output
    assert "uses promtool, which neither this module nor its prerequisites teach: teach it first" in result.output


def test_tools_are_slugs(runner, tmp_path):
    write_curriculum(tmp_path, {"01-a.md": module_text("a", extra="teaches_tools: [Docker Engine]\n")})
    result = check(runner, tmp_path)
    assert result.exit_code == 1 and "teaches_tools.0" in result.output
