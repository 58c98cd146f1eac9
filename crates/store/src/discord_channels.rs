//! Text messages in guild channels, for peer mode's adverts: the bot's
//! guilds and their channels, and posting, editing, deleting and listing
//! plain messages. Same request path, retries and rate limiter as the chunk
//! store (see [`DiscordApi::call`]).

use serenity::http::{LightMethod, Request, Route};
use serenity::model::id::{ChannelId, GuildId, MessageId};

use crate::StoreError;
use crate::discord::{DiscordApi, parse};

/// 2015-01-01, where snowflake timestamps start.
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// Discord's page size for channel history.
pub const MESSAGES_PER_PAGE: usize = 100;
/// Application flags that grant the message-content intent (verified and
/// unverified apps).
const GATEWAY_MESSAGE_CONTENT: u64 = 1 << 18;
const GATEWAY_MESSAGE_CONTENT_LIMITED: u64 = 1 << 19;
/// Discord's channel types that hold text messages: text and announcement.
const TEXT_CHANNEL_TYPES: [u64; 2] = [0, 5];

/// A guild the bot is a member of.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct BotGuild {
    #[serde(deserialize_with = "snowflake")]
    pub id: u64,
    pub name: String,
}

/// A text channel of a guild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChannel {
    pub id: u64,
    pub name: String,
    pub guild: BotGuild,
}

/// A message as peer mode reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    pub id: u64,
    pub author_id: u64,
    /// Empty when the bot lacks the message-content intent and did not
    /// write the message itself.
    pub content: String,
    /// When it was first posted (edits keep the id), Unix seconds.
    pub posted_at: u64,
}

#[derive(serde::Deserialize)]
struct RawChannel {
    #[serde(deserialize_with = "snowflake")]
    id: u64,
    #[serde(rename = "type")]
    kind: u64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(serde::Deserialize)]
struct RawMessage {
    #[serde(deserialize_with = "snowflake")]
    id: u64,
    author: RawUser,
    #[serde(default)]
    content: String,
}

#[derive(serde::Deserialize)]
struct RawUser {
    #[serde(deserialize_with = "snowflake")]
    id: u64,
}

#[derive(serde::Deserialize)]
struct RawApplication {
    #[serde(default)]
    flags: u64,
}

/// Discord sends ids as strings.
fn snowflake<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let text: String = serde::Deserialize::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}

impl TextMessage {
    fn from_raw(raw: RawMessage) -> TextMessage {
        // A snowflake's top 42 bits are milliseconds since Discord's epoch.
        let posted_at = ((raw.id >> 22) + DISCORD_EPOCH_MS) / 1000;
        TextMessage { id: raw.id, author_id: raw.author.id, content: raw.content, posted_at }
    }
}

fn message_route(channel: u64, message: u64) -> Route<'static> {
    Route::ChannelMessage { channel_id: ChannelId::new(channel.max(1)), message_id: MessageId::new(message.max(1)) }
}

fn content_body(content: &str) -> Option<Vec<u8>> {
    // Mentions in an advert must never ping anyone.
    Some(serde_json::json!({ "content": content, "allowed_mentions": { "parse": [] } }).to_string().into_bytes())
}

impl DiscordApi {
    /// The first bot's own user id.
    pub async fn bot_user_id(&self) -> Result<u64, StoreError> {
        let response = self
            .call(0, "GET users/@me", "checking the bot token", || Request::new(Route::UserMe, LightMethod::Get))
            .await?;
        let user: RawUser = parse(response, "checking the bot token").await?;
        Ok(user.id)
    }

    /// Whether the bot's application holds the message-content intent;
    /// `None` if Discord would not say.
    pub async fn has_message_content_intent(&self) -> Option<bool> {
        let context = "reading the bot's application";
        let response = self
            .call(0, "GET applications/@me", context, || {
                Request::new(Route::Oauth2ApplicationCurrent, LightMethod::Get)
            })
            .await
            .ok()?;
        let application: RawApplication = parse(response, context).await.ok()?;
        Some(application.flags & (GATEWAY_MESSAGE_CONTENT | GATEWAY_MESSAGE_CONTENT_LIMITED) != 0)
    }

