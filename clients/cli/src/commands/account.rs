//! register, login, whoami, passwd.

use anyhow::Result;
use cordvault_client::proto::User;

use crate::cli::{Credentials, PasswdArgs};
use crate::output::print_line;
use crate::password;
use crate::session::{Session, TokenOrigin};

pub async fn register(session: &Session, args: Credentials) -> Result<()> {
    let password = password::obtain_new(args.password, "Password for the new account: ")?;
    let user = session.client.register(&args.username, &password).await?;
    print_line(format_args!("registered {}", describe_user(&user)))?;
    Ok(())
}

pub async fn login(session: &Session, args: Credentials) -> Result<()> {
    let password = password::obtain(args.password, "Password: ")?;
    let login = session.client.login(&args.username, &password).await?;
    session.save_token(&login.token)?;
    print_line(format_args!("logged in to {} as {}", session.server, describe_user(&login.user)))?;
    Ok(())
}

pub async fn who_am_i(session: &Session) -> Result<()> {
    let user = session.client.who_am_i().await?;
    print_line(describe_user(&user))?;
    Ok(())
}

pub async fn change_password(session: &Session, args: PasswdArgs) -> Result<()> {
    let old = password::obtain(args.old, "Current password: ")?;
    let new = password::obtain_new(args.new, "New password: ")?;
    let token = session.client.update_password(&old, &new).await?;
    match session.token_origin {
        // The old token no longer works, so the saved one must be replaced.
        TokenOrigin::Saved | TokenOrigin::None => {
            session.save_token(&token)?;
            print_line("password changed")?;
        }
        // Someone else's token may be saved; leave it and hand this one back.
        TokenOrigin::CommandLine => print_line(format_args!("password changed; new token: {token}"))?,
    }
    Ok(())
}

fn describe_user(user: &User) -> String {
    let role = if user.is_admin { " (administrator)" } else { "" };
    format!("{}{role}", user.username)
}
