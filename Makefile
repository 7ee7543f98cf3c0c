# The two commands of the README, plus the benchmark. Each installs what it needs first.
.PHONY: demo test bench

demo:
	@bash integration/bin/demo $(ARGS)

test:
	@bash integration/bin/test $(ARGS)

bench:
	@bash integration/bin/bench $(ARGS)
