//! `axgen db create | drop | setup | reset`: setup = create + migrate + seed, reset = drop + setup.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use anyhow::{Context as _, Result};

use super::{App, MigrateRequest, SeedRequest, migrate, seed, standby};
use crate::error::UsageError;
use crate::output::Printer;

/// Creates the database unless it exists; refuses a read-only standby first.
pub async fn create(app: &App, printer: &Printer) -> Result<()> {
    standby::refuse_server(&app.database).await?;
    let name = app.database.name();
    if app.database.exists().await? {
        printer.line(&format!("The database {name} already exists."));
        return Ok(());
    }
    app.database.create().await?;
    printer.line(&format!("Created the database {name}."));
    Ok(())
}

/// Drops the database after confirmation (see [`confirm_drop`]); refuses a read-only
/// standby before asking.
pub async fn drop(app: &App, yes: bool, printer: &Printer) -> Result<()> {
    standby::refuse_server(&app.database).await?;
    confirm_drop(app, yes)?;
    let name = app.database.name();
    if !app.database.exists().await? {
        printer.line(&format!(
            "The database {name} does not exist; nothing to drop."
        ));
        return Ok(());
    }
    app.database.drop().await?;
    printer.line(&format!("Dropped the database {name}."));
    Ok(())
}

/// Creates the database if needed, runs every migration, then the seeds.
pub async fn setup(app: &App, printer: &Printer) -> Result<()> {
    create(app, printer).await?;
    migrate::up(app, &MigrateRequest::ALL, printer).await?;
    seed::run(app, &SeedRequest::default(), printer).await
}

/// Asks before dropping on a terminal; `--yes` skips the question; with no terminal and no
/// `--yes`, refuses (exit 2) so a script never drops a database by accident.
fn confirm_drop(app: &App, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    let name = app.database.name();
    if !std::io::stdin().is_terminal() {
        return Err(UsageError::new(format!(
            "refusing to drop the database {name} without confirmation"
        ))
        .with_hint("pass --yes to drop it without asking (there is no terminal to ask on)")
        .into());
    }
    let mut stderr = std::io::stderr();
    write!(
        stderr,
        "Drop the database {name} at {}? All its data will be lost. [y/N] ",
        app.database.describe()
    )
    .and_then(|()| stderr.flush())
    .context("asking for confirmation")?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the confirmation")?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        return Ok(());
    }
    anyhow::bail!("the database {name} was kept: the drop was not confirmed")
}
