"""The public surface: a sorted, complete ``__all__`` and private everything else."""

import importlib
import pkgutil

import textql_async


def test_all_is_sorted_and_unique() -> None:
    assert textql_async.__all__ == sorted(set(textql_async.__all__))


def test_every_name_in_all_exists() -> None:
    missing = [name for name in textql_async.__all__ if not hasattr(textql_async, name)]
    assert missing == []


def test_public_classes_are_exported() -> None:
    public = {
        name
        for name, value in vars(textql_async).items()
        if not name.startswith("_") and isinstance(value, type)
    }
    assert public <= set(textql_async.__all__)


def test_public_names_have_docstrings() -> None:
    undocumented = [
        name
        for name in textql_async.__all__
        if isinstance(getattr(textql_async, name), type) and not getattr(textql_async, name).__doc__
    ]
    assert undocumented == []


def test_version_is_a_string() -> None:
    assert isinstance(textql_async.__version__, str) and textql_async.__version__.count(".") >= 1


def test_py_typed_ships() -> None:
    import pathlib

    assert (pathlib.Path(textql_async.__file__).parent / "py.typed").exists()


def test_every_module_imports() -> None:
    names = [m.name for m in pkgutil.walk_packages(textql_async.__path__, "textql_async.")]
    assert "textql_async.sansio.sse" in names
    for name in names:
        importlib.import_module(name)
