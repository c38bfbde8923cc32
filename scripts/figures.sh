#!/usr/bin/env bash
# Regenerates the figures quoted in README.md: eval on the gold set, and the
# benchmarks. Run after `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=./target/release/quotestance
echo '$ quotestance eval'
$bin eval
echo
echo '$ quotestance eval --gold ../shared/eval/real_gold'
$bin eval --gold ../shared/eval/real_gold
echo
echo '$ # models/stance/meta.json: what train-stance measured (5-fold CV by article on the development part; the held-out part once)'
python3 - <<'PY'
import json
meta = json.load(open("models/stance/meta.json"))
print(f"config: {meta['config']}")
for part in ("cross_validated", "held_out"):
    for name, r in meta[part].items():
        rec = r["per_label_recall"]
        print(f"{part:<16} {name:<20} n={r['n']:<5} macro-F1 {r['macro_f1']:.3f}  false alarms {r['false_alarm_rate']:.3f}  recall support {rec['support']:.3f} oppose {rec['oppose']:.3f}")
PY
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
echo '$ quotestance bench-extract   # article bodies of 181 real web pages'
$bin bench-extract
echo
echo '$ quotestance bench detect --input eval/gold'
$bin bench detect --input eval/gold
echo '$ quotestance bench pipeline --input examples/seed-kerry-iran-bbc.txt --repeat 8 --seconds 10   # a 629-word article, 8 copies per round'
$bin bench pipeline --input examples/seed-kerry-iran-bbc.txt --repeat 8 --seconds 10
echo '$ quotestance bench pipeline --input examples/seed-kerry-iran-bbc.txt --seconds 10   # the same article, one at a time'
$bin bench pipeline --input examples/seed-kerry-iran-bbc.txt --seconds 10
echo '$ quotestance bench pipeline --input eval/gold --seconds 20'
$bin bench pipeline --input eval/gold --seconds 20
echo '$ bench/memory.sh   # one 4 MB article, /usr/bin/time -v'
bash bench/memory.sh 4000000
echo
echo '$ make bench   # bench/compare.sh: ours beside sentence-transformers, same weights, same run'
BENCH_SECONDS=10 bash bench/compare.sh 2>/dev/null
