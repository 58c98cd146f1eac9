//! Running transfers a few at a time, stopping at the first failure.

use std::future::Future;
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Runs `work` on every item, at most `limit` at once, and hands each result
/// to `on_done` as it arrives. The first failure returns at once; dropping
/// the JoinSet then aborts the transfers still running (an upload resumes
/// on the next run, a download continues its partial file).
pub async fn for_each<Item, Output, Work, Running>(
    items: Vec<Item>,
    limit: usize,
    work: Work,
    mut on_done: impl FnMut(Output) -> Result<()>,
) -> Result<()>
where
    Item: Send + 'static,
    Output: Send + 'static,
    Work: Fn(Item) -> Running + Send + Sync + 'static,
    Running: Future<Output = Result<Output>> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit.max(1)));
    let work = Arc::new(work);
    let mut tasks = JoinSet::new();
    for item in items {
        let (permits, work) = (permits.clone(), work.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.context("the transfer queue closed")?;
            work(item).await
        });
    }
    while let Some(joined) = tasks.join_next().await {
        on_done(joined.context("a transfer task failed")??)?;
    }
    Ok(())
}
