//! Generating the whole built-in spec: parse, check, emit (what `generate!` does per build).
//!
//! `cargo bench -p xpay-codegen --bench codegen`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use xpay_codegen::{Generator, Settings, Spec};

const SPEC: &str = include_str!("../../spec/xpay.yaml");

fn codegen(c: &mut Criterion) {
    let generator = Generator::new(Settings::new());
    let mut g = c.benchmark_group("codegen");
    g.bench_function("parse+check+emit whole spec", |b| {
        b.iter(|| {
            let spec = Spec::load("spec/xpay.yaml", black_box(SPEC)).unwrap();
            generator.tokens(&spec)
        })
    });
    g.bench_function("parse+check only", |b| {
        b.iter(|| Spec::load("spec/xpay.yaml", black_box(SPEC)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, codegen);
criterion_main!(benches);