    /// The guilds the first bot is in (up to 200, Discord's page).
    pub async fn bot_guilds(&self) -> Result<Vec<BotGuild>, StoreError> {
        let context = "listing the bot's guilds";
        let response = self
            .call(0, "GET users/@me/guilds", context, || Request::new(Route::UserMeGuilds, LightMethod::Get))
            .await?;
        parse(response, context).await
    }

    /// The text channels of `guild`.
    pub async fn text_channels(&self, guild: &BotGuild) -> Result<Vec<TextChannel>, StoreError> {
        let context = format!("listing the channels of guild {}", guild.id);
        let guild_id = GuildId::new(guild.id.max(1));
        let response = self
            .call(0, &format!("GET guilds/{}/channels", guild.id), &context, || {
                Request::new(Route::GuildChannels { guild_id }, LightMethod::Get)
            })
            .await?;
        let channels: Vec<RawChannel> = parse(response, &context).await?;
        Ok(channels
            .into_iter()
            .filter(|channel| TEXT_CHANNEL_TYPES.contains(&channel.kind))
            .map(|channel| TextChannel { id: channel.id, name: channel.name.unwrap_or_default(), guild: guild.clone() })
            .collect())
    }

    /// Posts `content` in `channel`; returns the new message's id.
    pub async fn post_text(&self, channel: u64, content: &str) -> Result<u64, StoreError> {
        let context = format!("posting in channel {channel}");
        let channel_id = ChannelId::new(channel.max(1));
        let response = self
            .call(0, &format!("POST {channel}"), &context, || {
                Request::new(Route::ChannelMessages { channel_id }, LightMethod::Post).body(content_body(content))
            })
            .await?;
        let message: RawMessage = parse(response, &context).await?;
        Ok(message.id)
    }

    /// Replaces the content of the bot's own message. `NotFound` if it is gone.
    pub async fn edit_text(&self, channel: u64, message: u64, content: &str) -> Result<(), StoreError> {
        let context = format!("editing message {message} in channel {channel}");
        self.call(0, &format!("PATCH {channel}"), &context, || {
            Request::new(message_route(channel, message), LightMethod::Patch).body(content_body(content))
        })
        .await?;
        Ok(())
    }

    /// Deletes a message; one already gone counts as deleted.
    pub async fn delete_text(&self, channel: u64, message: u64) -> Result<(), StoreError> {
        self.delete_message(0, channel, message).await
    }

    /// Deletes a message as bot `bot`; one that is already gone counts as deleted.
    pub(crate) async fn delete_message(&self, bot: usize, channel: u64, message: u64) -> Result<(), StoreError> {
        let context = format!("deleting message {message} in channel {channel}");
        let result = self
            .call(bot, &format!("DELETE {channel}"), &context, || {
                Request::new(message_route(channel, message), LightMethod::Delete)
            })
            .await;
        match result {
            Ok(_) | Err(StoreError::NotFound(_)) => Ok(()),
            Err(err) => Err(err),
        }
    }

    /// Up to [`MESSAGES_PER_PAGE`] messages older than `before` (or the
    /// newest), newest first.
    pub async fn messages_before(&self, channel: u64, before: Option<u64>) -> Result<Vec<TextMessage>, StoreError> {
        let context = format!("reading channel {channel}");
        let channel_id = ChannelId::new(channel.max(1));
        let response = self
            .call(0, &format!("LIST {channel}"), &context, || {
                let mut params = vec![("limit", MESSAGES_PER_PAGE.to_string())];
                params.extend(before.map(|before| ("before", before.to_string())));
                Request::new(Route::ChannelMessages { channel_id }, LightMethod::Get).params(Some(params))
            })
            .await?;
        let messages: Vec<RawMessage> = parse(response, &context).await?;
        Ok(messages.into_iter().map(TextMessage::from_raw).collect())
    }
}
