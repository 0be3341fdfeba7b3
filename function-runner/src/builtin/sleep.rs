//! `sleep`: a test helper that waits, then returns its input unchanged
//! (shows that parallel renders run in parallel).

use std::time::Duration;

use cad_lib::ResourceList;

use super::Failure;
use super::config::{self, Config};

/// Parses a Go duration such as `3s`, `250ms`, `1m30s`.
fn go_duration(s: &str) -> Option<Duration> {
    let mut total = 0f64;
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" | "" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * unit;
        rest = &rest[u..];
    }
    Some(Duration::from_secs_f64(total))
}

/// Runs the function.
pub fn run(rl: &mut ResourceList) -> Result<(), Failure> {
    let wait = match config::read(rl.function_config.as_ref()) {
        Config::ConfigMap { data, .. } => {
            let secs = config::data_str(&data, "sleepSeconds");
            let dur = config::data_str(&data, "duration");
            if !secs.is_empty() {
                secs.parse::<f64>().ok().map(Duration::from_secs_f64)
            } else {
                go_duration(dur)
            }
        }
        _ => None,
    };
    match wait {
        Some(d) => {
            std::thread::sleep(d.min(Duration::from_secs(600)));
            Ok(())
        }
        None => Err(Failure::error(
            "sleep needs `sleepSeconds` or `duration` in its ConfigMap",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("3s"), Some(Duration::from_secs(3)));
        assert_eq!(go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(go_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(go_duration("x"), None);
    }
}
