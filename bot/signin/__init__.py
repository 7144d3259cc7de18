"""The Improvement Hub's sign-in on the web: routes (web.py), pages (pages.py), cookies
(cookies.py) and Entra ID (entra.py). The rules themselves are in handlers/signin/."""
