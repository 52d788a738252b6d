//! The one sort decisions use: stable, by a `u128` key.
//!
//! Natively it is the standard library's stable sort. In wasm, where each of the standard
//! library's sorts is generic over the element and the comparison (so each call site brings its
//! own copy of a large algorithm, about 8 KB each), only the key extraction and the final move
//! are generic, and the sorting itself is one small heapsort over `(key, position)` pairs:
//! slower, but small. Both are stable sorts by the same key, so they give the same order.

/// Sorts `items` by `key`, keeping the order of items with equal keys.
pub(super) fn sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u128) {
    if cfg!(target_arch = "wasm32") {
        small_sort_by_key(items, key);
    } else {
        items.sort_by_key(key);
    }
}

/// [`sort_by_key`] for wasm, where code size counts most.
fn small_sort_by_key<T>(items: &mut Vec<T>, key: impl Fn(&T) -> u128) {
    if items.len() < 2 {
        return;
    }
    let mut pairs: Vec<(u128, usize)> = items.iter().map(&key).zip(0..).collect();
    heapsort(&mut pairs);
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(
        pairs
            .iter()
            .filter_map(|&(_, at)| slots.get_mut(at).and_then(Option::take)),
    );
}

fn heapsort(v: &mut [(u128, usize)]) {
    for start in (0..v.len() / 2).rev() {
        sift_down(v, start);
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        if let Some(heap) = v.get_mut(..end) {
            sift_down(heap, 0);
        }
    }
}

fn sift_down(v: &mut [(u128, usize)], mut node: usize) {
    loop {
        let mut child = 2 * node + 1;
        if child >= v.len() {
            return;
        }
        if child + 1 < v.len() && v[child] < v[child + 1] {
            child += 1;
        }
        if v[node] >= v[child] {
            return;
        }
        v.swap(node, child);
        node = child;
    }
}

#[cfg(test)]
mod tests {
    use super::{small_sort_by_key, sort_by_key};
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn sorts_stably_like_the_standard_library() {
        // A small deterministic generator: many equal keys, so stability shows.
        let mut seed = 7u64;
        for len in [0, 1, 2, 3, 10, 100, 1000] {
            let mut items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|&(k, _)| k);
            let mut small = items.clone();
            small_sort_by_key(&mut small, |&(k, _)| u128::from(k));
            assert_eq!(small, want, "{len}");
            sort_by_key(&mut items, |&(k, _)| u128::from(k));
            assert_eq!(items, want, "{len}");
        }
    }
}
