#![cfg(feature = "model")]
//! The encoder against embeddings computed by Hugging Face transformers from the
//! same weights (tests/fixtures/reference_embeddings.json, made by
//! scripts/reference_embeddings.py). Needs the setup cache (`make setup`).

use quotestance::config::PipelineConfig;
use quotestance::encoder::{Encoder, DIM};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    texts: Vec<String>,
    embeddings: Vec<Vec<f32>>,
}

fn reference() -> Reference {
    let json = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference_embeddings.json")).unwrap();
    serde_json::from_str(&json).unwrap()
}

fn rows(t: &tch::Tensor) -> Vec<Vec<f32>> {
    let n = t.size()[0] as usize;
    let flat = Vec::<f32>::try_from(t.contiguous().view(-1)).unwrap();
    flat.chunks(flat.len() / n.max(1)).map(|c| c.to_vec()).collect()
}

#[test]
fn embeddings_match_the_transformers_reference() {
    let encoder = Encoder::load(&PipelineConfig::from_env().unwrap().model_dir).expect("run `make setup` first");
    let r = reference();
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    let ours = rows(&encoder.embed(&texts).unwrap());
    assert_eq!(ours.len(), r.embeddings.len());
    for (i, (a, b)) in ours.iter().zip(&r.embeddings).enumerate() {
        assert_eq!(a.len(), DIM as usize);
        let max_diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(max_diff < 1e-4, "text {i}: max abs difference {max_diff}");
    }
}

#[test]
fn batching_and_order_do_not_change_embeddings() {
    let mut encoder = Encoder::load(&PipelineConfig::from_env().unwrap().model_dir).expect("run `make setup` first");
    let r = reference();
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    let together = rows(&encoder.embed(&texts).unwrap());
    encoder.batch_size = 1;
    let reversed: Vec<&str> = texts.iter().rev().copied().collect();
    let alone = rows(&encoder.embed(&reversed).unwrap());
    for (i, row) in together.iter().enumerate() {
        let other = &alone[texts.len() - 1 - i];
        let max_diff = row.iter().zip(other).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(max_diff < 1e-5, "text {i}: {max_diff}");
    }
}

#[test]
fn token_states_carry_char_offsets_into_the_text() {
    let encoder = Encoder::load(&PipelineConfig::from_env().unwrap().model_dir).expect("run `make setup` first");
    let text = "Zarif warned «aerial bombardments» would fail.";
    let states = encoder.token_states(&[text]).unwrap();
    let s = &states[0];
    assert_eq!(s.hidden.size(), vec![s.offsets.len() as i64, DIM]);
    assert!(s.offsets.first().unwrap().is_none() && s.offsets.last().unwrap().is_none(), "[CLS] and [SEP] have no offsets");
    let chars: Vec<char> = text.chars().collect();
    let pieces: Vec<String> = s.offsets.iter().flatten().map(|piece| chars[piece.start..piece.end].iter().collect()).collect();
    assert!(pieces.contains(&"«".to_string()), "{pieces:?}");
    assert!(pieces.iter().any(|p| p == "Zarif" || p == "Za"), "{pieces:?}");
}

#[test]
fn int8_embeddings_stay_close_to_the_reference() {
    use quotestance::encoder::Precision;
    let mut encoder = Encoder::load(&PipelineConfig::from_env().unwrap().model_dir).expect("run `make setup` first");
    encoder.set_precision(Precision::Int8).unwrap();
    assert_eq!(encoder.precision(), Precision::Int8);
    let r = reference();
    let texts: Vec<&str> = r.texts.iter().map(String::as_str).collect();
    let ours = rows(&encoder.embed(&texts).unwrap());
    // Both are unit vectors, so the dot product is the cosine.
    let cosines: Vec<f32> = ours.iter().zip(&r.embeddings).map(|(a, b)| a.iter().zip(b).map(|(x, y)| x * y).sum()).collect();
    eprintln!("int8 cosines to the f32 reference: {cosines:?}");
    // Sentences stay within 0.98; a two-letter text ("OK") moves most.
    for (text, c) in texts.iter().zip(&cosines) {
        let floor = if text.split_whitespace().count() >= 5 { 0.98 } else { 0.95 };
        assert!(*c > floor, "{text:?}: cosine {c} to the f32 reference");
    }
    assert!(cosines.iter().any(|&c| c < 0.999_99), "int8 gave f32 results: is it used at all?");
}

#[test]
fn the_ner_layer_is_the_same_layer_at_both_precisions() {
    use quotestance::encoder::Precision;
    // Mean cosine between the rows of two `[pieces, DIM]` tensors.
    let mean_cosine = |a: &tch::Tensor, b: &tch::Tensor| {
        let (a, b) = (rows(a), rows(b));
        let cos = |x: &Vec<f32>, y: &Vec<f32>| {
            let dot: f32 = x.iter().zip(y).map(|(p, q)| p * q).sum();
            dot / (x.iter().map(|p| p * p).sum::<f32>().sqrt() * y.iter().map(|q| q * q).sum::<f32>().sqrt())
        };
        a.iter().zip(&b).map(|(x, y)| cos(x, y)).sum::<f32>() / a.len() as f32
    };
    let text = "Foreign Minister Sergei Lavrov said the strikes in Syria were illegal.";
    let mut encoder = Encoder::load(&PipelineConfig::from_env().unwrap().model_dir).expect("run `make setup` first");
    let f32_states = encoder.token_states(&[text]).unwrap().remove(0);
    encoder.set_precision(Precision::Int8).unwrap();
    let int8_states = encoder.token_states(&[text]).unwrap().remove(0);
    assert_eq!(f32_states.inner_hidden.size(), f32_states.hidden.size());
    let same_layer = mean_cosine(&f32_states.inner_hidden, &int8_states.inner_hidden);
    let other_layer = mean_cosine(&f32_states.inner_hidden, &int8_states.hidden);
    eprintln!("NER layer, f32 against int8: {same_layer}; against int8's last layer: {other_layer}");
    assert!(same_layer > 0.97, "the NER layer differs between precisions: {same_layer}");
    assert!(other_layer < same_layer - 0.1, "the NER layer is the last layer: {other_layer}");
}
