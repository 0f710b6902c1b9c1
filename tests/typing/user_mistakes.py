"""Mistakes a newcomer makes: each line commented "error:" must be a type error (both checkers)."""

from __future__ import annotations

from textql_async.sync import TextQL


def mistakes(client: TextQL) -> None:
    client.ana.batch(["q"], datset="retail")  # error: misspelt argument
    client.ana.ask(42)  # error: a question is a str
    client.ana.asks("q")  # error: no such method
    for item in client.ana.batch(["q"]):
        print(item.result.answer)  # error: not narrowed, result may be None
    with client.ana.stream("q") as stream:
        stream.text_deltas(sep="")  # error: the argument is separator=
    answer: int = client.ana.ask("q").answer  # error: the answer is str | None
    client.chats.list(page_size=10)  # error: list() takes limit=
    print(answer)
