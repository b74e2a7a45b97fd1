"""Checks that need the whole catalogue: ids, tracks, prerequisites and links between modules."""

from markdown_it.token import Token

from .parse import ParsedModule, Problem, line_of
from .render import MARKDOWN, resolve_module_link
from .schema import Track


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
    problems.extend(link_problems(list(by_id.values())))
    return problems


def link_problems(modules: list[ParsedModule]) -> list[Problem]:
    tokens = {p.path: module_tokens(p) for p in modules}
    targets = {path: anchors(toks) for path, toks in tokens.items()}
    problems = []
    for p in modules:
        for href, line in links(tokens[p.path]):
            resolved = resolve_module_link(p.path, href)
            if resolved is None:
                continue
            target, fragment = resolved
            where = p.body_line + line
            if target not in targets:
                problems.append(Problem(p.path, where, f"broken link {href}: no module file {target}"))
            elif fragment and fragment not in targets[target]:
                problems.append(Problem(p.path, where, f"broken link {href}: {target} has no section #{fragment}"))
    return problems
