//! The app axgen works on: finding its root, reading `axgen.toml`, resolving the database URL.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use crate::adapter::Adapter;
use crate::error::UsageError;

/// The name of the file that marks an axgen app's root.
pub const CONFIG_FILE: &str = "axgen.toml";

/// The contents of `axgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub app: AppConfig,
    pub database: DatabaseConfig,
}

/// `[app]` in `axgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The crate name, snake_case.
    pub name: String,
}

/// `[database]` in `axgen.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub adapter: Adapter,
    /// The development database URL, used when neither `--database-url`, `DATABASE_URL`
    /// nor `.env` give one.
    pub url: String,
}

/// An axgen app on disk.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `axgen.toml`.
    pub root: PathBuf,
    pub config: Config,
}

/// Where the database URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    Flag,
    Environment,
    DotEnv,
    ConfigFile,
}

impl std::fmt::Display for UrlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlSource::Flag => "--database-url",
            UrlSource::Environment => "DATABASE_URL",
            UrlSource::DotEnv => ".env",
            UrlSource::ConfigFile => CONFIG_FILE,
        })
    }
}

/// A database URL and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub url: String,
    pub source: UrlSource,
}

impl DatabaseUrl {
    /// The URL with any password replaced by `***`, safe to print.
    pub fn masked(&self) -> String {
        mask_password(&self.url)
    }
}

impl Project {
    /// Finds the app containing `dir` (walking up to the nearest `axgen.toml`).
    pub fn find(dir: &Path) -> Result<Project> {
        let root = dir
            .ancestors()
            .find(|d| d.join(CONFIG_FILE).is_file())
            .ok_or_else(|| {
                UsageError::new(format!(
                    "no {CONFIG_FILE} found in {} or any parent folder, so this is not an axgen app",
                    dir.display()
                ))
                .with_hint("run the command inside an app made by `axgen new`, or create one with `axgen new <app>`")
            })?;
        Project::load(root)
    }

    /// Reads the app whose root is `root`.
    pub fn load(root: &Path) -> Result<Project> {
        let path = root.join(CONFIG_FILE);
        let text =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let config: Config = toml::from_str(&text).map_err(|err| {
            UsageError::new(format!(
                "{} is not valid: {}",
                path.display(),
                err.message()
            ))
            .with_hint(
                "it needs [app] name and [database] adapter and url, as `axgen new` writes them",
            )
        })?;
        Ok(Project {
            root: root.to_path_buf(),
            config,
        })
    }

    /// The app's database adapter.
    pub fn adapter(&self) -> Adapter {
        self.config.database.adapter
    }

    /// Resolves the database URL: `--database-url`, else `DATABASE_URL`, else `.env`, else
    /// `axgen.toml`.
    pub fn database_url(&self, flag: Option<&str>) -> Result<DatabaseUrl> {
        let env = std::env::var("DATABASE_URL").ok();
        let dotenv = read_dotenv_database_url(&self.root.join(".env"))?;
        Ok(resolve_url(
            flag,
            env.as_deref(),
            dotenv.as_deref(),
            &self.config.database.url,
        ))
    }
}

/// The first URL given, in order of precedence.
pub fn resolve_url(
    flag: Option<&str>,
    env: Option<&str>,
    dotenv: Option<&str>,
    config: &str,
) -> DatabaseUrl {
    let (url, source) = [
        (flag, UrlSource::Flag),
        (env, UrlSource::Environment),
        (dotenv, UrlSource::DotEnv),
    ]
    .into_iter()
    .find_map(|(url, source)| url.filter(|u| !u.is_empty()).map(|u| (u, source)))
    .unwrap_or((config, UrlSource::ConfigFile));
    DatabaseUrl {
        url: url.to_string(),
        source,
    }
}

/// `DATABASE_URL` from a `.env` file, if the file exists and sets it.
fn read_dotenv_database_url(path: &Path) -> Result<Option<String>> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    };
    Ok(parse_dotenv_var(&text, "DATABASE_URL"))
}

