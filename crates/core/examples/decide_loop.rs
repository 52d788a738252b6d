//! Runs one decision many times, for counting instructions (which, unlike time, a busy machine
//! does not disturb): `perf stat -e instructions:u target/release/examples/decide_loop A O N`
//! for A activities, O offers and N decisions; the difference between two values of N divided
//! by their difference is the cost of one decision. It also prints how many allocations one
//! decision makes.

#[path = "../benches/support/catalogue.rs"]
mod catalogue;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use waymark_core::engine::Engine;

/// The system allocator, counting allocations.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let decision = engine.decide(&input);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "one decision: {} reasons, {allocations} allocations (reallocations included)",
        decision.reasons.len()
    );
    for _ in 0..n {
        std::hint::black_box(engine.decide(&input));
    }
}
