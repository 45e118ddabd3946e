//! The database engines an app can use: the one fact almost every part of axgen branches on,
//! kept apart from the command line so that the domain does not depend on it.

/// The database engine of an app.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Adapter {
    /// SQLite, embedded: a file beside the app.
    #[default]
    Sqlite,
    /// PostgreSQL server.
    Postgres,
    /// MySQL or MariaDB server.
    Mysql,
}

impl Adapter {
    /// Every adapter, in a stable order.
    pub const ALL: [Adapter; 3] = [Adapter::Sqlite, Adapter::Postgres, Adapter::Mysql];

    /// The lower-case name used in axgen.toml, templates and messages.
    pub fn name(self) -> &'static str {
        match self {
            Adapter::Sqlite => "sqlite",
            Adapter::Postgres => "postgres",
            Adapter::Mysql => "mysql",
        }
    }

    /// One sentence on what the adapter is, for help texts.
    pub fn about(self) -> &'static str {
        match self {
            Adapter::Sqlite => "SQLite, embedded: a file beside the app",
            Adapter::Postgres => "PostgreSQL server",
            Adapter::Mysql => "MySQL or MariaDB server",
        }
    }
}

impl std::fmt::Display for Adapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
