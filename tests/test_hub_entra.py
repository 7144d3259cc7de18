"""Signing in to the Improvement Hub with Entra ID, end to end against a local fake OpenID
provider over TLS (tests/fake_entra.py): msal's auth-code flow with PKCE and form_post, and our
own check of the ID token (signature, issuer, audience, tenant, expiry, nonce).

The happy path by email and by object id; and each way it must fail: a forged state, a flow
begun in another browser or replayed, a token from another tenant or issuer, for another
audience, expired, not yet valid or signed by another key, and a person QI Hub does not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import select

from bot.settings import Settings
from bot.signin.entra import EntraConfig, entra_config
from bot.signin.web import mount_sign_in
from store.models import HubSession, HubSignInFlow
from tests.fake_entra import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_TENANT,
    TENANT_ID,
    FakeEntra,
)
from tests.harness import ALEX, TOM, Harness
from tests.signin_kit import cookie_value, request, serving, set_cookies, words

SESSION, FLOW = "qihub-dev-session", "qihub-dev-signin"
FROM_MICROSOFT = {"sec-fetch-site": "cross-site"}  # how a browser marks Entra ID's form_post


@pytest.fixture
def entra(tmp_path: Path) -> Iterator[FakeEntra]:
    fake = FakeEntra(tmp_path)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def site(hub: Harness, entra: FakeEntra) -> Iterator[httpx.Client]:
    web = FastAPI()
    config = EntraConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenant_id=TENANT_ID,
        login_url=entra.url,
        redirect_uri="http://localhost:3000/hub/signin/entra/callback",
        verify=entra.ca_file,
    )
    mount_sign_in(web, hub.app, entra=config)
    with serving(web) as client:
        yield client


def claims(hub: Harness, email: str = ALEX, **overrides: Any) -> dict[str, Any]:
    now = hub.clock.now().timestamp()
    return {
        "oid": f"oid-{email}",
        "email": email,
        "name": "Someone",
        "iat": int(now),
        "nbf": int(now),
        "exp": int(now) + 3600,
        **overrides,
    }


def begin(site: httpx.Client, next_path: str = "/hub/account") -> tuple[str, dict[str, str]]:
    """Press "Sign in with your Microsoft account": where the browser goes, and its cookie."""
    started = request(site, "POST", "/hub/signin/entra", data={"next": next_path})
    assert started.status_code == 303, started.text
    line = set_cookies(started)[FLOW]
    assert "Secure" in line and "HttpOnly" in line and "SameSite=none" in line
    return started.headers["location"], {FLOW: cookie_value(started, FLOW)}


def come_back(
    site: httpx.Client, answer: dict[str, str], cookies: dict[str, str]
) -> httpx.Response:
    return request(
        site, "POST", "/hub/signin/entra/callback", cookies, data=answer, headers=FROM_MICROSOFT
    )


def sign_in(hub: Harness, site: httpx.Client, entra: FakeEntra, **token: Any) -> httpx.Response:
    where, cookies = begin(site)
    assert where.startswith(f"{entra.url}/{TENANT_ID}/oauth2/v2.0/authorize?")
    return come_back(site, entra.authorize(where, claims(hub, **token)), cookies)


def sessions(hub: Harness) -> list[int]:
    with hub.app.uow_factory() as uow:
        return list(uow.session.scalars(select(HubSession.staff_id)))


def staff_id(hub: Harness, email: str) -> int:
    with hub.app.uow_factory() as uow:
        person = uow.staff.by_email(email)
        assert person is not None
        return person.id


def refused(
    answer: httpx.Response,
    hub: Harness,
    status: int = 403,
    caplog: pytest.LogCaptureFixture | None = None,
    because: str = "",
) -> None:
    """No session, and (given `because`) refused for that reason and no other."""
    assert answer.status_code == status, answer.text
    assert SESSION not in set_cookies(answer)
    assert sessions(hub) == []
    if caplog is not None:
        reasons = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert reasons == [f"hub sign-in: Entra ID sign-in refused ({because})"], reasons


# ------------------------------------------------------------------------------ happy paths
def test_signing_in_with_microsoft_by_email(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    page = request(site, "GET", "/hub/signin?next=/hub/account")
    assert "Sign in with your Microsoft account" in words(page)
    assert f"form-action 'self' {entra.url}" in page.headers["content-security-policy"]
    back = sign_in(hub, site, entra)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/hub/account"
    assert "Max-Age=0" in set_cookies(back)[FLOW] or "expires" in set_cookies(back)[FLOW]
    mine = request(site, "GET", "/hub/account", {SESSION: cookie_value(back, SESSION)})
    assert "Alex Morgan" in words(mine) and "Microsoft account" in words(mine)
    assert sessions(hub) == [staff_id(hub, ALEX)]
    assert entra.token_requests == 1


def test_the_object_id_comes_before_the_email(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    """The person Teams knows by this object id, whatever email the token carries."""
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.teams_aad_id = "tom-object-id"
        uow.commit()
    back = sign_in(hub, site, entra, oid="tom-object-id", email="t.baker@nhs.example")
    assert back.status_code == 303
    assert sessions(hub) == [staff_id(hub, TOM)]


def test_an_email_whose_record_has_another_object_id_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.teams_aad_id = "tom-object-id"
        uow.commit()
    refused(sign_in(hub, site, entra, email=TOM, oid="someone-else"), hub)


# ------------------------------------------------------------------------------ refusals
def test_a_forged_state_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    where, cookies = begin(site)
    answer = entra.authorize(where, claims(hub))
    refused(
        come_back(site, {**answer, "state": "forged-state"}, cookies), hub, 403, caplog, "state"
    )
    assert entra.token_requests == 0  # the code was never even redeemed


def test_a_flow_begun_in_another_browser_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    """Login CSRF: an attacker's own code and state, posted from the victim's browser."""
    where, _attackers = begin(site)
    answer = entra.authorize(where, claims(hub))
    _victim_where, victims = begin(site)
    refused(come_back(site, answer, victims), hub, 403)
    refused(come_back(site, answer, {}), hub, 400)


def test_an_answer_is_used_once(hub: Harness, site: httpx.Client, entra: FakeEntra) -> None:
    where, cookies = begin(site)
    answer = entra.authorize(where, claims(hub))
    assert come_back(site, answer, cookies).status_code == 303
    again = come_back(site, answer, cookies)
    assert again.status_code == 400 and "start again" in words(again)
    assert len(sessions(hub)) == 1


def test_a_flow_left_too_long_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    where, cookies = begin(site)
    hub.clock.advance(timedelta(minutes=11))
    refused(come_back(site, entra.authorize(where, claims(hub)), cookies), hub, 400)


def test_a_token_for_another_tenant_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    refused(sign_in(hub, site, entra, tid=OTHER_TENANT), hub, 403, caplog, "tenant")


def test_a_token_from_another_issuer_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    refused(sign_in(hub, site, entra, iss=entra.issuer(OTHER_TENANT)), hub, 403, caplog, "issuer")


def test_a_token_for_another_audience_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    refused(sign_in(hub, site, entra, aud="another-app"), hub, 403, caplog, "audience")


def test_an_expired_token_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    now = int(hub.clock.now().timestamp())
    refused(
        sign_in(hub, site, entra, iat=now - 7200, nbf=now - 7200, exp=now - 61),
        hub,
        403,
        caplog,
        "expired",
    )


def test_a_token_not_yet_valid_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    now = int(hub.clock.now().timestamp())
    refused(
        sign_in(hub, site, entra, nbf=now + 120, exp=now + 3600), hub, 403, caplog, "not yet valid"
    )


def test_a_token_signed_with_another_key_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra, caplog: pytest.LogCaptureFixture
) -> None:
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused(sign_in(hub, site, entra, _key=rogue), hub, 403, caplog, "token:InvalidSignatureError")


def test_an_unknown_person_is_refused(hub: Harness, site: httpx.Client, entra: FakeEntra) -> None:
    answer = sign_in(hub, site, entra, email="nobody@clatterbridge.example")
    refused(answer, hub)
    assert "staff directory" in words(answer)


def test_a_deactivated_person_is_refused(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.active = False
        tom.teams_aad_id = "tom-object-id"
        uow.commit()
    refused(sign_in(hub, site, entra, email=TOM), hub)  # by email
    refused(sign_in(hub, site, entra, oid="tom-object-id", email="t.baker@nhs.example"), hub)


def test_starting_from_another_site_is_refused(hub: Harness, site: httpx.Client) -> None:
    forged = request(site, "POST", "/hub/signin/entra", data={}, headers=FROM_MICROSOFT)
    assert forged.status_code == 403
    with hub.app.uow_factory() as uow:
        assert list(uow.session.scalars(select(HubSignInFlow))) == []


def test_the_next_page_is_only_ever_ours(
    hub: Harness, site: httpx.Client, entra: FakeEntra
) -> None:
    where, cookies = begin(site, "//evil.example/hub")
    back = come_back(site, entra.authorize(where, claims(hub)), cookies)
    assert back.headers["location"] == "/hub"


def test_the_flow_is_stored_only_by_its_cookies_hash(hub: Harness, site: httpx.Client) -> None:
    _where, cookies = begin(site)
    with hub.app.uow_factory() as uow:
        row = uow.session.scalar(select(HubSignInFlow))
        assert row is not None and cookies[FLOW] not in row.binding_hash


def test_entra_sign_in_uses_the_bots_app_registration() -> None:
    from handlers.config import load_config

    config = load_config()
    settings = Settings(
        _env_file=None,
        teams_client_id=CLIENT_ID,
        teams_client_secret=CLIENT_SECRET,
        teams_tenant_id=TENANT_ID,
    )
    made = entra_config(settings, config)
    assert made is not None
    assert made.authority == f"https://login.microsoftonline.com/{TENANT_ID}"
    assert made.issuer == f"https://login.microsoftonline.com/{TENANT_ID}/v2.0"
    assert made.redirect_uri == "http://localhost:3000/hub/signin/entra/callback"
    off = Settings(_env_file=None, teams_client_id=CLIENT_ID, teams_tenant_id=TENANT_ID)
    assert entra_config(off, config) is None  # no secret
    assert entra_config(settings.model_copy(update={"hub_entra_sign_in": False}), config) is None


def test_an_id_token_for_another_sign_in_is_refused(hub: Harness, entra: FakeEntra) -> None:
    """Our own nonce check, beside msal's: a valid token minted for another sign-in (another
    nonce) is refused, as is one missing a claim we rely on."""
    import jwt

    from bot.signin.entra import EntraRefused, EntraSignIn
    from tests.fake_entra import KID, SIGNING_KEY

    checker = EntraSignIn(
        EntraConfig(CLIENT_ID, CLIENT_SECRET, TENANT_ID, entra.url, "", verify=entra.ca_file)
    )
    base = {**claims(hub), "iss": entra.issuer(), "aud": CLIENT_ID, "tid": TENANT_ID}

    def signed(**changes: Any) -> str:
        body = {k: v for k, v in {**base, **changes}.items() if v is not None}
        return jwt.encode(body, SIGNING_KEY, algorithm="RS256", headers={"kid": KID})

    now = hub.clock.now()
    assert checker.validate(signed(nonce="ours"), "ours", now)["oid"] == f"oid-{ALEX}"
    with pytest.raises(EntraRefused, match="nonce"):
        checker.validate(signed(nonce="another sign-in's"), "ours", now)
    with pytest.raises(EntraRefused, match="MissingRequiredClaimError"):
        checker.validate(signed(nonce="ours", tid=None), "ours", now)
