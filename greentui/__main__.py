"""Allows `python -m greentui`."""

from greentui.cli.main import main

raise SystemExit(main())
