//! Name conversions: wire names (snake, camel or Pascal case) to Rust identifiers.

/// `OutTradeNo` → `out_trade_no`, `offerId` → `offer_id`, `WeChatPayInfo` → `we_chat_pay_info`,
/// `query_user_balance` → `query_user_balance`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == ' ' {
            out.push('_');
        } else if c.is_ascii_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                // An acronym's last capital before a lowercase letter starts a word: `IOSRefund`.
                Some(p) if p.is_ascii_uppercase() => next.is_some_and(|n| n.is_ascii_lowercase()),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `query_user_balance` → `QueryUserBalance`; `xpay-coin` → `XpayCoin`.
pub fn pascal(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for part in snake(name).split('_').filter(|p| !p.is_empty()) {
        let mut cs = part.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    out
}

/// The Rust name of a payment kind's order type when the spec gives none:
/// `virtual_payment` → `VirtualPaymentOrder`.
pub fn payment_order(kind: &str) -> String {
    format!("{}Order", pascal(kind))
}

/// The Rust name of one mode's order type: `coin` of `PaymentOrder` → `CoinPaymentOrder`.
pub fn mode_order(mode: &str, order: &str) -> String {
    format!("{}{order}", pascal(mode))
}

/// The Rust name of a payment kind's mode enum: `PaymentOrder` → `PaymentMode`.
pub fn mode_enum(order: &str) -> String {
    match order.strip_suffix("Order") {
        Some(stem) => format!("{stem}Mode"),
        None => format!("{order}Mode"),
    }
}

/// Whether `s` is a valid Rust identifier in snake_case (ASCII).
pub fn is_snake_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s != "_"
}

/// Whether `s` is a PascalCase Rust type name (ASCII).
pub fn is_pascal_ident(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_uppercase()) && cs.all(|c| c.is_ascii_alphanumeric())
}

/// The keywords that not even `r#` makes a name (`self`, `Self`, `super`, `crate`): no spec
/// name may become one.
pub fn is_path_keyword(s: &str) -> bool {
    matches!(s, "self" | "Self" | "super" | "crate")
}

/// Rust keywords that cannot be field names without `r#`.
pub fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_cases() {
        assert_eq!(snake("OutTradeNo"), "out_trade_no");
        assert_eq!(snake("offerId"), "offer_id");
        assert_eq!(snake("WeChatPayInfo"), "we_chat_pay_info");
        assert_eq!(snake("ToUserName"), "to_user_name");
        assert_eq!(snake("query_user_balance"), "query_user_balance");
        assert_eq!(snake("IOSRefund"), "ios_refund");
        assert_eq!(snake("p_count"), "p_count");
        assert_eq!(snake("env"), "env");
    }

    #[test]
    fn pascal_cases() {
        assert_eq!(pascal("query_user_balance"), "QueryUserBalance");
        assert_eq!(pascal("bind_transfer_accout"), "BindTransferAccout");
    }

    #[test]
    fn idents() {
        assert!(is_snake_ident("order_id"));
        assert!(!is_snake_ident("OrderId"));
        assert!(!is_snake_ident("9a"));
        assert!(is_pascal_ident("Order"));
        assert!(!is_pascal_ident("order"));
        assert!(is_keyword("type"));
    }
}
