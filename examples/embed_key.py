"""Embed TextQL in your web app without shipping your API key to the browser.

Your server keeps the long-lived key (TEXTQL_API_KEY). For each browser session it mints
a short-lived key scoped to one role, with the tenant and user in ``client_id`` so
row-level security (``_tql.client_attributes_json.tenant_id``) limits what the embed can
read, and hands the browser only the iframe URL. When the session ends the key expires
by itself (or revoke it early with ``client.api_keys.revoke(minted.id)``).

    TEXTQL_EMBED_ROLE_IDS=<role id>[,<role id>] python examples/embed_key.py acme jane@acme.example

Runs against the embedded fake server when no TEXTQL_API_KEY is set.
"""

import asyncio
import html
import os
import sys

from textql_async import AsyncTextQL
from textql_async.testing import FakeTextQL

SESSION_SECONDS = 15 * 60
DEMO_ROLE = "80de0196-496f-44fe-9d4c-8013b3b44082"  # any role id works on the fake


async def embed_for(client: AsyncTextQL, roles: list[str], tenant: str, email: str) -> None:
    minted = await client.api_keys.mint(
        assumed_roles=roles,
        expiry_seconds=SESSION_SECONDS,
        client_id={"tenant_id": tenant, "user_email": email},
        name=f"embed-{tenant}",
    )
    print(f"minted key {minted.id} for {tenant}, expires at {minted.api_key.expires_at}")
    print(f"printing the result shows no secret: {minted.key!r}")
    src = client.api_keys.embed_url(minted.key)  # the one place the secret is revealed
    print(f'iframe: <iframe src="{html.escape(src)}" width="100%" height="720"></iframe>')


async def main(tenant: str, email: str) -> int:
    if os.environ.get("TEXTQL_API_KEY"):
        roles = os.environ.get("TEXTQL_EMBED_ROLE_IDS", "").replace(",", " ").split()
        if not roles:
            print("set TEXTQL_EMBED_ROLE_IDS to the role id(s) the embed may use", file=sys.stderr)
            return 2
        async with AsyncTextQL() as client:
            await embed_for(client, roles, tenant, email)
        return 0
    async with FakeTextQL() as fake, fake.client() as client:
        await embed_for(client, [DEMO_ROLE], tenant, email)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    tenant = args[0] if args else "acme"
    email = args[1] if len(args) > 1 else "jane@acme.example"
    sys.exit(asyncio.run(main(tenant, email)))
