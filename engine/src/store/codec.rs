//! The redb record encoding: small, length-prefixed, little-endian, so the
//! file format needs no serialization crate and decodes without copies of
//! anything but the values handed out.

use bytes::Bytes;

use super::{Event, EventKind, KeyValue, StoreError};

/// A stored key's value and revisions (the `kv` table's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KvRecord {
    pub create_revision: u64,
    pub mod_revision: u64,
    pub value: Bytes,
}

impl KvRecord {
    pub(crate) fn into_kv(self, key: &str) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: self.value,
            create_revision: self.create_revision,
            mod_revision: self.mod_revision,
        }
    }
}

pub(crate) fn encode_kv(create_revision: u64, mod_revision: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + value.len());
    out.extend_from_slice(&create_revision.to_le_bytes());
    out.extend_from_slice(&mod_revision.to_le_bytes());
    out.extend_from_slice(value);
    out
}

pub(crate) fn decode_kv(raw: &[u8]) -> Result<KvRecord, StoreError> {
    let mut r = Reader(raw);
    let create_revision = r.u64()?;
    let mod_revision = r.u64()?;
    Ok(KvRecord {
        create_revision,
        mod_revision,
        value: Bytes::copy_from_slice(r.0),
    })
}

/// Encodes the events of one revision together with its commit time
/// (milliseconds since the Unix epoch, for the age window).
pub(crate) fn encode_events(timestamp_ms: u64, events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + events.len() * 64);
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    put_len(&mut out, events.len());
    for ev in events {
        out.push(match ev.kind {
            EventKind::Put => 0,
            EventKind::Delete => 1,
        });
        put_bytes(&mut out, ev.kv.key.as_bytes());
        put_bytes(&mut out, &ev.kv.value);
        out.extend_from_slice(&ev.kv.create_revision.to_le_bytes());
        match &ev.prev {
            None => out.push(0),
            Some(prev) => {
                out.push(1);
                put_bytes(&mut out, &prev.value);
                out.extend_from_slice(&prev.create_revision.to_le_bytes());
                out.extend_from_slice(&prev.mod_revision.to_le_bytes());
            }
        }
    }
    out
}

/// The commit time of an encoded revision, without decoding its events.
pub(crate) fn events_timestamp(raw: &[u8]) -> Result<u64, StoreError> {
    Reader(raw).u64()
}

/// Decodes the events of `revision` whose key `keep` accepts; the values of
/// the others are skipped without copying.
pub(crate) fn decode_events(
    revision: u64,
    raw: &[u8],
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<Event>, StoreError> {
    let mut r = Reader(raw);
    let _timestamp = r.u64()?;
    let n = r.len()?;
    let mut events = Vec::new();
    for _ in 0..n {
        let kind = match r.u8()? {
            0 => EventKind::Put,
            1 => EventKind::Delete,
            other => return Err(corrupt(&format!("event kind {other}"))),
        };
        let key = std::str::from_utf8(r.bytes()?).map_err(|_| corrupt("non-UTF-8 key"))?;
        let value = r.bytes()?;
        let create_revision = r.u64()?;
        let prev = match r.u8()? {
            0 => None,
            _ => Some((r.bytes()?, r.u64()?, r.u64()?)),
        };
        if !keep(key) {
            continue;
        }
        events.push(Event {
            kind,
            kv: KeyValue {
                key: key.to_owned(),
                value: Bytes::copy_from_slice(value),
                create_revision,
                mod_revision: revision,
            },
            prev: prev.map(|(value, create_revision, mod_revision)| KeyValue {
                key: key.to_owned(),
                value: Bytes::copy_from_slice(value),
                create_revision,
                mod_revision,
            }),
        });
    }
    Ok(events)
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Keys and values above 4 GiB cannot reach a Store (etcd caps at 1.5 MiB).
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt record in store: {what}"))
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StoreError> {
        if self.0.len() < n {
            return Err(corrupt("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, StoreError> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> Result<u64, StoreError> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(b))
    }

    fn len(&mut self) -> Result<usize, StoreError> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        usize::try_from(u32::from_le_bytes(b)).map_err(|_| corrupt("length"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], StoreError> {
        let n = self.len()?;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_round_trip() {
        let raw = encode_kv(3, 7, b"hello");
        let rec = decode_kv(&raw).unwrap();
        assert_eq!((rec.create_revision, rec.mod_revision), (3, 7));
        assert_eq!(&rec.value[..], b"hello");
        assert!(decode_kv(&raw[..10]).is_err());
    }

    #[test]
    fn events_round_trip() {
        let prev = KeyValue {
            key: "a".into(),
            value: Bytes::from_static(b"old"),
            create_revision: 2,
            mod_revision: 4,
        };
        let events = vec![
            Event {
                kind: EventKind::Put,
                kv: KeyValue {
                    key: "a".into(),
                    value: Bytes::from_static(b"new"),
                    create_revision: 2,
                    mod_revision: 9,
                },
                prev: Some(prev),
            },
            Event {
                kind: EventKind::Delete,
                kv: KeyValue {
                    key: "b".into(),
                    value: Bytes::new(),
                    create_revision: 0,
                    mod_revision: 9,
                },
                prev: None,
            },
        ];
        let raw = encode_events(1234, &events);
        assert_eq!(events_timestamp(&raw).unwrap(), 1234);
        assert_eq!(decode_events(9, &raw, |_| true).unwrap(), events);
        assert_eq!(decode_events(9, &raw, |k| k == "b").unwrap(), events[1..]);
        assert!(decode_events(9, &raw[..raw.len() - 1], |_| true).is_err());
    }
}
