"""HTTP: routers for the admin API, OIDC, hosted pages and migration endpoints."""
