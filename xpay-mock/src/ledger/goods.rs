//! Items (道具): the upload and publish tasks of `start_upload_goods` /
//! `start_publish_goods` and their queries. Tasks finish at once: every uploaded item
//! succeeds; a published item succeeds when its id was uploaded in that env, and fails
//! otherwise.

use std::collections::{BTreeSet, HashMap};

use xpay::Env;
use xpay::api::{
    GoodsTaskStatus, PublishItemStatus, PublishStatus, QueryPublishGoodsResponse,
    QueryUploadGoodsResponse, StartPublishGoodsRequest, StartPublishGoodsResponse,
    StartUploadGoodsRequest, StartUploadGoodsResponse, UploadItemStatus, UploadStatus,
};

/// The catalogue of uploaded ids and the last task of each kind, per env.
#[derive(Debug, Default)]
pub(crate) struct Goods {
    catalogue: HashMap<Env, BTreeSet<String>>,
    upload_task: HashMap<Env, Vec<UploadItemStatus>>,
    publish_task: HashMap<Env, Vec<PublishItemStatus>>,
}

/// A finished task's status: 3 when every item succeeded, 2 otherwise; 0 without a task.
fn task_status<T>(items: Option<&Vec<T>>, succeeded: impl Fn(&T) -> bool) -> GoodsTaskStatus {
    match items {
        None => GoodsTaskStatus::Idle,
        Some(items) if items.iter().all(succeeded) => GoodsTaskStatus::Succeeded,
        Some(_) => GoodsTaskStatus::PartlyFailed,
    }
}

impl Goods {
    /// `start_upload_goods`: every item is uploaded.
    pub(crate) fn start_upload(
        &mut self,
        r: &StartUploadGoodsRequest,
        env: Env,
    ) -> StartUploadGoodsResponse {
        let catalogue = self.catalogue.entry(env).or_default();
        let results = r
            .upload_item
            .iter()
            .map(|item| {
                catalogue.insert(item.id.clone());
                UploadItemStatus::new()
                    .with_id(item.id.as_str())
                    .with_name(item.name.as_str())
                    .with_price(item.price)
                    .with_remark(item.remark.as_str())
                    .with_item_url(item.item_url.as_str())
                    .with_upload_status(UploadStatus::Succeeded)
                    .with_errmsg("")
            })
            .collect();
        self.upload_task.insert(env, results);
        StartUploadGoodsResponse::new()
    }

    /// `start_publish_goods`: items uploaded in this env are published, others fail.
    pub(crate) fn start_publish(
        &mut self,
        r: &StartPublishGoodsRequest,
        env: Env,
    ) -> StartPublishGoodsResponse {
        let known = self.catalogue.get(&env);
        let results = r
            .publish_item
            .iter()
            .map(|item| {
                let status = PublishItemStatus::new().with_id(item.id.as_str());
                if known.is_some_and(|k| k.contains(&item.id)) {
                    status
                        .with_publish_status(PublishStatus::Succeeded)
                        .with_errmsg("")
                } else {
                    status
                        .with_publish_status(PublishStatus::Failed)
                        .with_errmsg("id was never uploaded (start_upload_goods)")
                }
            })
            .collect();
        self.publish_task.insert(env, results);
        StartPublishGoodsResponse::new()
    }

    /// `query_upload_goods`: the last upload task of the env.
    pub(crate) fn query_upload(&self, env: Env) -> QueryUploadGoodsResponse {
        let items = self.upload_task.get(&env);
        QueryUploadGoodsResponse::new()
            .with_status(task_status(items, |i| {
                i.upload_status == Some(UploadStatus::Succeeded)
            }))
            .with_upload_item(items.cloned().unwrap_or_default())
    }

    /// `query_publish_goods`: the last publish task of the env.
    pub(crate) fn query_publish(&self, env: Env) -> QueryPublishGoodsResponse {
        let items = self.publish_task.get(&env);
        QueryPublishGoodsResponse::new()
            .with_status(task_status(items, |i| {
                i.publish_status == Some(PublishStatus::Succeeded)
            }))
            .with_publish_item(items.cloned().unwrap_or_default())
    }
}