/// The value of `key` in dotenv-format text (`KEY=value`, optional `export`, quotes, comments).
pub fn parse_dotenv_var(text: &str, key: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (name, value) = line.split_once('=')?;
        if name.trim() != key {
            return None;
        }
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or_else(|| value.split(" #").next().unwrap_or(value).trim());
        Some(unquoted.to_string())
    })
}

/// Replaces the password of a URL (`scheme://user:password@host`) with `***`.
pub fn mask_password(url: &str) -> String {
    match password_span(url) {
        Some(span) => [&url[..span.start], "***", &url[span.end..]].concat(),
        None => url.to_string(),
    }
}

/// The password in `scheme://user:password@host/...`, if any.
pub fn url_password(url: &str) -> Option<&str> {
    password_span(url).map(|span| &url[span])
}

/// Where the password of `scheme://user:password@host/...` stands in `url`.
fn password_span(url: &str) -> Option<std::ops::Range<usize>> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = authority.rsplit_once('@')?.0;
    let (user, password) = userinfo.split_once(':')?;
    let start = scheme.len() + "://".len() + user.len() + 1;
    Some(start..start + password.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_precedence_is_flag_env_dotenv_config() {
        let all = resolve_url(Some("f"), Some("e"), Some("d"), "c");
        assert_eq!((all.url.as_str(), all.source), ("f", UrlSource::Flag));
        let env = resolve_url(None, Some("e"), Some("d"), "c");
        assert_eq!(
            (env.url.as_str(), env.source),
            ("e", UrlSource::Environment)
        );
        let dotenv = resolve_url(None, None, Some("d"), "c");
        assert_eq!(
            (dotenv.url.as_str(), dotenv.source),
            ("d", UrlSource::DotEnv)
        );
        let config = resolve_url(None, Some(""), None, "c");
        assert_eq!(
            (config.url.as_str(), config.source),
            ("c", UrlSource::ConfigFile)
        );
    }

    #[test]
    fn dotenv_values_are_unquoted_and_last_wins() {
        let text = "# comment\nDATABASE_URL=sqlite:a.db\nexport DATABASE_URL=\"postgres://x/y\"\nOTHER=1\n";
        assert_eq!(
            parse_dotenv_var(text, "DATABASE_URL").as_deref(),
            Some("postgres://x/y")
        );
        assert_eq!(parse_dotenv_var(text, "MISSING"), None);
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_password("postgres://app:s3cret@db:5432/app?sslmode=disable"),
            "postgres://app:***@db:5432/app?sslmode=disable"
        );
        assert_eq!(
            mask_password("mysql://root@127.0.0.1/test"),
            "mysql://root@127.0.0.1/test"
        );
        assert_eq!(mask_password("sqlite:blog_dev.db"), "sqlite:blog_dev.db");
    }

    #[test]
    fn passwords_are_found() {
        assert_eq!(url_password("postgres://u:pw@h/db"), Some("pw"));
        assert_eq!(url_password("postgres://u:p@ss@h/db"), Some("p@ss"));
        assert_eq!(url_password("postgres://u:@h/db"), Some(""));
        assert_eq!(url_password("postgres://u@h/db"), None);
        assert_eq!(url_password("sqlite:x.db"), None);
    }

    #[test]
    fn find_walks_up_to_the_app_root() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(CONFIG_FILE),
            "[app]\nname = \"blog\"\n\n[database]\nadapter = \"postgres\"\nurl = \"postgres://localhost/blog_dev\"\n",
        )
        .unwrap();
        let nested = dir.path().join("src/web");
        fs::create_dir_all(&nested).unwrap();
        let project = Project::find(&nested).unwrap();
        assert_eq!(project.root, dir.path());
        assert_eq!(project.adapter(), Adapter::Postgres);
        assert_eq!(project.config.app.name, "blog");
    }

    #[test]
    fn outside_an_app_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Project::find(dir.path()).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(err.to_string().contains("not an axgen app"), "{err}");
    }
}
