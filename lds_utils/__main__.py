from lds_utils.cli import main

raise SystemExit(main())
