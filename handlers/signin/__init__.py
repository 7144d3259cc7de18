"""Signing in to the Improvement Hub on the web (issue 17, item 2): one-time links issued in
chat, Entra ID, and the server-side sessions both lead to. The web routes are in bot/signin/."""
