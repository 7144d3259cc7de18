"""A local OpenID provider standing in for Microsoft Entra ID, over TLS on 127.0.0.1.

msal insists on an https authority, so the fake serves a self-signed certificate whose CA file
the web app is told to trust (create_web_app's `entra_verify`). It serves what msal and our ID
token check fetch (discovery, JWKS) and the token endpoint, which checks the client secret, the
redirect URI and PKCE before it signs an ID token with a test RSA key. The authorize step is
the test's own `authorize`: it plays the person signing in and gives back the form_post answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.fake_http import FakeHTTPServer, Request, json_bytes, read_text, reply

CLIENT_ID = "5f0c8d2e-7a51-4c3e-9b1d-2f6a7e8c9d10"
CLIENT_SECRET = "fake-entra-client-secret"
TENANT_ID = "0b6f5c4a-3e2d-4c1b-8a9f-7e6d5c4b3a21"
OTHER_TENANT = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "fake-entra-key"


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake entra")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "entra.pem", directory / "entra.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class FakeEntra(FakeHTTPServer):
    directory: Path
    url: str = ""
    ca_file: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """code -> what the authorize step was asked, and the claims to sign."""
    token_requests: int = 0

    def start(self) -> ThreadingHTTPServer:  # the base's start, over TLS
        cert_file, key_file = _certificate(self.directory)
        self.ca_file = str(cert_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        fake = self

        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake.respond(self)

            def do_POST(self) -> None:
                fake.respond(self)

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{server.server_address[1]}"
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self._server = server
        return server

    def issuer(self, tenant: str = TENANT_ID) -> str:
        return f"{self.url}/{tenant}/v2.0"

    def respond(self, request: Request) -> None:
        path = urlsplit(request.path).path
        if path.endswith("/.well-known/openid-configuration"):
            tenant = path.split("/")[1]
            base = f"{self.url}/{tenant}"
            body: Any = {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "jwks_uri": f"{self.url}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        elif path.endswith("/keys"):
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
            body = {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}
        elif path.endswith("/oauth2/v2.0/token") and request.command == "POST":
            self.token_requests += 1
            status, body = self._token(parse_qs(read_text(request)))
            reply(request, status, json_bytes(body))
            return
        else:
            reply(request, 404, json_bytes({"error": "not_found"}))
            return
        reply(request, 200, json_bytes(body))

    def authorize(self, auth_uri: str, claims: dict[str, Any]) -> dict[str, str]:
        """The person signs in at `auth_uri`: the form_post answer Entra ID would send back
        (a code for an ID token with `claims` over the defaults), checked as Entra checks."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_uri).query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["response_mode"] == "form_post"
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert set(query["scope"].split()) == {"openid", "profile", "email"}
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"query": query, "claims": claims}
        return {"code": code, "state": query["state"], "session_state": "fake-session"}

    def _token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        got = {k: v[0] for k, v in form.items()}
        grant = self.codes.pop(got.get("code", ""), None)
        if grant is None:
            return 400, {"error": "invalid_grant"}
        asked = grant["query"]
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(got.get("code_verifier", "").encode()).digest()
        ).rstrip(b"=")
        if challenge.decode() != asked["code_challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        if got.get("client_secret") != CLIENT_SECRET or got.get("client_id") != CLIENT_ID:
            return 401, {"error": "invalid_client"}
        if got.get("redirect_uri") != asked["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        claims = {
            "sub": "pairwise-" + str(grant["claims"].get("oid", "")),
            "ver": "2.0",
            "iss": self.issuer(),
            "aud": CLIENT_ID,
            "tid": TENANT_ID,
            "nonce": asked["nonce"],
            **grant["claims"],
        }
        key = claims.pop("_key", SIGNING_KEY)
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})
        client_info = {"uid": claims.get("oid", ""), "utid": claims.get("tid", "")}
        return 200, {
            "client_info": base64.urlsafe_b64encode(json.dumps(client_info).encode()).decode(),
            "token_type": "Bearer",
            "scope": "openid profile email",
            "expires_in": 3600,
            "access_token": "fake-access-token",
            "id_token": id_token,
        }
