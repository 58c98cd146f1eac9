//! Offers of ownership waiting for their recipient's answer.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{ownership_offers, users};
use super::{Db, DbError, now_ms, run};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ownership_offers)]
pub struct OfferRow {
    pub entry_id: i64,
    pub from_user: i64,
    pub to_user: i64,
    pub drop_shares: bool,
    pub keep_share_for_previous_owner: bool,
    pub created_at: i64,
}

impl Db {
    /// Records (or replaces) the one offer an entry may have.
    pub async fn offer_ownership(&self, offer: OfferRow) -> Result<(), DbError> {
        run!(self, |conn| {
            diesel::insert_into(ownership_offers::table)
                .values((
                    ownership_offers::entry_id.eq(offer.entry_id),
                    ownership_offers::from_user.eq(offer.from_user),
                    ownership_offers::to_user.eq(offer.to_user),
                    ownership_offers::drop_shares.eq(offer.drop_shares),
                    ownership_offers::keep_share_for_previous_owner.eq(offer.keep_share_for_previous_owner),
                    ownership_offers::created_at.eq(now_ms()),
                ))
                .on_conflict(ownership_offers::entry_id)
                .do_update()
                .set((
                    ownership_offers::from_user.eq(offer.from_user),
                    ownership_offers::to_user.eq(offer.to_user),
                    ownership_offers::drop_shares.eq(offer.drop_shares),
                    ownership_offers::keep_share_for_previous_owner.eq(offer.keep_share_for_previous_owner),
                    ownership_offers::created_at.eq(now_ms()),
                ))
                .execute(conn)
                .await?;
            Ok(())
        })
    }

    /// Offers made to `user`, with the giver's name, oldest first.
    pub async fn offers_to(&self, user: i64) -> Result<Vec<(OfferRow, String)>, DbError> {
        run!(self, |conn| Ok(ownership_offers::table
            .inner_join(users::table.on(users::id.eq(ownership_offers::from_user)))
            .filter(ownership_offers::to_user.eq(user))
            .order(ownership_offers::created_at.asc())
            .select((OfferRow::as_select(), users::username))
            .load(conn)
            .await?))
    }

    /// The offer of `entry_id` to `user`, if there is one.
    pub async fn offer_for(&self, entry_id: i64, user: i64) -> Result<Option<OfferRow>, DbError> {
        run!(self, |conn| Ok(ownership_offers::table
            .filter(ownership_offers::entry_id.eq(entry_id))
            .filter(ownership_offers::to_user.eq(user))
            .select(OfferRow::as_select())
            .first(conn)
            .await
            .optional()?))
    }

    /// Forgets the offer of an entry; whether there was one.
    pub async fn withdraw_offer(&self, entry_id: i64) -> Result<bool, DbError> {
        run!(self, |conn| Ok(diesel::delete(ownership_offers::table.find(entry_id)).execute(conn).await? > 0))
    }
}
