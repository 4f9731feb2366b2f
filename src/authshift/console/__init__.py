"""The migration console (issue 16): server-rendered pages at ``/console`` for the team running a
migration. The console is an OpenID Connect client of this authshift (``oidc_client``), signs
operators in through the hosted login (``signin``) and keeps its own short session (``sessions``);
pages get the operator from ``access.current_operator`` and render with ``rendering.render``.
How to add a page: CONSOLE_PAGES.md at the repository root while the console is being built."""
