//! Parallel map over work items on all cores (std scoped threads), with progress on stderr.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Maps `f` over `items` on `threads` threads (0 = all cores), preserving order. Prints
/// `label: done/total` to stderr as items finish when `progress` is set.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    label: &str,
    progress: bool,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |p| p.get())
    } else {
        threads
    };
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.min(n.max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let r = f(&items[i]);
                if let Ok(mut g) = results.lock() {
                    g[i] = Some(r);
                }
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                if progress && (d % 10 == 0 || d == n) {
                    eprintln!("{label}: {d}/{n}");
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn preserves_order() {
        let v: Vec<u32> = (0..100).collect();
        assert_eq!(
            super::map(&v, 2, "t", false, |x| x * 2),
            (0..100).map(|x| x * 2).collect::<Vec<_>>()
        );
    }
}
