//! Node caches of the fast path: within one parse, and across the parses
//! of a [`CacheScope`] (render's), so repeated lines share their nodes.

use std::collections::HashMap;

use super::Green;

/// FxHash: the caches key on short strings, where SipHash's cost showed.
#[derive(Default)]
pub(super) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.write(&[b]);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Nodes already built in this parse, by source text.
pub(super) type Cache<'a> = HashMap<&'a str, Green, BuildFx>;
pub(super) type BuildFx = std::hash::BuildHasherDefault<FxHasher>;

#[derive(Clone, Copy)]
pub(super) enum Which {
    Key,
    Scalar,
    Entry,
}

/// Nodes kept across the parses of one [`CacheScope`], by source text.
#[derive(Default)]
pub(super) struct Shared {
    keys: HashMap<Box<str>, Green, BuildFx>,
    scalars: HashMap<Box<str>, Green, BuildFx>,
    entries: HashMap<Box<str>, Green, BuildFx>,
}

impl Shared {
    pub(super) fn map(&mut self, which: Which) -> &mut HashMap<Box<str>, Green, BuildFx> {
        match which {
            Which::Key => &mut self.keys,
            Which::Scalar => &mut self.scalars,
            Which::Entry => &mut self.entries,
        }
    }
}

/// More entries than a package's distinct lines: stop growing past this.
pub(super) const SHARED_LIMIT: usize = 1 << 16;

thread_local! {
    pub(super) static SHARED: std::cell::RefCell<Option<Shared>> = const { std::cell::RefCell::new(None) };
}

/// While alive, parses on this thread share their nodes (as rowan's node
/// cache would): render parses every item again after every function,
/// mostly unchanged lines. Dropping it frees the nodes.
pub(crate) struct CacheScope {
    previous: Option<Shared>,
}

impl CacheScope {
    pub(crate) fn new() -> Self {
        let previous = SHARED.with(|c| {
            c.try_borrow_mut()
                .ok()
                .and_then(|mut s| s.replace(Shared::default()))
        });
        Self { previous }
    }
}

impl Drop for CacheScope {
    fn drop(&mut self) {
        SHARED.with(|c| {
            if let Ok(mut s) = c.try_borrow_mut() {
                *s = self.previous.take();
            }
        });
    }
}
