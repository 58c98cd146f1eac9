//! admin users | create | delete | set-admin | reset-password: account
//! administration, for administrators only.

use anyhow::Result;
use cordvault_client::proto::delete_user_request::Files;
use cordvault_client::proto::{
    CreateUserRequest, DeleteUserRequest, ListUsersRequest, ResetPasswordRequest, SetAdminRequest, User,
};
use cordvault_client::{Client, from_status};

use crate::cli::admin::{AdminCommand, CreateArgs, DeleteArgs, ResetPasswordArgs, SetAdminArgs};
use crate::output::print_line;
use crate::password;

pub async fn run(client: &Client, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Users => list_users(client).await,
        AdminCommand::Create(args) => create_user(client, args).await,
        AdminCommand::Delete(args) => delete_user(client, args).await,
        AdminCommand::SetAdmin(args) => set_admin(client, args).await,
        AdminCommand::ResetPassword(args) => reset_password(client, args).await,
    }
}

async fn list_users(client: &Client) -> Result<()> {
    let response = client.admin()?.list_users(ListUsersRequest {}).await.map_err(from_status)?;
    for user in response.into_inner().users {
        print_line(describe(&user))?;
    }
    Ok(())
}

async fn create_user(client: &Client, args: CreateArgs) -> Result<()> {
    let password = password::obtain_new(args.password, "Password for the new account: ")?;
    let request = CreateUserRequest { username: args.username, password, is_admin: args.admin };
    let response = client.admin()?.create_user(request).await.map_err(from_status)?;
    let user = response.into_inner().user.unwrap_or_default();
    print_line(format_args!("created {}", describe(&user)))?;
    Ok(())
}

async fn delete_user(client: &Client, args: DeleteArgs) -> Result<()> {
    // clap makes sure exactly one of the two is given.
    let files = match args.transfer_to {
        Some(recipient) => Files::TransferFilesTo(recipient),
        None => Files::DeleteFiles(args.delete_files),
    };
    let outcome = match &files {
        Files::TransferFilesTo(recipient) => format!("given to {recipient}"),
        Files::DeleteFiles(_) => "deleted".to_owned(),
    };
    let request = DeleteUserRequest { username: args.username.clone(), files: Some(files) };
    let response = client.admin()?.delete_user(request).await.map_err(from_status)?;
    let entries = response.into_inner().affected_entries;
    print_line(format_args!("deleted {}; {entries} files and folders {outcome}", args.username))?;
    Ok(())
}

async fn set_admin(client: &Client, args: SetAdminArgs) -> Result<()> {
    let request = SetAdminRequest { username: args.username, is_admin: !args.off };
    let response = client.admin()?.set_admin(request).await.map_err(from_status)?;
    let user = response.into_inner().user.unwrap_or_default();
    print_line(describe(&user))?;
    Ok(())
}

async fn reset_password(client: &Client, args: ResetPasswordArgs) -> Result<()> {
    let prompt = format!("New password for {}: ", args.username);
    let new_password = password::obtain_new(args.password, &prompt)?;
    let request = ResetPasswordRequest { username: args.username.clone(), new_password };
    client.admin()?.reset_password(request).await.map_err(from_status)?;
    print_line(format_args!("password of {} reset; their older tokens no longer work", args.username))?;
    Ok(())
}

fn describe(user: &User) -> String {
    let role = if user.is_admin { "administrator" } else { "user" };
    format!("{} ({role})", user.username)
}
