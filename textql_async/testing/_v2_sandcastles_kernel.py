"""What runs "inside" a fake sandbox: a tiny Python kernel and a tiny shell.

Nothing is executed for real. The kernel walks the code's AST and models the few
things tests need: literals, variables (kept between ``execute`` calls, like the
real persistent kernel), arithmetic, f-strings, a handful of builtins, ``print``
and ``raise``; real Python exceptions (``ZeroDivisionError``, ``NameError``) surface
as the API reports them. The shell knows ``echo`` (with ``>``/``>>`` into the
sandbox's files and ``>&2``), ``cat``, ``ls``, ``rm``, ``true``, ``false``, ``exit N``,
``sleep``, ``pwd`` and ``$VAR`` expansion from ``env``; ``;`` and ``&&`` chain commands.
"""

from __future__ import annotations

import ast
import builtins
import operator
import re
import shlex
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ShellResult",
    "WorkingDirectory",
    "query_preview",
    "query_shape",
    "run_python",
    "run_shell",
    "traceback_text",
]

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (len, str, int, float, sum, min, max, abs, round, sorted)
}
_MAX_POWER = 10_000
_WORKER_TIMEOUT = 60.0
_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")
_LIMIT = re.compile(r"\blimit\s+(\d+)", re.I)
_SELECT = re.compile(r"\bselect\s+(.*?)\s+from\b", re.I | re.S)


def run_python(
    code: str, namespace: MutableMapping[str, Any]
) -> tuple[list[str], BaseException | None]:
    """Run ``code`` in ``namespace``; the printed lines and the exception it raised, if any."""
    output: list[str] = []
    try:
        tree = ast.parse(code)
        for statement in tree.body:
            _statement(statement, namespace, output)
    except Exception as exc:  # the kernel reports every exception, like the real one
        return output, exc
    return output, None


def _statement(node: ast.stmt, namespace: MutableMapping[str, Any], output: list[str]) -> None:
    if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
        value = _eval(node.value, namespace)
        for target in node.targets:
            assert isinstance(target, ast.Name)
            namespace[target.id] = value
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        current = _eval(ast.Name(node.target.id, ast.Load()), namespace)
        namespace[node.target.id] = _BINARY[type(node.op)](current, _eval(node.value, namespace))
    elif isinstance(node, ast.Expr):
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "print"
        ):
            values = [_eval(arg, namespace) for arg in call.args]
            output.append(" ".join(str(v) for v in values))
        else:
            _eval(call, namespace)
    elif isinstance(node, ast.Raise) and node.exc is not None:
        raise _exception(node.exc, namespace)
    elif isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
        return  # every library is "installed"
    else:
        raise NotImplementedError(f"the fake kernel does not model {type(node).__name__}")


def _exception(node: ast.expr, namespace: MutableMapping[str, Any]) -> Exception:
    name = node.func if isinstance(node, ast.Call) else node
    cls = getattr(builtins, name.id, None) if isinstance(name, ast.Name) else None
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        return RuntimeError(ast.unparse(node))
    args = [_eval(a, namespace) for a in node.args] if isinstance(node, ast.Call) else []
    return cls(*args)


