//! A package directory as [`PackageFiles`], and writing changes back.

use std::path::Path;

use cad_lib::PackageFiles;

/// Reads every text file under `dir` (skipping `.git`); symlinks are
/// ignored as kpt does.
pub fn read(dir: &Path) -> std::io::Result<PackageFiles> {
    let mut out = PackageFiles::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let ft = e.file_type()?;
            if e.file_name() == ".git" || ft.is_symlink() {
                continue;
            }
            let p = e.path();
            if ft.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            if let Ok(rel) = p.strip_prefix(dir) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                out.insert(rel, text);
            }
        }
    }
    Ok(out)
}

/// Writes what changed between `old` and `new` (deleting removed files).
pub fn write(dir: &Path, old: &PackageFiles, new: &PackageFiles) -> std::io::Result<()> {
    for path in old.keys().filter(|p| !new.contains_key(*p)) {
        std::fs::remove_file(dir.join(path))?;
    }
    for (path, text) in new {
        if old.get(path) == Some(text) {
            continue;
        }
        let p = dir.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
    }
    Ok(())
}
