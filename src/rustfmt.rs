//! Lays out generated Rust as `cargo fmt` would in the app: every file of a generation in one
//! rustfmt process, started directly from the toolchain when rustup's proxy can be skipped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, Result};

/// What a formatting pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatted {
    /// The sources as rustfmt lays them out, in the order given.
    Files(Vec<String>),
    /// rustfmt is not installed: the sources stay as rendered.
    Missing,
}

/// `sources` as rustfmt formats them in the app at `root` (edition 2024, the app's
/// `rustfmt.toml`), in one rustfmt process. Each source is a whole file (or a run of items
/// injected into one). A source rustfmt cannot parse is an error naming it: the templates
/// must render valid Rust.
pub fn format_all(sources: &[&str], root: &Path) -> Result<Formatted> {
    if sources.is_empty() {
        return Ok(Formatted::Files(Vec::new()));
    }
    let Some(program) = rustfmt_program(root) else {
        return Ok(Formatted::Missing);
    };
    let dir = TempDir::new()?;
    let mut files = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter().enumerate() {
        // One folder per file: rustfmt resolves each file's `mod x;` lines next to it.
        let folder = dir.path.join(i.to_string());
        fs::create_dir(&folder).with_context(|| format!("creating {}", folder.display()))?;
        for module in out_of_line_modules(source) {
            let stub = folder.join(format!("{module}.rs"));
            fs::write(&stub, "").with_context(|| format!("writing {}", stub.display()))?;
        }
        let file = folder.join("generated.rs");
        fs::write(&file, source).with_context(|| format!("writing {}", file.display()))?;
        files.push(file);
    }
    let mut command = Command::new(&program);
    command.args(["--edition", "2024", "--quiet"]);
    if let Some(config) = config_dir(root) {
        command.arg("--config-path").arg(config);
    }
    let output = command
        .args(&files)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Formatted::Missing),
        Err(err) => return Err(err).with_context(|| format!("running {}", program.display())),
    };
    if !output.status.success() {
        anyhow::bail!(
            "rustfmt could not format the generated code: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let formatted = files
        .iter()
        .map(|file| fs::read_to_string(file).with_context(|| format!("reading {}", file.display())))
        .collect::<Result<Vec<String>>>()?;
    Ok(Formatted::Files(formatted))
}

/// The names of the top-level `mod name;` declarations of `source`, which rustfmt looks for
/// (as empty stand-ins) beside the file it formats.
fn out_of_line_modules(source: &str) -> Vec<&str> {
    source
        .lines()
        .filter_map(|line| {
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            let name = line.strip_prefix("mod ")?.strip_suffix(';')?;
            let name = name.strip_prefix("r#").unwrap_or(name);
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then_some(name)
        })
        .collect()
}

/// The folder of the `rustfmt.toml` (or `.rustfmt.toml`) that governs files in `root`, as
/// rustfmt finds it from a file of the app.
fn config_dir(root: &Path) -> Option<&Path> {
    root.ancestors()
        .find(|dir| dir.join("rustfmt.toml").is_file() || dir.join(".rustfmt.toml").is_file())
}

/// The rustfmt to run, `None` when none is on `PATH`. Behind rustup's proxy, the toolchain's
/// own binary (the proxy adds a process and its start-up) when the toolchain rustup would
/// pick can be read cheaply: `RUSTUP_TOOLCHAIN`, the app's `rust-toolchain(.toml)`, a
/// directory override, or the default toolchain. Anything unusual keeps the proxy.
fn rustfmt_program(root: &Path) -> Option<PathBuf> {
    let on_path = find_on_path("rustfmt")?;
    let Some(bin) = on_path.parent() else {
        return Some(on_path);
    };
    if !bin.join(exe("rustup")).is_file() {
        return Some(on_path);
    }
    Some(toolchain_rustfmt(root).unwrap_or(on_path))
}

/// `name` with the platform's executable suffix.
fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// The first executable file `name` in a folder of `PATH`.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(exe(name)))
        .find(|file| file.is_file())
}

/// The rustfmt binary of the toolchain rustup would run for the app at `root`.
fn toolchain_rustfmt(root: &Path) -> Option<PathBuf> {
    let home = match std::env::var_os("RUSTUP_HOME") {
        Some(home) => PathBuf::from(home),
        None => std::env::home_dir()?.join(".rustup"),
    };
    let settings: toml::Table = fs::read_to_string(home.join("settings.toml"))
        .ok()?
        .parse()
        .ok()?;
    let name = match std::env::var("RUSTUP_TOOLCHAIN") {
        Ok(name) => name,
        Err(_) => match folder_toolchain(&settings, root)? {
            Some(name) => name,
            None => settings.get("default_toolchain")?.as_str()?.to_string(),
        },
    };
    let dir = toolchain_dir(&home.join("toolchains"), &settings, &name)?;
    let rustfmt = dir.join("bin").join(exe("rustfmt"));
    rustfmt.is_file().then_some(rustfmt)
}

