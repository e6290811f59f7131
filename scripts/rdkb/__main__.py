from rdkb.cli import main

raise SystemExit(main())
