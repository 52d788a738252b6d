//! Runs one decision many times, for counting instructions (which, unlike time, a busy machine
//! does not disturb): `perf stat -e instructions:u target/release/examples/decide_loop A O N`
//! for A activities, O offers and N decisions; the difference between two values of N divided
//! by their difference is the cost of one decision.

#[path = "../benches/support/catalogue.rs"]
mod catalogue;

use waymark_core::engine::Engine;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let &[activities, offers, n] = args.as_slice() else {
        eprintln!("usage: decide_loop ACTIVITIES OFFERS N");
        std::process::exit(2);
    };
    let engine = match Engine::from_json(&catalogue::bundle(activities, offers).to_string()) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let input = catalogue::input();
    let mut reasons = 0;
    for _ in 0..n {
        reasons += std::hint::black_box(engine.decide(&input)).reasons.len();
    }
    println!("{reasons} reasons");
}
