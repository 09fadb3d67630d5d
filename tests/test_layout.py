"""The package's layout holds: imports flow one way, no module reaches into another's private names, modules stay short.

DESIGN.md asks for small modules with one job, imports that never form a circle,
and names shared across modules made public in an internal module rather than
underscore names reached into. These tests read the source (``ast``), so they
see imports inside functions too: an import moved into a function to dodge a
circle is still a circle here.

``python tests/test_layout.py`` prints the figures (longest modules, private
imports, cycles).
"""

import ast
import collections
import pathlib
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "srcgrad"

MAX_LINES = 1000
"""The longest a module may be (issue 13; DESIGN.md calls ~800 a sign of two jobs)."""

PRIVATE_IMPORTS_ALLOWED = {
    # PyTorch's own spelling: ported programs call torch.nn.init._calculate_fan_in_and_fan_out.
    ("srcgrad.nn.conv", "srcgrad.nn.init", "_calculate_fan_in_and_fan_out"),
    ("srcgrad.nn.linear", "srcgrad.nn.init", "_calculate_fan_in_and_fan_out"),
}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _source_module(module, path, node):
    """The absolute name of the module an ``ImportFrom`` node reads from."""
    if node.level == 0:
        return node.module
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_private(name):
    return name.startswith("_") and not name.startswith("__")


def scan():
    """Read every module of the package.

    Returns:
        ``(graph, private)``: ``graph`` maps each module to the package modules it
        imports (anywhere in its body); ``private`` lists ``(importer, module, name)``
        for each use of another module's underscore name, by import or as an
        attribute of an imported module.
    """
    graph = collections.defaultdict(set)
    private = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _source_module(module, path, node)
                if not (source == "srcgrad" or (source or "").startswith("srcgrad.")):
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    if full in MODULES:
                        graph[module].add(full)
                        aliases[alias.asname or alias.name] = full
                    else:
                        graph[module].add(source)
                        if _is_private(alias.name):
                            private.append((module, source, alias.name))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] == "srcgrad":
                        graph[module].add(alias.name)
                        if alias.asname:
                            aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and _is_private(node.attr)
                and f"{aliases[node.value.id]}.{node.attr}" not in MODULES
            ):
                private.append((module, aliases[node.value.id], node.attr))
    return graph, private


def cycles(graph):
    """The strongly connected components of ``graph`` with more than one module (Tarjan's, iterative)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for succ in edges:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph.get(succ, ())))))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
    return found


def line_counts():
    return {module: len(path.read_text().splitlines()) for module, path in MODULES.items()}


def test_the_scan_sees_imports_cycles_and_private_names():
    graph, private = scan()
    assert "srcgrad.tensor" in graph["srcgrad.nn.module"]
    assert "srcgrad.tensor" not in graph["srcgrad.rules.elementwise"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []
    assert PRIVATE_IMPORTS_ALLOWED <= set(private), "the scan must find the allowed entries (they exist)"


def test_no_module_takes_another_modules_private_names():
    _, private = scan()
    unexpected = sorted(set(private) - PRIVATE_IMPORTS_ALLOWED)
    assert not unexpected, (
        "these modules use another module's underscore names; give the name a public spelling "
        "in an internal module (e.g. optim/_update.py):\n"
        + "\n".join(f"  {m} takes {n} from {s}" for m, s, n in unexpected)
    )


def test_no_import_cycles():
    graph, _ = scan()
    found = cycles(graph)
    assert not found, "modules that import one another (directly or in a circle):\n" + "\n".join(
        "  " + ", ".join(sorted(c)) for c in found
    )


def test_no_module_is_over_the_line_limit():
    long = {m: n for m, n in line_counts().items() if n > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines; split them by job: {long}"


def test_every_module_says_what_it_does():
    missing = [m for m, p in MODULES.items() if ast.get_docstring(ast.parse(p.read_text())) is None]
    assert not missing, f"modules without a docstring: {missing}"


if __name__ == "__main__":
    graph, private = scan()
    counts = line_counts()
    print(f"{len(MODULES)} modules, {sum(counts.values())} lines; the longest:")
    for module, n in sorted(counts.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {n:6d}  {module}")
    print(f"{len(private)} uses of another module's underscore names")
    for entry in sorted(private) if "-v" in sys.argv else ():
        print("  {0} takes {2} from {1}".format(*entry))
    for component in cycles(graph):
        print("cycle:", ", ".join(sorted(component)))
