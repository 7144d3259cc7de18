"""A local Bot Framework OpenID metadata + JWKS endpoint, and tokens signed as Teams signs them.

The keys are real RSA keys: `KEY` is published with the "msteams" endorsement, `SKYPE_KEY`
is published but endorsed for another channel only, and `ROGUE_KEY` is never published (a
forgery). Tokens carry the claims Bot Framework sends (see fixtures/teams/bot_framework_auth.json).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fake_http import FakeHTTPServer, Request, json_bytes, reply

ISSUER = "https://api.botframework.com"
CLIENT_ID = "c38eda0f-e780-49ae-86f0-afb644203cf8"
TENANT_ID = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    endorsements: tuple[str, ...]

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(
            jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key())
        )
        data.update(kid=self.kid, use="sig", alg="RS256", endorsements=list(self.endorsements))
        return data


def _key(kid: str, *endorsements: str) -> SigningKey:
    return SigningKey(
        kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), endorsements
    )


KEY = _key("test-key-msteams", "msteams", "webchat")
SKYPE_KEY = _key("test-key-skype", "skype")
ROGUE_KEY = _key("test-key-msteams")  # same kid as KEY, never published: a forgery


class FakeOpenId(FakeHTTPServer):
    """Serves /v1/.well-known/openidconfiguration and /v1/.well-known/keys on 127.0.0.1."""

    methods = ("GET",)

    def __init__(self) -> None:
        self.url = ""
        self.key_fetches = 0

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/v1/.well-known/openidconfiguration"

    def respond(self, request: Request) -> None:
        if request.path.endswith("/openidconfiguration"):
            body: dict[str, Any] = {
                "issuer": ISSUER,
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        elif request.path.endswith("/keys"):
            self.key_fetches += 1
            body = {"keys": [KEY.jwk(), SKYPE_KEY.jwk()]}
        else:
            request.send_response(404)
            request.end_headers()
            return
        reply(request, 200, json_bytes(body))


def token(
    service_url: str,
    *,
    key: SigningKey = KEY,
    audience: str = CLIENT_ID,
    issuer: str = ISSUER,
    lifetime: float = 3600,
    issued: float | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A Bot Framework token for an activity whose serviceUrl is `service_url`."""
    now = time.time() if issued is None else issued
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "nbf": int(now) - 5,
        "iat": int(now) - 5,
        "exp": int(now + lifetime),
        "serviceurl": service_url,
        **(extra or {}),
    }
    return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})


def outbound_token() -> str:
    """A JWT-shaped token for the bot's own calls to the fake connector (the SDK decodes it)."""
    claims = {
        "aud": "https://api.botframework.com",
        "iss": "test",
        "exp": 4102444800,  # 2100: the same token every time, so tests can compare it
        "appid": CLIENT_ID,
    }
    return jwt.encode(claims, "not-a-real-secret-0123456789abcdef", algorithm="HS256")
