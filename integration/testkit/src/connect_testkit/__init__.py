"""What the Connect packages' tests need to run against real things: a local OTLP/HTTP and
page-view beacon receiver (`connect_testkit.receiver`), free ports (`connect_testkit.ports`),
real servers as child processes (`connect_testkit.servers`) and fresh interpreters
(`connect_testkit.scripts`)."""
