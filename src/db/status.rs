//! `axgen migrations`: every migration with its status, flagging applied migrations whose file
//! changed or vanished (Ecto's `mix ecto.migrations` table).

use std::collections::BTreeSet;

use anyhow::Result;

use super::App;
use super::migrations::{self, Applied, MigrationFile};
use crate::output::Printer;

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub status: &'static str,
    pub version: i64,
    pub name: String,
    pub flag: Option<&'static str>,
}

/// Prints the status table; changes nothing in the database.
pub async fn show(app: &App, printer: &Printer) -> Result<()> {
    let files = migrations::load(&app.migrations)?;
    let mut conn = app.database.connect_or_empty(printer).await?;
    // Read in a transaction: through a transaction pooler, the only way to keep one server
    // connection for a statement's prepare and execute.
    let applied = match conn.begin().await {
        Ok(mut tx) => migrations::applied(&mut tx.db()).await,
        Err(err) => Err(err),
    };
    conn.close().await;
    let rows = rows(&files, &applied?);
    print(app, &rows, printer);
    Ok(())
}

/// The table's rows, in version order.
pub fn rows(files: &[MigrationFile], applied: &[Applied]) -> Vec<Row> {
    let versions: BTreeSet<i64> = files
        .iter()
        .map(|f| f.version)
        .chain(applied.iter().map(|a| a.version))
        .collect();
    versions
        .into_iter()
        .map(|version| {
            let file = files.iter().find(|f| f.version == version);
            let row = applied.iter().find(|a| a.version == version);
            row_for(version, file, row, files, applied)
        })
        .collect()
}

fn row_for(
    version: i64,
    file: Option<&MigrationFile>,
    row: Option<&Applied>,
    files: &[MigrationFile],
    applied: &[Applied],
) -> Row {
    let status = match row {
        None => "down",
        Some(r) if !r.success => "failed",
        Some(_) => "up",
    };
    let flag = match (file, row) {
        (None, _) => Some("** FILE NOT FOUND **"),
        (Some(f), Some(r)) if f.up.checksum.as_ref() != r.checksum.as_slice() => {
            Some("** CHANGED SINCE APPLIED **")
        }
        _ => None,
    };
    Row {
        status,
        version,
        name: migrations::name_of(version, files, applied),
        flag,
    }
}

fn print(app: &App, rows: &[Row], printer: &Printer) {
    printer.line(&format!("Database: {}", app.database.describe()));
    printer.line("");
    if rows.is_empty() {
        printer.line(&format!("No migrations in {}/.", app.migrations.label));
        return;
    }
    printer.line("  Status    Migration ID    Migration Name");
    printer.line(&"-".repeat(50));
    for row in rows {
        let flag = row.flag.map(|f| format!("  {f}")).unwrap_or_default();
        printer.line(&format!(
            "  {:<8}  {:<14}  {}{flag}",
            row.status, row.version, row.name
        ));
    }
    let flagged = rows.iter().filter(|r| r.flag.is_some()).count();
    if flagged > 0 {
        let (s, es, files) = if flagged == 1 {
            ("", "es", "its file is")
        } else {
            ("s", "", "their files are")
        };
        printer.line("");
        printer.line(&format!(
            "{flagged} applied migration{s} no longer match{es} {}/: `axgen migrate` refuses to run until {files} restored.",
            app.migrations.label,
        ));
    }
}
