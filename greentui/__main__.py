"""Allows `python -m greentui`."""

from greentui.cli import main

raise SystemExit(main())