def _eval(node: ast.expr, namespace: MutableMapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in namespace:
            return namespace[node.id]
        raise NameError(f"name {node.id!r} is not defined")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left, namespace), _eval(node.right, namespace)
        if isinstance(node.op, ast.Pow) and isinstance(right, int) and abs(right) > _MAX_POWER:
            raise OverflowError("exponent too large for the fake kernel")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, namespace)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
        return _COMPARE[type(node.ops[0])](
            _eval(node.left, namespace), _eval(node.comparators[0], namespace)
        )
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_eval(e, namespace) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Dict):
        return {
            _eval(k, namespace): _eval(v, namespace)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.JoinedStr):
        return "".join(_eval(v, namespace) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        spec = _eval(node.format_spec, namespace) if node.format_spec is not None else ""
        return format(_eval(node.value, namespace), spec)
    if isinstance(node, ast.Subscript):
        return _eval(node.value, namespace)[_eval(node.slice, namespace)]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        function = _FUNCTIONS.get(node.func.id)
        if function is None:
            raise NameError(f"name {node.func.id!r} is not defined")
        return function(*(_eval(a, namespace) for a in node.args))
    raise NotImplementedError(f"the fake kernel does not model {type(node).__name__}")


class WorkingDirectory(Protocol):
    """The sandbox's files, as the shell sees them."""

    def read(self, path: str) -> bytes | None: ...

    def write(self, path: str, content: bytes, *, append: bool = False) -> None: ...

    def remove(self, path: str) -> bool: ...

    def listing(self, path: str) -> list[str] | None: ...


@dataclass
class ShellResult:
    """What a one-shot process left: its output streams, exit code and any worker error."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    error: str = ""


def run_shell(command: str, env: dict[str, str], files: WorkingDirectory) -> ShellResult:
    """Run a ``;`` / ``&&`` chain of the modelled commands."""
    result = ShellResult()
    for chain in command.split(";"):
        for simple in chain.split("&&"):
            expanded = _VAR.sub(lambda m: env.get(m.group(1) or m.group(2), ""), simple)
            try:
                words = shlex.split(expanded)
            except ValueError as exc:
                result.stderr += f"bash: syntax error: {exc}\n"
                result.exit_code = 2
                return result
            if not words:
                continue
            stop = _command(words, files, result)
            if stop or result.error:
                return result
            if result.exit_code != 0:
                break  # `a && b`: b runs only when a succeeded
    return result


def _command(words: list[str], files: WorkingDirectory, result: ShellResult) -> bool:
    """Run one command into ``result``; ``True`` when the shell must stop (``exit``)."""
    name, args = words[0], words[1:]
    result.exit_code = 0
    if name == "exit":
        result.exit_code = int(args[0]) if args and args[0].isdigit() else 0
        return True
    if name == "echo":
        _echo(args, files, result)
    elif name == "cat":
        for path in args:
            content = files.read(path)
            if content is None:
                result.stderr += f"cat: {path}: No such file or directory\n"
                result.exit_code = 1
            else:
                result.stdout += content.decode("utf-8", "replace")
    elif name == "ls":
        listing = files.listing(args[0] if args else "")
        if listing is None:
            result.stderr += f"ls: cannot access '{args[0]}': No such file or directory\n"
            result.exit_code = 2
        else:
            result.stdout += "".join(f"{entry}\n" for entry in listing)
    elif name == "rm":
        for path in args:
            if not files.remove(path):
                result.stderr += f"rm: cannot remove '{path}': No such file or directory\n"
                result.exit_code = 1
    elif name == "pwd":
        result.stdout += "/sandbox/files\n"
    elif name == "sleep":
        seconds = float(args[0]) if args else 0.0
        if seconds > _WORKER_TIMEOUT:
            result.error = f"command timed out after {_WORKER_TIMEOUT:g}s"
            result.exit_code = -1
    elif name in ("true", "mkdir"):
        pass
    elif name == "false":
        result.exit_code = 1
    else:
        result.stderr += f"bash: {name}: command not found\n"
        result.exit_code = 127
    return False


def _echo(args: list[str], files: WorkingDirectory, result: ShellResult) -> None:
    for redirect, append in ((">>", True), (">", False)):
        if redirect in args[:-1]:
            at = args.index(redirect)
            text = " ".join(args[:at] + args[at + 2 :]) + "\n"
            files.write(args[at + 1], text.encode(), append=append)
            return
    if args and args[-1] == ">&2":
        result.stderr += " ".join(args[:-1]) + "\n"
        return
    result.stdout += " ".join(args) + "\n"


def query_shape(sql: str, cap: int) -> tuple[int, int]:
    """The rows and columns a query "returns": its ``LIMIT`` (else 25, at most ``cap``), its select list."""
    match = _LIMIT.search(sql)
    rows = min(int(match.group(1)) if match else 25, cap)
    select = _SELECT.search(sql)
    cols = (
        3 if select is None or select.group(1).strip() == "*" else len(select.group(1).split(","))
    )
    return rows, cols


def query_preview(name: str, rows: int, cols: int) -> str:
    """The service's preview: a dataframe summary, or from 2048 rows a Markdown table of 100."""
    header = [f"col_{i}" for i in range(1, cols + 1)]
    if rows < 2048:
        return f"{name}: {rows} rows x {cols} columns\n" + "  ".join(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * cols]
    lines += ["| " + " | ".join(str(r * cols + c) for c in range(cols)) + " |" for r in range(100)]
    return "\n".join(lines)


def traceback_text(exc: BaseException) -> str:
    """What a one-shot Python process prints to stderr when it raises."""
    return (
        "Traceback (most recent call last):\n"
        '  File "<string>", line 1, in <module>\n'
        f"{type(exc).__name__}: {exc}\n"
    )
