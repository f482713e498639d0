//! The committed model files under `models/` are exactly what the seeded generator makes
//! (`make-hydra-model --tiny`), and each tiny model loads.

use std::path::Path;

use m2m_reference::hydra::{synth, Model};

fn models_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../models"))
}

#[test]
fn committed_tiny_models_match_the_generator_and_load() {
    for (name, bytes) in synth::tiny_models() {
        let on_disk = std::fs::read(models_dir().join(name)).expect(name);
        assert!(
            on_disk == bytes,
            "models/{name} differs from make-hydra-model --tiny"
        );
        let m = Model::from_safetensors(&bytes).expect(name);
        assert_eq!(m.hidden, 16);
    }
}

#[test]
fn committed_corrupt_files_match_the_generator() {
    for (name, bytes) in synth::corrupt_files() {
        let path = models_dir()
            .join("corrupt")
            .join(format!("{name}.safetensors"));
        let on_disk = std::fs::read(&path).expect(name);
        assert!(
            on_disk == bytes,
            "{} differs from make-hydra-model --tiny",
            path.display()
        );
    }
}
