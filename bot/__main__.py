"""`python -m bot` is the same as `qihub`."""

from bot.cli import main

raise SystemExit(main())
