//! Resolves the `channel` + `account` of import lines to stored accounts, creating the missing
//! ones under the import's brand.

use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{AccountId, BrandId, Channel, NewAccount, Store, StoreResult};

/// A cache of the store's accounts by (channel, platform account id). Import files name the same few
/// accounts on every line, so each is looked up or created once.
pub struct AccountDirectory {
    store: Arc<dyn Store>,
    brand_name: String,
    brand: Option<BrandId>,
    accounts: HashMap<(Channel, String), AccountId>,
    created: u64,
}

impl AccountDirectory {
    /// Loads the existing accounts. The brand is looked up (or created) only when a new account
    /// needs it, so importing into existing accounts never creates a stray brand.
    pub async fn load(store: Arc<dyn Store>, brand_name: &str) -> StoreResult<Self> {
        let accounts = store
            .list_accounts()
            .await?
            .into_iter()
            .map(|account| ((account.channel, account.platform_account_id), account.id))
            .collect();
        Ok(Self { store, brand_name: brand_name.to_owned(), brand: None, accounts, created: 0 })
    }

    /// The account for `(channel, platform_account_id)`, created if it does not exist.
    pub async fn resolve(
        &mut self,
        channel: Channel,
        platform_account_id: &str,
    ) -> StoreResult<AccountId> {
        if let Some(id) = self.accounts.get(&(channel, platform_account_id.to_owned())) {
            return Ok(*id);
        }
        let brand_id = self.brand().await?;
        let account = self
            .store
            .create_account(NewAccount {
                brand_id,
                channel,
                platform_account_id: platform_account_id.to_owned(),
                // The operator can rename it later; the platform id is what they know it by.
                display_name: platform_account_id.to_owned(),
                // Imported accounts are not polled until a connector is configured for them.
                base_url: String::new(),
            })
            .await?;
        tracing::info!(
            account_id = %account.id,
            %channel,
            platform_account_id,
            brand = %self.brand_name,
            "created account for import"
        );
        self.created += 1;
        self.accounts.insert((channel, platform_account_id.to_owned()), account.id);
        Ok(account.id)
    }

    /// How many accounts this directory created.
    pub fn created(&self) -> u64 {
        self.created
    }

    async fn brand(&mut self) -> StoreResult<BrandId> {
        if let Some(id) = self.brand {
            return Ok(id);
        }
        let existing =
            self.store.list_brands().await?.into_iter().find(|b| b.name == self.brand_name);
        let id = match existing {
            Some(brand) => brand.id,
            None => {
                let brand = self.store.create_brand(&self.brand_name).await?;
                tracing::info!(brand_id = %brand.id, name = %brand.name, "created brand for import");
                brand.id
            }
        };
        self.brand = Some(id);
        Ok(id)
    }
}
