//! Helpers shared by the backends so that both interpret a [`Txn`] the same way.

use std::collections::HashMap;

use super::{Compare, Op};

/// The ops that take effect: when a txn writes one key several times only the
/// last op on it counts (etcd rejects duplicate keys, redb would otherwise
/// record several events per key and revision). Order: by last occurrence.
pub(crate) fn effective_ops(ops: &[Op]) -> Vec<&Op> {
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        last.insert(op_key(op), i);
    }
    ops.iter()
        .enumerate()
        .filter(|(i, op)| last.get(op_key(op)) == Some(i))
        .map(|(_, op)| op)
        .collect()
}

/// The key an op writes.
pub(crate) fn op_key(op: &Op) -> &str {
    match op {
        Op::Put { key, .. } | Op::Delete { key } => key,
    }
}

/// Distinct compared keys, in first-seen order (for `TxnOutcome::Failed`).
pub(crate) fn compared_keys(compares: &[Compare]) -> Vec<&str> {
    let mut keys: Vec<&str> = Vec::with_capacity(compares.len());
    for Compare::ModRevision { key, .. } in compares {
        if !keys.contains(&key.as_str()) {
            keys.push(key);
        }
    }
    keys
}

/// The smallest byte string greater than every string starting with
/// `prefix`, or `None` when there is none (empty or all-0xff prefix).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn put(k: &str) -> Op {
        Op::Put {
            key: k.into(),
            value: Bytes::from_static(b"v"),
        }
    }

    #[test]
    fn last_op_per_key_wins() {
        let ops = vec![put("a"), put("b"), Op::Delete { key: "a".into() }];
        let eff = effective_ops(&ops);
        assert_eq!(eff, vec![&ops[1], &ops[2]]);
    }

    #[test]
    fn prefix_end_increments_last_byte() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }
}
