"""The Python side of `make bench`: the encoder work of quotestance's pipeline
done by sentence-transformers on the same all-MiniLM-L6-v2 weights.

quotestance encodes every paragraph of an article once and reads all stages
off the per-token states. Here each article's paragraphs (split the way
quotestance splits them: at blank lines) go through
SentenceTransformer.encode(output_value="token_embeddings"), which sorts the
texts by length and batches them, as its users would run it. With --int8 the
model's Linear layers first get torch's dynamic int8 quantization.

Prints one line, like `quotestance bench encoder`:
    python-fp32: 3.21 articles/s, 1690 words/s (...)
"""
import argparse
import glob
import json
import os
import re
import time
import warnings

import torch
from sentence_transformers import SentenceTransformer


def read_articles(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(glob.glob(os.path.join(p, "*.txt")) + glob.glob(os.path.join(p, "*.json")))
        else:
            files.append(p)
    texts = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            texts.append(json.load(fh)["text"] if f.endswith(".json") else fh.read())
    if not texts:
        raise SystemExit(f"python_encode.py: no .txt or .json articles in {paths}")
    return texts


def paragraphs(text):
    return [p.strip() for p in re.split(r"\n[^\S\n]*\n", text) if p.strip()]


def main():
    warnings.filterwarnings("ignore", category=FutureWarning)  # transformers' tokenizer notice
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--int8", action="store_true")
    args = ap.parse_args()

    model = SentenceTransformer(args.model_dir, device="cpu")
    model.max_seq_length = 256  # as quotestance's encoder
    if args.int8:
        model = torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    texts = read_articles(args.inputs)
    articles = [paragraphs(t) for t in texts]
    words = sum(len(t.split()) for t in texts)

    def one_round():
        for paras in articles:
            model.encode(paras, batch_size=32, output_value="token_embeddings", convert_to_numpy=False, show_progress_bar=False)

    one_round()  # warm-up
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < args.seconds:
        one_round()
        rounds += 1
    secs = time.perf_counter() - start
    name = "python-int8" if args.int8 else "python-fp32"
    print(
        f"{name}: {len(articles) * rounds / secs:.2f} articles/s, {words * rounds / secs:.0f} words/s "
        f"({len(articles)} articles of {words / len(articles):.0f} words on average, {rounds} rounds in {secs:.2f} s, "
        f"{torch.get_num_threads()} threads)"
    )


if __name__ == "__main__":
    main()
