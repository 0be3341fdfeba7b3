//! A fast reader for ResourceLists in the block layout `to_yaml` writes (and
//! kpt and Porch send): top-level keys at column 0 and `items:` entries as
//! `- ` lines continued with two spaces. It cuts each item's text exactly as
//! the general path (`cut_node` over yaml-edit's tree) does, without parsing
//! the whole document; anything it is not sure about returns `None` and the
//! general path reads the text instead.

/// The parts of a ResourceList, as texts ready for `KubeObject::parse`.
pub(super) struct Sections {
    pub kind: Option<String>,
    pub items: Vec<String>,
    pub function_config: Option<String>,
    /// `results:` and its lines, for the general reader (rarely large).
    pub results: Option<String>,
}

enum Section {
    Top,
    Items,
    FunctionConfig,
    Results,
}

/// Finish one cut: trailing blank text dropped and a final newline, as `cut_node`.
fn finish(text: &mut String) -> String {
    let trimmed = text.trim_end();
    let mut out = String::with_capacity(trimmed.len() + 1);
    out.push_str(trimmed);
    out.push('\n');
    text.clear();
    out
}

/// Strip the two-space continuation indent (fewer spaces only on blank lines).
fn continuation(line: &str) -> Option<&str> {
    if line.trim().is_empty() {
        return Some("");
    }
    line.strip_prefix("  ")
}

pub(super) fn split(text: &str) -> Option<Sections> {
    let mut s = Sections {
        kind: None,
        items: Vec::new(),
        function_config: None,
        results: None,
    };
    let mut section = Section::Top;
    let mut current = String::new();
    let mut in_item = false;
    let mut fc = String::new();
    let mut results = String::new();
    for line in text.split('\n') {
        let top_level = !line.is_empty() && !line.starts_with(' ') && !line.starts_with('-');
        if top_level {
            if in_item {
                s.items.push(finish(&mut current));
                in_item = false;
            }
            let (key, value) = line.split_once(':')?;
            let value = value.trim();
            match key {
                "apiVersion" if !value.is_empty() => section = Section::Top,
                "kind" if !value.is_empty() && !value.starts_with(['"', '\'', '#']) => {
                    s.kind = Some(value.split(" #").next().unwrap_or(value).trim().to_string());
                    section = Section::Top;
                }
                "items" if value.is_empty() => section = Section::Items,
                "items" if value == "[]" => section = Section::Top,
                "functionConfig" if value.is_empty() => section = Section::FunctionConfig,
                "results" if value.is_empty() => {
                    results.push_str("results:\n");
                    section = Section::Results;
                }
                _ => return None,
            }
            continue;
        }
        match section {
            Section::Top => {
                if !line.trim().is_empty() {
                    return None;
                }
            }
            Section::Items => {
                if let Some(first) = line.strip_prefix("- ") {
                    if in_item {
                        s.items.push(finish(&mut current));
                    }
                    if first.trim_start().starts_with('#') || first.trim().is_empty() {
                        return None;
                    }
                    current.push_str(first);
                    current.push('\n');
                    in_item = true;
                } else {
                    let rest = continuation(line)?;
                    if !in_item && !rest.is_empty() {
                        return None;
                    }
                    // A comment at the item's own key level may or may not belong to its node.
                    if rest.starts_with('#') {
                        return None;
                    }
                    current.push_str(rest);
                    current.push('\n');
                }
            }
            Section::FunctionConfig => {
                let rest = continuation(line)?;
                if rest.starts_with('#') {
                    return None;
                }
                fc.push_str(rest);
                fc.push('\n');
            }
            Section::Results => {
                results.push_str(line);
                results.push('\n');
            }
        }
    }
    if in_item {
        s.items.push(finish(&mut current));
    }
    if !fc.trim().is_empty() {
        s.function_config = Some(finish(&mut fc));
    }
    if !results.is_empty() {
        s.results = Some(results);
    }
    Some(s)
}
