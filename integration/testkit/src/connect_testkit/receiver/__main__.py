from connect_testkit.receiver.cli import main

raise SystemExit(main())
