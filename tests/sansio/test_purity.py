"""The sans-IO core imports neither aiohttp nor anyio (nor asyncio, nor sockets), even indirectly."""

import ast
import pathlib

import textql_async

PACKAGE = pathlib.Path(textql_async.__file__).parent
FORBIDDEN = {"aiohttp", "anyio", "asyncio", "socket", "ssl", "selectors"}


def _imports(module: str) -> set[str]:
    path = PACKAGE.joinpath(*module.split(".")[1:])
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _closure(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for name in _imports(module):
            if name.startswith("textql_async.") and name not in seen:
                todo.append(name)
            elif not name.startswith("textql_async"):
                seen.add(name)
    return seen


def test_sansio_imports_no_io_library() -> None:
    for module in ("textql_async.sansio.sse", "textql_async.sansio.fold", "textql_async.sansio.completion"):
        roots = {name.split(".")[0] for name in _closure(module)}
        assert roots.isdisjoint(FORBIDDEN), (module, roots & FORBIDDEN)


def test_purity_check_sees_real_imports() -> None:
    roots = {name.split(".")[0] for name in _closure("textql_async._transport")}
    assert "aiohttp" in roots
