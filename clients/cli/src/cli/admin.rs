//! `cordvault admin …`: account administration.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// List every account
    Users,
    /// Create an account
    Create(CreateArgs),
    /// Delete an account, deleting its files or giving them to another user
    Delete(DeleteArgs),
    /// Grant administrator rights, or remove them with --off (this logs the user out)
    SetAdmin(SetAdminArgs),
    /// Set a user's password; their tokens and open transfers end
    ResetPassword(ResetPasswordArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub username: String,
    /// Password [default: prompted, or one line of stdin when it is not a terminal]
    #[arg(long, env = "CORDVAULT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Make the new account an administrator
    #[arg(long)]
    pub admin: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("files").required(true).args(["delete_files", "transfer_to"]))]
pub struct DeleteArgs {
    pub username: String,
    /// Delete every file and folder the user owns, trashed ones included
    #[arg(long)]
    pub delete_files: bool,
    /// Give every file and folder the user owns to this user
    #[arg(long, value_name = "USER")]
    pub transfer_to: Option<String>,
}

#[derive(Debug, Args)]
pub struct SetAdminArgs {
    pub username: String,
    /// Remove the rights instead of granting them
    #[arg(long)]
    pub off: bool,
}

#[derive(Debug, Args)]
pub struct ResetPasswordArgs {
    pub username: String,
    /// New password [default: prompted, or one line of stdin when it is not a terminal]
    #[arg(long, env = "CORDVAULT_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}
