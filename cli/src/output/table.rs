//! Column alignment like kubectl's printer (Go `tabwriter` with minimum
//! width 6, padding 3, spaces), so scripts parsing porchctl output see the
//! same layout as with kubectl.

use serde_json::Value;

const MIN_WIDTH: usize = 6;
const PADDING: usize = 3;

/// Align `rows` (the first usually the header); the last column is never padded.
pub fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i + 1 < r.len() {
                widths[i] = widths[i].max(c.chars().count() + PADDING).max(MIN_WIDTH);
            }
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                let pad = widths[i].saturating_sub(c.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// What kubectl prints for one cell of a server Table.
pub fn cell_text(cell: &Value, col_type: &str) -> String {
    match cell {
        Value::Null => String::new(),
        Value::String(s) if col_type == "date" => {
            humanize_timestamp(s).unwrap_or_else(|| s.clone())
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `2026-01-01T00:00:00Z` → `5m` (kubectl's age), `None` when not a timestamp.
fn humanize_timestamp(s: &str) -> Option<String> {
    let t: jiff::Timestamp = s.parse().ok()?;
    let secs = jiff::Timestamp::now().as_second() - t.as_second();
    Some(human_duration(secs.max(0)))
}

/// kubectl's `HumanDuration` (apimachinery `duration.HumanDuration`).
pub fn human_duration(secs: i64) -> String {
    let minutes = secs / 60;
    let hours = secs / 3600;
    if secs < 60 * 2 {
        return format!("{secs}s");
    }
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        let d = hours / 24;
        return if h == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{h}h")
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let d = (hours / 24) % 365;
        let y = hours / 24 / 365;
        return if d == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{d}d")
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_like_kubectl() {
        let rows = vec![
            vec!["NAME".to_string(), "DESC".to_string()],
            vec!["test-blueprints".to_string(), "Test Blueprints".to_string()],
        ];
        assert_eq!(
            align(&rows),
            "NAME              DESC\ntest-blueprints   Test Blueprints\n"
        );
        assert_eq!(align(&[vec!["a".into(), "b".into()]]), "a     b\n");
    }
}