/// The installed folder of toolchain `name`: `stable-x86_64-unknown-linux-gnu` as it is, a
/// short name (`stable`, `1.95.0`) completed with the host, a path to a custom toolchain.
fn toolchain_dir(toolchains: &Path, settings: &toml::Table, name: &str) -> Option<PathBuf> {
    if name.contains(['/', '\\']) {
        return Some(PathBuf::from(name));
    }
    let full = toolchains.join(name);
    if full.is_dir() {
        return Some(full);
    }
    if let Some(host) = settings.get("default_host_triple").and_then(|h| h.as_str()) {
        return Some(toolchains.join(format!("{name}-{host}")));
    }
    let prefix = format!("{name}-");
    let mut found = fs::read_dir(toolchains).ok()?.filter_map(|entry| {
        let entry = entry.ok()?;
        let file = entry.file_name().into_string().ok()?;
        file.starts_with(&prefix).then(|| entry.path())
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// The toolchain rustup picks for the app at `root` from its folders, nearest first: a
/// directory override (`rustup override set`) or a `rust-toolchain(.toml)` file.
/// `Some(None)` without one; `None` when the file says something this does not read (a
/// `path`), so the proxy decides.
fn folder_toolchain(settings: &toml::Table, root: &Path) -> Option<Option<String>> {
    let root = root.canonicalize().ok()?;
    let overrides = settings.get("overrides").and_then(|o| o.as_table());
    for dir in root.ancestors() {
        let key = dir.to_string_lossy();
        if let Some(name) = overrides.and_then(|o| o.get(key.as_ref())) {
            return Some(Some(name.as_str()?.to_string()));
        }
        if let Some(found) = toolchain_file(dir) {
            return found.map(Some);
        }
    }
    Some(None)
}

/// The channel named by `dir`'s `rust-toolchain.toml` or `rust-toolchain` file: `None`
/// without one, `Some(None)` when it names the toolchain otherwise (a `path`).
fn toolchain_file(dir: &Path) -> Option<Option<String>> {
    for file in ["rust-toolchain", "rust-toolchain.toml"] {
        let Ok(text) = fs::read_to_string(dir.join(file)) else {
            continue;
        };
        let text = text.trim();
        if file == "rust-toolchain" && !text.contains(['=', '\n', '[']) {
            return Some(Some(text.to_string()));
        }
        let channel = text
            .parse::<toml::Table>()
            .ok()
            .and_then(|table| table.get("toolchain")?.as_table().cloned())
            .filter(|toolchain| !toolchain.contains_key("path"))
            .and_then(|toolchain| Some(toolchain.get("channel")?.as_str()?.to_string()));
        return Some(channel);
    }
    None
}

/// A folder of the system's temporary folder, removed with everything in it when dropped.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<TempDir> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "axgen-rustfmt-{}-{nanos}-{attempt}",
                std::process::id()
            ));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(err) => {
                    return Err(err).with_context(|| format!("creating {}", path.display()));
                }
            }
        }
        anyhow::bail!("could not make a temporary folder in {}", base.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_line_modules_are_the_declarations_without_a_body() {
        let source =
            "mod support;\npub mod a;\npub(crate) mod r#b;\nmod tests {\n    mod inner;\n}\n";
        assert_eq!(out_of_line_modules(source), ["support", "a", "b"]);
    }

    #[test]
    fn a_toolchain_file_names_the_channel() {
        let dir = std::env::temp_dir().join(format!("axgen-toolchain-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        assert_eq!(toolchain_file(&dir), None);
        let file = dir.join("rust-toolchain.toml");
        fs::write(&file, "[toolchain]\nchannel = \"1.95.0\"\n").unwrap();
        assert_eq!(toolchain_file(&dir), Some(Some("1.95.0".to_string())));
        fs::write(&file, "[toolchain]\npath = \"/opt/rust\"\n").unwrap();
        assert_eq!(toolchain_file(&dir), Some(None));
        fs::remove_file(&file).unwrap();
        fs::write(dir.join("rust-toolchain"), "nightly\n").unwrap();
        assert_eq!(toolchain_file(&dir), Some(Some("nightly".to_string())));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_override_above_the_app_wins_over_the_default() {
        let root = std::env::current_dir().unwrap();
        let mut settings = toml::Table::new();
        assert_eq!(folder_toolchain(&settings, &root), Some(None));
        let mut overrides = toml::Table::new();
        overrides.insert("/".into(), "nightly".into());
        settings.insert("overrides".into(), overrides.into());
        assert_eq!(
            folder_toolchain(&settings, &root),
            Some(Some("nightly".to_string()))
        );
    }
}
