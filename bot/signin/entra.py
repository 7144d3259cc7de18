"""Sign in with Microsoft Entra ID: msal's auth-code flow (PKCE, response_mode=form_post) with the
bot's own app registration, asking only `openid profile email`.

msal no longer validates ID tokens, so we do, with PyJWT against the tenant's published keys:
the signature (RS256 only), the issuer (this tenant's, not `common`'s), the audience (our client
id), the tenant id claim, the expiry and not-before on QI Hub's clock (a minute's leeway), and
the nonce this browser's flow sent. Anything wrong refuses the sign-in; the log says which check
failed and names no one.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import httpx
import jwt
import msal

from bot.settings import Settings
from handlers.config import OrgConfig

log = logging.getLogger(__name__)

SCOPES = ["email"]
"""msal adds `openid profile` itself; `offline_access` is excluded (no refresh token wanted)."""
LEEWAY_SECONDS = 60
CALLBACK_PATH = "/hub/signin/entra/callback"
TIMEOUT_SECONDS = 10.0


class EntraRefused(Exception):
    """The sign-in cannot be trusted; `reason` says which check failed (for the log only)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EntraConfig:
    client_id: str
    client_secret: str
    tenant_id: str
    login_url: str
    redirect_uri: str
    verify: str | bool = True
    """TLS verification for Entra ID's endpoints: True, or a CA bundle (tests' local fake)."""

    @property
    def authority(self) -> str:
        return f"{self.login_url.rstrip('/')}/{self.tenant_id}"

    @property
    def issuer(self) -> str:
        """The v2.0 issuer of this tenant: a token from any other tenant is refused."""
        return f"{self.authority}/v2.0"


@dataclass(frozen=True)
class Person:
    """Who Entra ID says signed in (from a validated ID token)."""

    oid: str
    email: str


def entra_config(
    settings: Settings, config: OrgConfig, verify: str | bool = True
) -> EntraConfig | None:
    """Entra ID sign-in for this deployment, or None when it is off or not configured."""
    secret = settings.teams_client_secret
    if not (settings.hub_entra_sign_in and settings.teams_client_id and settings.teams_tenant_id):
        return None
    if secret is None:
        return None
    base = config.organisation.web_base_url.rstrip("/")
    return EntraConfig(
        client_id=settings.teams_client_id,
        client_secret=secret.get_secret_value(),
        tenant_id=settings.teams_tenant_id,
        login_url=settings.teams_login_url,
        redirect_uri=f"{base}{CALLBACK_PATH}",
        verify=verify,
    )


def nonce_hash(nonce: str) -> str:
    """What msal sends as the nonce (and so what the ID token must carry)."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def tls(verify: str | bool) -> ssl.SSLContext | bool:
    """httpx's `verify` for a CA bundle path (or the system's trust store)."""
    return ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify


class _Http:
    """msal's HTTP client, on httpx: our `verify` holds even where requests would let an
    environment variable (REQUESTS_CA_BUNDLE) replace it."""

    def __init__(self, verify: str | bool) -> None:
        self.client = httpx.Client(verify=tls(verify), timeout=TIMEOUT_SECONDS)

    def get(self, url: str, params: Any = None, headers: Any = None, **_: Any) -> httpx.Response:
        return self.client.get(url, params=params, headers=headers)

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **_: Any
    ) -> httpx.Response:
        if isinstance(data, str | bytes):
            return self.client.post(url, params=params, content=data, headers=headers)
        return self.client.post(url, params=params, data=data, headers=headers)

    def close(self) -> None:
        self.client.close()


class EntraSignIn:
    def __init__(self, config: EntraConfig) -> None:
        self.config = config

    def _client(self) -> Any:
        """A new msal client per sign-in, with its own token cache: nothing about one person's
        sign-in stays in memory for the next."""
        return msal.ConfidentialClientApplication(
            self.config.client_id,
            client_credential=self.config.client_secret,
            authority=self.config.authority,
            instance_discovery=False,
            exclude_scopes=["offline_access"],
            token_cache=msal.TokenCache(),
            http_client=_Http(self.config.verify),
        )

    def begin(self) -> dict[str, Any]:
        """A new flow: its `auth_uri` is where the browser goes; the rest stays on the server."""
        flow = self._client().initiate_auth_code_flow(
            SCOPES, redirect_uri=self.config.redirect_uri, response_mode="form_post"
        )
        return cast(dict[str, Any], flow)

    def finish(self, flow: dict[str, Any], answer: dict[str, str], now: datetime) -> Person:
        """Redeem Entra ID's form_post `answer` for the flow this browser began."""
        if answer.get("state", "") != flow.get("state"):
            raise EntraRefused("state")
        if "error" in answer:
            raise EntraRefused(f"entra:{answer['error'][:40]}")
        try:
            result = self._client().acquire_token_by_auth_code_flow(flow, answer)
        except Exception as error:  # msal: a state or nonce mismatch, a malformed answer
            raise EntraRefused(f"msal:{type(error).__name__}") from None
        if not isinstance(result, dict) or "id_token" not in result:
            code = result.get("error", "no id_token") if isinstance(result, dict) else "?"
            raise EntraRefused(f"token:{str(code)[:40]}")
        claims = self.validate(str(result["id_token"]), nonce_hash(str(flow["nonce"])), now)
        email = str(claims.get("email") or claims.get("preferred_username") or "")
        return Person(oid=str(claims.get("oid") or ""), email=email.strip().lower())

    def _keys(self) -> jwt.PyJWKSet:
        """The tenant's signing keys, from its OpenID configuration (fetched per sign-in, so a
        key rollover needs nothing from us)."""
        with httpx.Client(verify=tls(self.config.verify), timeout=TIMEOUT_SECONDS) as http:
            discovery = http.get(f"{self.config.issuer}/.well-known/openid-configuration")
            discovery.raise_for_status()
            keys = http.get(str(discovery.json()["jwks_uri"]))
            keys.raise_for_status()
            return jwt.PyJWKSet.from_dict(keys.json())

    def validate(self, token: str, nonce: str, now: datetime) -> dict[str, Any]:
        """The ID token's claims, once every check passes; EntraRefused otherwise."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self._keys().keys if k.key_id == kid), None)
        except (jwt.PyJWTError, httpx.HTTPError, KeyError, ValueError):
            raise EntraRefused("keys") from None
        if key is None:
            raise EntraRefused("unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                audience=self.config.client_id,
                issuer=self.config.issuer,
                options={
                    "require": ["exp", "nbf", "iss", "aud", "tid", "nonce"],
                    "verify_exp": False,  # on QI Hub's clock, below
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise EntraRefused("audience") from None
        except jwt.InvalidIssuerError:
            raise EntraRefused("issuer") from None
        except jwt.PyJWTError as error:
            raise EntraRefused(f"token:{type(error).__name__}") from None
        stamp = now.timestamp()
        if stamp >= float(claims["exp"]) + LEEWAY_SECONDS:
            raise EntraRefused("expired")
        if stamp + LEEWAY_SECONDS < float(claims["nbf"]):
            raise EntraRefused("not yet valid")
        if claims.get("tid") != self.config.tenant_id:
            raise EntraRefused("tenant")
        if claims.get("nonce") != nonce:
            raise EntraRefused("nonce")
        return claims
