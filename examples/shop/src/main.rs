//! The shop as a program: settings from `XPAY_*` variables (see [`Config`]), served until
//! Ctrl-C. A bad setting is one line on stderr and exit status 1.
//!
//! ```sh
//! set -a; . ./mock.env; set +a      # the lines `xpay mock` printed
//! cargo run -p xpay-example-shop
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::ExitCode;

use xpay_example_shop::{Config, Shop, app};

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xpay-example-shop: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let addr = config.addr;
    if !config.safe_mode {
        tracing::warn!(
            "XPAY_ENCODING_AES_KEY is not set: only plain-mode (明文) pushes can be read; \
             safe-mode (安全模式) pushes, and every push of `xpay mock`, will be refused"
        );
    }
    tracing::info!(
        env = %config.client.env(),
        base_url = config.client.base_url(),
        "xpay client ready"
    );
    let shop = Shop::from_config(config);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr} (SHOP_ADDR): {e}"))?;
    tracing::info!("listening on http://{addr}; message push URL: http://{addr}/wechat/push");
    axum::serve(listener, app(shop))
        .with_graceful_shutdown(async {
            // If Ctrl-C cannot be watched, serve until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
        .map_err(|e| format!("server error: {e}"))
}
