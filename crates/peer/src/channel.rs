//! The Discord channel peers meet in: found by name in the bot's guilds (or
//! given by id), read for adverts, and written with this peer's one advert.
//! Every call goes through [`DiscordApi`], the chunk store's request path
//! and rate limiter.

use std::sync::Arc;

use cordvault_store::{DiscordApi, StoreError};

use crate::discovery::ChannelMessage;
use crate::error::PeerError;

/// How the user named the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelChoice {
    /// A text channel name, looked up in every guild the bot is in.
    Name(String),
    Id(u64),
}

/// How far back discovery reads: pages of 100 messages. Enough for a busy
/// channel, bounded against a flood (each page is one request).
pub const MAX_PAGES: usize = 5;

/// One channel, as one bot sees it.
#[derive(Clone)]
pub struct AdvertChannel {
    api: Arc<DiscordApi>,
    channel: u64,
    /// The bot's own user id: its messages are the ones it may edit.
    bot_user: u64,
    /// `#name` (guild), for messages to the user.
    label: String,
}

impl std::fmt::Debug for AdvertChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdvertChannel").field("channel", &self.channel).field("label", &self.label).finish()
    }
}

impl AdvertChannel {
    /// Finds the channel and checks the token. A name must match exactly one
    /// text channel across the bot's guilds (unlike the original, where the
    /// last match silently won).
    pub async fn open(api: Arc<DiscordApi>, choice: &ChannelChoice) -> Result<AdvertChannel, PeerError> {
        let bot_user = api.bot_user_id().await?;
        let (channel, label) = match choice {
            ChannelChoice::Id(id) => (*id, format!("channel {id}")),
            ChannelChoice::Name(name) => {
                let wanted = name.trim_start_matches('#');
                let guilds = api.bot_guilds().await?;
                let mut found = Vec::new();
                for guild in &guilds {
                    let channels = api.text_channels(guild).await?;
                    found.extend(channels.into_iter().filter(|channel| channel.name == wanted));
                }
                let describe = |channel: &cordvault_store::TextChannel| {
                    format!("{} in {} (id {})", channel.name, channel.guild.name, channel.id)
                };
                match found.as_slice() {
                    [] => {
                        let searched = if guilds.is_empty() {
                            "the bot is in no guild".to_owned()
                        } else {
                            guilds.iter().map(|guild| guild.name.as_str()).collect::<Vec<_>>().join(", ")
                        };
                        return Err(PeerError::ChannelNotFound { name: wanted.to_owned(), searched });
                    }
                    [one] => (one.id, format!("#{} ({})", one.name, one.guild.name)),
                    several => {
                        let found = several.iter().map(describe).collect::<Vec<_>>().join("; ");
                        return Err(PeerError::ChannelAmbiguous { name: wanted.to_owned(), found });
                    }
                }
            }
        };
        Ok(AdvertChannel { api, channel, bot_user, label })
    }

    pub fn id(&self) -> u64 {
        self.channel
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn bot_user(&self) -> u64 {
        self.bot_user
    }

    /// Whether the bot may read others' messages; `None` if Discord would
    /// not tell.
    pub async fn has_message_content_intent(&self) -> Option<bool> {
        self.api.has_message_content_intent().await
    }

    /// The newest messages, newest first, up to [`MAX_PAGES`] pages.
    pub async fn recent(&self) -> Result<Vec<ChannelMessage>, PeerError> {
        let mut messages = Vec::new();
        let mut before = None;
        for _ in 0..MAX_PAGES {
            let page = self.api.messages_before(self.channel, before).await?;
            let full = page.len() == cordvault_store::discord_channels::MESSAGES_PER_PAGE;
            before = page.last().map(|message| message.id);
            messages.extend(page.into_iter().map(|message| ChannelMessage {
                message_id: message.id,
                author_id: message.author_id,
                content: message.content,
                posted_at: message.posted_at,
            }));
            if !full {
                break;
            }
        }
        Ok(messages)
    }

    pub async fn post(&self, content: &str) -> Result<u64, PeerError> {
        Ok(self.api.post_text(self.channel, content).await?)
    }

    /// Edits the bot's message; `Ok(false)` if it no longer exists.
    pub async fn edit(&self, message: u64, content: &str) -> Result<bool, PeerError> {
        match self.api.edit_text(self.channel, message, content).await {
            Ok(()) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    pub async fn delete(&self, message: u64) -> Result<(), PeerError> {
        Ok(self.api.delete_text(self.channel, message).await?)
    }
}
