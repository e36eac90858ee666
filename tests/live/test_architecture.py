"""The shape of djai_live.live, checked: policies are named only in the factory, the edges and the policies
meet only through the command and event types, and no module grows past what one reader can hold."""
import ast
import io
import tokenize
from pathlib import Path

import djai_live.live
from djai_live.live.policy import POLICIES

LIVE = Path(djai_live.live.__file__).parent
POLICY_SIDE = {"policy", "call_response", "accompany", "band", "voicing", "rehearsal", "listening"}
EDGES = {"osc", "midi", "scheduler", "jack", "ports", "daemon", "playback", "conductor", "loader", "page_server",
         "page_edge"}


def live_modules():
    return sorted(path for path in LIVE.glob("*.py") if path.name != "__init__.py")


def string_literals(path: Path) -> set[str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return {ast.literal_eval(token.string) for token in tokens if token.type == tokenize.STRING
            and not token.string.startswith(('"""', "'''", 'f"', "f'"))}


def live_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_mode_is_named_outside_the_policy_factory():
    for path in live_modules() + sorted((LIVE.parent / "cli").glob("*.py")):
        if path.name == "policy.py":
            continue
        named = string_literals(path) & set(POLICIES)
        assert not named, f"{path.name} names the mode(s) {sorted(named)}: ask djai_live.live.policy instead"


def test_the_policies_and_the_edges_meet_only_through_commands_and_events():
    for path in live_modules():
        module, imported = path.stem, live_imports(path)
        if module in POLICY_SIDE:
            assert not imported & EDGES, f"the policy-side module {module} imports the edge(s) {imported & EDGES}"
        if module in {"osc", "midi", "scheduler", "jack", "ports", "page_server", "page_edge"}:
            assert not imported & POLICY_SIDE, f"the edge {module} imports {imported & POLICY_SIDE}"


def test_modules_stay_small_enough_to_read():
    sizes = {path.name: len(path.read_text().splitlines()) for path in live_modules()}
    assert sizes["daemon.py"] < 350, sizes["daemon.py"]
    assert max(sizes.values()) <= 450, {name: n for name, n in sizes.items() if n > 450}
