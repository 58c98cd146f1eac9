//! app-password create | ls | revoke: secrets that log in in place of your
//! password, one per client, each revocable on its own.

use anyhow::Result;
use cordvault_client::Client;
use cordvault_client::proto::AppPassword;

use crate::cli::app_password::{AppPasswordCommand, CreateArgs, LsArgs, RevokeArgs};
use crate::output::{date_time, print_line};

pub async fn run(client: &Client, command: AppPasswordCommand) -> Result<()> {
    match command {
        AppPasswordCommand::Create(args) => create(client, args).await,
        AppPasswordCommand::Ls(args) => list(client, args).await,
        AppPasswordCommand::Revoke(args) => revoke(client, args).await,
    }
}

/// The secret alone on stdout (for scripts); what it is, on stderr.
async fn create(client: &Client, args: CreateArgs) -> Result<()> {
    let created = client.create_app_password(&args.label).await?;
    let app_password = &created.app_password;
    if args.json {
        let mut json = json(app_password);
        json["secret"] = created.secret.clone().into();
        print_line(json)?;
    } else {
        print_line(&created.secret)?;
    }
    eprintln!(
        "app password {} ({:?}) created; its secret is not shown again: log in with it in place of your password",
        app_password.id, app_password.label
    );
    Ok(())
}

async fn list(client: &Client, args: LsArgs) -> Result<()> {
    for app_password in client.list_app_passwords().await? {
        if args.json {
            print_line(json(&app_password))?;
        } else {
            print_line(summary(&app_password))?;
        }
    }
    Ok(())
}

async fn revoke(client: &Client, args: RevokeArgs) -> Result<()> {
    client.revoke_app_password(args.id).await?;
    print_line(format_args!("revoked app password {}", args.id))?;
    Ok(())
}

/// One line of `app-password ls`: id, when created, when last used, label.
fn summary(app_password: &AppPassword) -> String {
    let last_used = match app_password.last_used_at_ms {
        0 => "never used".to_owned(),
        at => format!("used {}", date_time(at)),
    };
    format!(
        "{}  created {}  {last_used:<21}  {}",
        app_password.id,
        date_time(app_password.created_at_ms),
        app_password.label
    )
}

fn json(app_password: &AppPassword) -> serde_json::Value {
    serde_json::json!({
        "id": app_password.id,
        "label": app_password.label,
        "created_at_ms": app_password.created_at_ms,
        "last_used_at_ms": app_password.last_used_at_ms,
    })
}
