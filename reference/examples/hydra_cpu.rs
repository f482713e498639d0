//! On-CPU time of Hydra classification on the full-size model, robust to a busy machine:
//! reads the thread's own CPU time from `/proc/thread-self/schedstat` (Linux) around N calls.
//! `cargo run --release -p m2m-reference --example hydra_cpu` (see reports/performance-hydra.md).

use m2m_reference::hydra::{self, synth, Model};

fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn main() {
    let bytes = synth::full_model(2026);
    let loads = 20;
    let t0 = cpu_ns().expect("Linux /proc/thread-self/schedstat");
    for _ in 0..loads {
        std::hint::black_box(Model::from_safetensors(&bytes).expect("loads"));
    }
    let t1 = cpu_ns().expect("schedstat");
    println!(
        "load-full: {:.2} ms CPU per load",
        (t1 - t0) as f64 / loads as f64 / 1e6
    );
    let model = Model::from_safetensors(&bytes).expect("loads");
    let base = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise the quarterly report and list three risks.\"}]} ";
    for len in [64usize, 512, 2048] {
        let text = base.repeat(len / base.len() + 1)[..len].to_owned();
        let n = 2000;
        let t0 = cpu_ns().expect("schedstat");
        for _ in 0..n {
            std::hint::black_box(hydra::classify(Some(&model), std::hint::black_box(&text)));
        }
        let t1 = cpu_ns().expect("schedstat");
        println!(
            "classify {len:>4} bytes: {:.1} µs CPU per call",
            (t1 - t0) as f64 / n as f64 / 1e3
        );
    }
}
