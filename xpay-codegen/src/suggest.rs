//! "Did you mean …?": the known name nearest a misspelt one, when it is near enough.

/// `` did you mean `string`? `` for the candidate nearest `wrong`, if one is near enough: at
/// most a third of `wrong`'s length of edits away (one edit for short names), case ignored.
/// Numbers get no suggestion: `9` is not a misspelling of `1`.
pub(crate) fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(wrong, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate nearest `wrong` (the first of equals), if near enough.
pub(crate) fn nearest<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    if wrong.is_empty() || wrong.parse::<i64>().is_ok() {
        return None;
    }
    let limit = (wrong.chars().count() / 3).max(1);
    let lower = wrong.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == wrong {
            continue;
        }
        let d = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_names_are_suggested_and_far_ones_are_not() {
        let builtins = ["string", "i32", "i64", "u32", "u64", "bool", "env"];
        assert_eq!(nearest("strng", builtins), Some("string"));
        assert_eq!(nearest("String", builtins), Some("string"));
        assert_eq!(nearest("boool", builtins), Some("bool"));
        assert_eq!(nearest("integr", builtins), None);
        assert_eq!(nearest("OrderRf", ["OrderRef", "Order"]), Some("OrderRef"));
        assert_eq!(nearest("9", ["1", "2"]), None);
        assert_eq!(nearest("", ["a"]), None);
        assert_eq!(
            did_you_mean("requried", ["type", "required"]).as_deref(),
            Some("did you mean `required`?")
        );
    }
}
