//! One module per group of commands; `run` dispatches.

mod account;
pub mod admin;
mod app_password;
mod get;
pub mod link;
mod package;
mod put;
mod ssh_key;
pub mod tree;

use anyhow::{Context, Result};
use cordvault_client::ErrorCode;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::failure::api_code;
use crate::session::{Session, TokenOrigin};

pub async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        // Peer mode talks to Discord and other peers, never to a server.
        Command::Peer(args) => crate::peer::run(args).await,
        command => run_on_server(&cli.global, command).await,
    }
}

async fn run_on_server(global: &GlobalArgs, command: Command) -> Result<()> {
    let session = Session::open(global).await?;
    let client = &session.client;
    // Registering the first account is the one thing done without a token.
    let may_need_login = !matches!(command, Command::Register(_) | Command::Login(_));
    let result = match command {
        Command::Register(args) => account::register(&session, args).await,
        Command::Login(args) => account::login(&session, args).await,
        Command::Whoami => account::who_am_i(&session).await,
        Command::Passwd(args) => account::change_password(&session, args).await,
        Command::SshKey(command) => ssh_key::run(client, command).await,
        Command::AppPassword(command) => app_password::run(client, command).await,
        Command::Ls(args) => tree::list(client, args).await,
        Command::Mkdir(args) => tree::make_folder(client, args).await,
        Command::Mv(args) => tree::move_entry(client, args).await,
        Command::Rename(args) => tree::rename(client, args).await,
        Command::Rm(args) => tree::remove(client, args).await,
        Command::Put(args) => put::run(client, args).await,
        Command::Get(args) => get::run(client, args).await,
        Command::Admin(command) => admin::run(client, command).await,
        Command::Link(command) => link::run(&session, command).await,
        Command::Package(command) => package::run(client, command).await,
        Command::Peer(args) => crate::peer::run(args).await,
    };
    match result {
        Err(err)
            if may_need_login
                && session.token_origin == TokenOrigin::None
                && api_code(&err) == Some(ErrorCode::Unauthenticated) =>
        {
            Err(err).with_context(|| format!("not logged in to {}", session.server))
        }
        result => result,
    }
}
