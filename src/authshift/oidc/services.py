"""What the OIDC provider's token code uses of the running process: the account flows' services
(a grant signs a user in) and the signing key cache.

A Protocol that the process's state (``authshift.state.AppState``, at the top) satisfies, so
``oidc`` does not import the composition root (issue #15: nothing below the top points up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from authshift.accounts.services import AccountServices

if TYPE_CHECKING:
    from authshift.oidc.keys import SigningKeyCache

__all__ = ["OidcServices"]


class OidcServices(AccountServices, Protocol):
    """The token endpoint's and the token minting code's view of the process."""

    signing_keys: SigningKeyCache  # the signing key as this process sees it
