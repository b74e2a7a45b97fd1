"""Checks that need the whole catalogue: ids, tracks, prerequisites and links between modules."""

from markdown_it.token import Token

from .parse import ParsedModule, ParsedRequirements, ParsedScenario, Problem, line_of
from .render import MARKDOWN, resolve_module_link
from .schema import RequirementSpec, Track


def module_tokens(parsed: ParsedModule) -> list[Token]:
    return MARKDOWN.parse(parsed.body, {"source_path": parsed.path})


def anchors(tokens: list[Token]) -> set[str]:
    return {str(t.attrGet("id")) for t in tokens if t.type == "heading_open" and t.attrGet("id")}


def links(tokens: list[Token]):
    """(href, body line) for every link in a parsed body."""
    for token in tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "link_open":
                    yield str(child.attrGet("href") or ""), (token.map or [0])[0]


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every prerequisite cycle once, each as the list of ids on it (first id repeated at the end)."""
    state, stack, cycles, seen = {}, [], [], set()

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :]
                if frozenset(cycle) not in seen:
                    seen.add(frozenset(cycle))
                    cycles.append([*cycle, nxt])
            elif nxt in graph and nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def cross_check(tracks: list[Track], parsed: list[ParsedModule]) -> list[Problem]:
    valid = [p for p in parsed if p.meta]
    problems: list[Problem] = []
    by_id: dict[str, ParsedModule] = {}
    lab_owner: dict[str, str] = {}
    track_ids = {t.id for t in tracks}
    for p in valid:
        meta = p.meta
        if meta.id in by_id:
            problems.append(
                Problem(
                    p.path, line_of(p.lines, ["id"]), f"duplicate module id {meta.id} (also in {by_id[meta.id].path})"
                )
            )
            continue
        by_id[meta.id] = p
        if tracks and meta.track not in track_ids:
            problems.append(Problem(p.path, line_of(p.lines, ["track"]), f"unknown track {meta.track}"))
        for i, lab in enumerate(meta.labs):
            if lab.id in lab_owner:
                problems.append(
                    Problem(
                        p.path,
                        line_of(p.lines, ["labs", i, "id"]),
                        f"duplicate lab id {lab.id} (also in {lab_owner[lab.id]})",
                    )
                )
            lab_owner.setdefault(lab.id, p.path)
    for p in by_id.values():
        for i, pre in enumerate(p.meta.prerequisites):
            if pre not in by_id:
                problems.append(Problem(p.path, line_of(p.lines, ["prerequisites", i]), f"unknown prerequisite {pre}"))
    graph = {mid: [pre for pre in p.meta.prerequisites if pre in by_id] for mid, p in by_id.items()}
    for cycle in find_cycles(graph):
        first = by_id[cycle[0]]
        problems.append(
            Problem(first.path, line_of(first.lines, ["prerequisites"]), "prerequisite cycle: " + " -> ".join(cycle))
        )
    problems.extend(tool_problems(by_id))
    problems.extend(link_problems(list(by_id.values())))
    return problems


def taught_before(module_id: str, by_id: dict[str, ParsedModule]) -> set[str]:
    """The tools a trainee has been taught by the time they do this module's labs: its own and those of every
    prerequisite, direct or indirect."""
    taught, seen, todo = set(), set(), [module_id]
    while todo:
        current = todo.pop()
        if current in seen or current not in by_id:
            continue
        seen.add(current)
        taught.update(by_id[current].meta.teaches_tools)
        todo.extend(by_id[current].meta.prerequisites)
    return taught


def tool_problems(by_id: dict[str, ParsedModule]) -> list[Problem]:
    """A lab that uses a tool nothing before it teaches: the trainee meets it cold."""
    problems = []
    for p in by_id.values():
        taught = taught_before(p.meta.id, by_id)
        for i, lab in enumerate(p.meta.labs):
            for j, tool in enumerate(lab.uses_tools):
                if tool not in taught:
                    teachers = sorted(m for m, other in by_id.items() if tool in other.meta.teaches_tools)
                    fix = f"add one of {', '.join(teachers)} to the prerequisites" if teachers else "teach it first"
                    message = f"lab {lab.id} uses {tool}, which neither this module nor its prerequisites teach: {fix}"
                    problems.append(Problem(p.path, line_of(p.lines, ["labs", i, "uses_tools", j]), message))
    return problems


def module_anchors(modules: list[ParsedModule]) -> dict[str, set[str]]:
    """Every module file a link may point at, with the anchors of its sections."""
    return {p.path: anchors(module_tokens(p)) for p in modules}


def link_problems(modules: list[ParsedModule]) -> list[Problem]:
    targets = module_anchors(modules)
    return [problem for p in modules for problem in broken_links(p.path, p.body, p.body_line, targets)]


def broken_links(path: str, text: str, first_line: int, targets: dict[str, set[str]]) -> list[Problem]:
    """Relative links in `text` (which starts on `first_line` of `path`) to module files that do not exist."""
    problems = []
    for href, line in links(MARKDOWN.parse(text, {"source_path": path})):
        resolved = resolve_module_link(path, href)
        if resolved is None:
            continue
        target, fragment = resolved
        where = first_line + line
        if target not in targets:
            problems.append(Problem(path, where, f"broken link {href}: no module file {target}"))
        elif fragment and fragment not in targets[target]:
            problems.append(Problem(path, where, f"broken link {href}: {target} has no section #{fragment}"))
    return problems


# ---------------------------------------------------------------- the practicum


def check_practicum(
    requirements: ParsedRequirements | None, scenarios: list[ParsedScenario], modules: list[ParsedModule]
) -> list[Problem]:
    """What the practicum's files cannot know alone: ids, prerequisites and links to modules."""
    known = first_module_of_each_id(modules)
    targets = module_anchors(list(known.values()))
    problems = duplicate_scenarios(scenarios)
    for s in scenarios:
        problems += broken_links(s.path, s.body, s.body_line, targets)
    if requirements and requirements.specs:
        problems += requirement_problems(requirements, known)
        for i, spec in enumerate(requirements.specs):
            texts = [(("summary",), spec.summary)] + [(("rubric", j), item) for j, item in enumerate(spec.rubric)]
            for loc, text in texts:
                line = line_of(requirements.lines, ("requirements", i, *loc))
                problems += broken_links(requirements.path, text, line, targets)
    return problems


