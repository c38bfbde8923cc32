#!/usr/bin/env bash
# Regenerates the figures quoted in README.md: eval on the gold set, and the
# benchmarks. Run after `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./target/release/quotestance
echo '$ quotestance eval'
$bin eval
echo
echo '$ quotestance stance-curve   # 5-fold CV on ../shared/eval/train with a share of the training articles'
$bin stance-curve 2>/dev/null
echo
echo '$ quotestance eval-ner'
$bin eval-ner
echo
echo '$ quotestance bench-polnear'
$bin bench-polnear
echo
echo '$ quotestance bench detect --input eval/gold'
$bin bench detect --input eval/gold
echo '$ quotestance bench pipeline --input examples/seed-kerry-iran-bbc.txt --repeat 8 --seconds 10   # a 629-word article, 8 copies per round'
$bin bench pipeline --input examples/seed-kerry-iran-bbc.txt --repeat 8 --seconds 10
echo '$ quotestance bench pipeline --input examples/seed-kerry-iran-bbc.txt --seconds 10   # the same article, one at a time'
$bin bench pipeline --input examples/seed-kerry-iran-bbc.txt --seconds 10
echo '$ quotestance bench pipeline --input eval/gold --seconds 20'
$bin bench pipeline --input eval/gold --seconds 20
echo
echo '$ make bench   # bench/compare.sh: ours beside sentence-transformers, same weights, same run'
BENCH_SECONDS=10 bash bench/compare.sh 2>/dev/null
