# The README's two commands: `make run` and `make test`. Both set everything up first.
.PHONY: setup run test eval figures bench stance-head

setup:
	bash scripts/setup.sh

# Classify the bundled sample articles and print the table.
run: setup
	./target/release/quotestance classify examples --format table

# Every test, then the eval gate against the floors in eval/floors.json.
test: setup
	bash scripts/setup-test.sh
	cargo test --release
	# Detection and attribution again in a debug build (no libtorch), where
	# debug assertions catch reversed spans that a release build lets through.
	cargo test --no-default-features --test properties
	./target/release/quotestance eval --floors eval/floors.json
	./target/release/quotestance eval --gold ../shared/eval/real_gold --floors eval/real-gold-floors.json
	./target/release/quotestance bench-polnear --floors eval/polnear-floors.json
	./target/release/quotestance eval-ner --floors eval/ner-floors.json
	./target/release/quotestance bench-extract --floors eval/extract-floors.json

eval: setup
	./target/release/quotestance eval

# The figures quoted in README.md.
figures: setup
	bash scripts/figures.sh

# Our throughput beside sentence-transformers doing the same encoder work.
bench: setup
	bash bench/compare.sh

# The committed stance head from scratch: every training source, the full
# model-selection grid (about ten minutes on 2 cores).
stance-head: setup
	./target/release/quotestance train-stance --out models/stance