def first_module_of_each_id(modules: list[ParsedModule]) -> dict[str, ParsedModule]:
    found: dict[str, ParsedModule] = {}
    for p in modules:
        if p.meta:
            found.setdefault(p.meta.id, p)
    return found


def requirement_problems(parsed: ParsedRequirements, modules: dict[str, ParsedModule]) -> list[Problem]:
    by_id: dict[str, tuple[int, RequirementSpec]] = {}  # the first requirement of each id, with its index
    problems = []
    for i, spec in enumerate(parsed.specs):
        if spec.id in by_id:
            first = line_of(parsed.lines, ("requirements", by_id[spec.id][0], "id"))
            message = f"duplicate requirement id {spec.id} (also on line {first})"
            problems.append(Problem(parsed.path, line_of(parsed.lines, ("requirements", i, "id")), message))
        by_id.setdefault(spec.id, (i, spec))
    lab_ids = {lab.id for p in modules.values() for lab in p.meta.labs}
    counts = {rid: spec.count for rid, (_, spec) in by_id.items()}
    for i, spec in by_id.values():
        where = ("requirements", i, "prerequisites")
        for loc, message in prerequisite_problems(spec, set(modules), lab_ids, counts):
            problems.append(Problem(parsed.path, line_of(parsed.lines, (*where, *loc)), message))
    graph = {
        rid: [other for other in spec.prerequisites.practice if other in by_id] for rid, (_, spec) in by_id.items()
    }
    for cycle in find_cycles(graph):
        line = line_of(parsed.lines, ("requirements", by_id[cycle[0]][0], "prerequisites", "practice"))
        problems.append(Problem(parsed.path, line, "practice prerequisite cycle: " + " -> ".join(cycle)))
    return problems


def prerequisite_problems(spec: RequirementSpec, module_ids: set[str], lab_ids: set[str], counts: dict[str, int]):
    """(where under `prerequisites`, message) for each prerequisite that names nothing or cannot be met."""
    needs = spec.prerequisites
    for j, module_id in enumerate(needs.modules):
        if module_id not in module_ids:
            yield ("modules", j), f"unknown module {module_id}"
    for j, lab_id in enumerate(needs.labs):
        if lab_id not in lab_ids:
            yield ("labs", j), f"unknown lab {lab_id}"
    for other, count in needs.practice.items():
        if other not in counts:
            yield ("practice", other), f"unknown requirement {other}"
        elif count > counts[other]:
            yield ("practice", other), f"{count} confirmed {other} asked, but {other} itself needs only {counts[other]}"


def duplicate_scenarios(scenarios: list[ParsedScenario]) -> list[Problem]:
    owner: dict[str, str] = {}
    problems = []
    for s in scenarios:
        if not s.meta:
            continue
        if s.meta.id in owner:
            message = f"duplicate scenario id {s.meta.id} (also in {owner[s.meta.id]})"
            problems.append(Problem(s.path, line_of(s.lines, ["id"]), message))
        owner.setdefault(s.meta.id, s.path)
    return problems
