//! The package's owner, friends and payments: `user.json` and
//! `payments.json`.

use std::collections::HashMap;

use serde::Deserialize;

use crate::timestamp;

/// A value packages hold as a string in some exports and a number in others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Text(String),
            Number(serde_json::Number),
        }
        Ok(Text(match Either::deserialize(deserializer)? {
            Either::Text(text) => text,
            Either::Number(number) => number.to_string(),
        }))
    }
}

#[derive(Debug, Deserialize)]
struct UserJson {
    id: Text,
    username: String,
    #[serde(default)]
    avatar_hash: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    global_name: Option<String>,
    #[serde(default)]
    relationships: Vec<Relationship>,
    /// Old exports kept payments here; newer ones in payments.json.
    #[serde(default)]
    payments: Vec<PaymentJson>,
}

#[derive(Debug, Deserialize)]
struct Relationship {
    id: Text,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    user: Option<RelatedUser>,
}

#[derive(Debug, Deserialize)]
struct RelatedUser {
    #[serde(default)]
    avatar: Option<String>,
    #[serde(default)]
    global_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PaymentsJson {
    #[serde(default)]
    records: Vec<PaymentJson>,
}

#[derive(Debug, Deserialize)]
struct PaymentJson {
    id: Text,
    amount: i64,
    currency: String,
    created_at: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<i64>,
}

/// Discord's Payment.status for a payment that went through.
const PAYMENT_SUCCEEDED: i64 = 1;
/// Orbs are a reward currency, not money: their amounts are not cents.
const ORB_CURRENCY: &str = "discord_orb";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    /// 'YYYY-MM-DD', UTC.
    pub date: String,
    /// Minor units (cents).
    pub amount: i64,
    pub currency: String,
    pub description: String,
}

#[derive(Debug)]
pub struct Account {
    pub owner: Owner,
    pub friends: HashMap<String, Friend>,
    pub payments: Vec<Payment>,
}

impl Account {
    pub fn parse(user_json: &[u8]) -> serde_json::Result<Account> {
        let user: UserJson = serde_json::from_slice(user_json)?;
        let owner = Owner {
            avatar_url: avatar_url(&user.id.0, user.avatar_hash.as_deref()),
            id: user.id.0,
            username: user.username,
            display_name: user.display_name.or(user.global_name),
        };
        let friends = user
            .relationships
            .into_iter()
            .map(|friend| {
                let user = friend.user.unwrap_or(RelatedUser { avatar: None, global_name: None });
                // The original read only a top-level display_name, which
                // exports lack; the friend's global name is where it is.
                let details = Friend {
                    display_name: friend.display_name.or(user.global_name),
                    avatar_url: avatar_url(&friend.id.0, user.avatar.as_deref()),
                };
                (friend.id.0, details)
            })
            .collect();
        // Old exports' payments carry no status in some years: a missing one counts.
        let payments = successful_payments(user.payments, false);
        Ok(Account { owner, friends, payments })
    }

    pub fn add_payments_json(&mut self, payments_json: &[u8]) -> serde_json::Result<()> {
        let records: PaymentsJson = serde_json::from_slice(payments_json)?;
        self.payments.extend(successful_payments(records.records, true));
        Ok(())
    }
}

fn successful_payments(records: Vec<PaymentJson>, status_required: bool) -> Vec<Payment> {
    records
        .into_iter()
        .filter(|payment| match payment.status {
            Some(status) => status == PAYMENT_SUCCEEDED,
            None => !status_required,
        })
        .filter(|payment| payment.currency != ORB_CURRENCY)
        .filter_map(|payment| {
            let seconds = timestamp::parse(&payment.created_at)?;
            Some(Payment {
                id: payment.id.0,
                date: cordvault_core::calendar::UtcDateTime::from_unix(seconds).date_string(),
                amount: payment.amount,
                currency: payment.currency,
                description: payment.description.unwrap_or_default(),
            })
        })
        .collect()
}

/// As the original: animated avatars (hash `a_…`) as GIF, others as JPEG.
fn avatar_url(user_id: &str, hash: Option<&str>) -> Option<String> {
    let hash = hash.filter(|hash| !hash.is_empty())?;
    let extension = if hash.starts_with("a_") { "gif" } else { "jpg" };
    Some(format!("https://cdn.discordapp.com/avatars/{user_id}/{hash}.{extension}"))
}
