"""Zero-downtime migration: exchange legacy tokens for authshift sessions (RFC 8693, issue 8).

Modules (the package imports none of them, so ``authshift.schema`` can import ``tables`` alone):

- ``grant``: ``token_exchange_grant``, registered in ``authshift.oidc.grants.GRANT_HANDLERS``;
- ``service``: ``exchange(form, client, state, ip) -> Exchanged`` (the whole exchange);
- ``request``: ``parse_request`` and the RFC 8693 URNs; ``errors``: ``ExchangeRefused``;
- ``issuers``: ``IssuerRegistry`` (routing a token to its issuer); ``validators``: the
  ``jwt``/``introspection``/``hook`` checks and ``fetch_userinfo``; ``jwks``: ``JwksCache``;
  ``claims``: registered-claim checks; ``outbound``: HTTP to legacy issuers;
- ``mapping``: ``resolve_user`` (external_id, verified email, create or reject);
- ``replay`` and ``tables``: single use (``claim_token``, ``prune_claims``, ``exchanged_tokens``);
- ``runtime``: per-process state (issuers, throttle memory); ``housekeeping``: pruning.
"""
