//! What the shop sells, and how a product becomes a `wx.requestVirtualPayment` order.
//!
//! The catalog lives in code here. In a real app it usually comes from a config file or a
//! table, but two rules hold wherever it lives:
//!
//! - **The server decides the price.** The mini program sends only a product id; the price
//!   signed into `signData` comes from here, never from the client.
//! - **It must match the MP console.** An item's `goodsPrice` must equal the price configured
//!   for that `productId` in MP → 虚拟支付 → 道具管理, and a token pack's size is a number of
//!   tokens whose unit price is configured in 代币管理. WeChat refuses the payment otherwise.

use serde::Serialize;
use xpay::api::{CoinPaymentOrder, GoodsPaymentOrder, PaymentOrder};

/// How many of an item one order buys (`buyQuantity` in goods mode): the delivery push grants
/// exactly this, whatever it omits.
pub const ITEMS_PER_ORDER: i64 = 1;

/// One thing the shop sells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The id the mini program asks for. For items it is also WeChat's `productId` (道具 id).
    pub id: String,
    /// A display name.
    pub name: String,
    /// Item or token pack, with its price or size.
    pub kind: ProductKind,
}

/// What kind of purchase a product is. Serialized as `{"type":"item","price_fen":600}` or
/// `{"type":"coins","tokens":60}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProductKind {
    /// 道具直购 (`short_series_goods`): one item at a fixed price. WeChat pushes
    /// `xpay_goods_deliver_notify` when it is paid, and the shop grants the item.
    Item {
        /// The price in fen (分), as configured in 道具管理.
        price_fen: i64,
    },
    /// 代币充值 (`short_series_coin`): a pack of tokens. WeChat keeps the token balance itself
    /// and pushes `xpay_coin_pay_notify` once it has credited the tokens; the user then spends
    /// them through the server API (`currency_pay`).
    Coins {
        /// How many tokens the pack holds (`buyQuantity`).
        tokens: i64,
    },
}

impl Product {
    /// The order to sign for this product, under the shop's own order id.
    ///
    /// `attach` is echoed back in the delivery push; the shop keys everything by
    /// `outTradeNo`, so it carries nothing here (a game might put a server or zone id in it).
    pub fn payment_order(&self, out_trade_no: &str) -> PaymentOrder {
        match self.kind {
            ProductKind::Item { price_fen } => {
                GoodsPaymentOrder::new(ITEMS_PER_ORDER, self.id.as_str(), price_fen, out_trade_no)
                    .into()
            }
            ProductKind::Coins { tokens } => CoinPaymentOrder::new(tokens, out_trade_no).into(),
        }
    }
}

/// Every product the shop sells, by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    products: Vec<Product>,
}

impl Catalog {
    /// A catalog of these products.
    pub fn new(products: Vec<Product>) -> Self {
        Catalog { products }
    }

    /// The product with this id, if the shop sells it.
    pub fn get(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// Every product, in catalog order.
    pub fn products(&self) -> &[Product] {
        &self.products
    }
}

impl Default for Catalog {
    /// The demo catalog: `sword_01`, an item at 600 fen (¥6.00), and `coins_60`, a pack of 60
    /// tokens.
    fn default() -> Self {
        Catalog::new(vec![
            Product {
                id: "sword_01".into(),
                name: "Iron sword".into(),
                kind: ProductKind::Item { price_fen: 600 },
            },
            Product {
                id: "coins_60".into(),
                name: "60 gold coins".into(),
                kind: ProductKind::Coins { tokens: 60 },
            },
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_become_valid_orders() {
        let client = xpay::Client::builder()
            .offer_id("1450000000")
            .app_key("test-app-key")
            .build()
            .expect("client");
        let catalog = Catalog::default();
        for p in catalog.products() {
            let order = p.payment_order("od_test_0001");
            assert!(client.payment_params(&order, None).is_ok(), "{}", p.id);
        }
        match catalog
            .get("sword_01")
            .map(|p| p.payment_order("od_test_0001"))
        {
            Some(PaymentOrder::Goods(o)) => assert_eq!(o.goods_price, 600),
            other => panic!("sword_01 is an item: {other:?}"),
        }
        match catalog
            .get("coins_60")
            .map(|p| p.payment_order("od_test_0001"))
        {
            Some(PaymentOrder::Coin(o)) => assert_eq!(o.buy_quantity, 60),
            other => panic!("coins_60 is a token pack: {other:?}"),
        }
        assert!(catalog.get("shield").is_none());
    }
}
