//! XML → JSON coercion guided by the spec tables.
//!
//! In XML every value is text; the spec decides what each becomes. The envelope's fields and
//! the fields of the event named by `<Event>` type the top level, object types their children:
//!
//! | spec type | JSON |
//! |---|---|
//! | `Int`, `Env`, `IntEnum` | number |
//! | `Bool` | `true`/`false` (from `true`/`false`/`1`/`0`) |
//! | `String`, `StrEnum`, `Json` | string, never parsed (`TransactionId` stays `"4200000002"`) |
//! | `Object` | object, its children typed by the object's fields |
//! | `List` | array: of the repeated elements, or of a single wrapper element's children |
//!
//! Elements the spec does not know (an unknown event or field) stay strings, or objects when
//! they have children; a name that repeats becomes an array. Empty elements stay present as
//! `""` (an object-typed one as `{}`, a list-typed one as `[]`).
//!
//! A value that does not fit its type (`<Quantity>ten</Quantity>`, an integer with child
//! elements) is kept as it came, text or object, as a JSON message would carry it: typing then
//! fails for that event alone, and a known event arrives as `Event::Malformed` with every field
//! and the error, instead of the whole push failing here.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::xml::Element;
use crate::meta::{FieldMeta, SpecMeta, TypeMeta};

/// Types a parsed XML message (its root element) by the spec.
pub(crate) fn coerce_message(root: &Element, spec: &SpecMeta) -> Map<String, Value> {
    let event_fields = root
        .child("Event")
        .and_then(|e| spec.event(e.text.trim()))
        .map_or(&[][..], |e| e.fields);
    coerce_children(root, &[spec.envelope, event_fields])
}

fn find(tables: &[&'static [FieldMeta]], name: &str) -> Option<&'static TypeMeta> {
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|f| f.name == name)
        .map(|f| f.ty)
}

fn coerce_children(element: &Element, tables: &[&'static [FieldMeta]]) -> Map<String, Value> {
    // Group repeated names, keeping first-appearance order.
    let mut groups: Vec<(&str, Vec<&Element>)> = Vec::new();
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    for child in &element.children {
        match index.get(child.name.as_str()) {
            Some(&i) => groups[i].1.push(child),
            None => {
                index.insert(&child.name, groups.len());
                groups.push((&child.name, vec![child]));
            }
        }
    }
    let mut map = Map::new();
    for (name, elements) in groups {
        let ty = find(tables, name);
        let value = match (ty, elements.as_slice()) {
            (Some(TypeMeta::List(item)), _) => list(&elements, item),
            (_, [single]) => coerce_value(single, ty),
            (_, many) => Value::Array(many.iter().map(|e| coerce_value(e, ty)).collect()),
        };
        map.insert(name.to_string(), value);
    }
    map
}

/// A list: the repeated elements, or the children of a single wrapper element
/// (`<Items><item>…</item><item>…</item></Items>`).
fn list(elements: &[&Element], item: &'static TypeMeta) -> Value {
    let items: Vec<&Element> = match elements {
        [single] if single.children.is_empty() && single.text.trim().is_empty() => Vec::new(),
        [single] if is_wrapper(single, item) => single.children.iter().collect(),
        many => many.to_vec(),
    };
    Value::Array(items.iter().map(|e| coerce_value(e, Some(item))).collect())
}

/// Whether a single list element wraps the items: its children all share one name that is
/// not a field of the item type.
fn is_wrapper(element: &Element, item: &TypeMeta) -> bool {
    let Some(first) = element.children.first() else {
        return false;
    };
    let same = element.children.iter().all(|c| c.name == first.name);
    let is_item_field = match item {
        TypeMeta::Object(_, fields) => fields.iter().any(|f| f.name == first.name),
        _ => false,
    };
    same && !is_item_field
}

fn coerce_value(element: &Element, ty: Option<&'static TypeMeta>) -> Value {
    let has_children = !element.children.is_empty();
    let text = element.text.as_str();
    let t = text.trim();
    match ty {
        // A scalar with child elements does not fit: kept as the object it is.
        Some(TypeMeta::Int | TypeMeta::Env | TypeMeta::IntEnum(..) | TypeMeta::Bool)
            if has_children =>
        {
            Value::Object(coerce_children(element, &[]))
        }
        Some(TypeMeta::Int | TypeMeta::Env | TypeMeta::IntEnum(..)) => {
            integer(t).unwrap_or_else(|| Value::String(text.to_string()))
        }
        Some(TypeMeta::Bool) if t == "1" || t.eq_ignore_ascii_case("true") => Value::Bool(true),
        Some(TypeMeta::Bool) if t == "0" || t.eq_ignore_ascii_case("false") => Value::Bool(false),
        Some(TypeMeta::Object(_, fields)) => {
            if has_children {
                Value::Object(coerce_children(element, &[fields]))
            } else if t.is_empty() {
                Value::Object(Map::new())
            } else {
                Value::String(text.to_string())
            }
        }
        Some(TypeMeta::List(item)) => list(&[element], item),
        Some(TypeMeta::String | TypeMeta::StrEnum(..) | TypeMeta::Json(_) | TypeMeta::Bool)
        | None => {
            if has_children {
                Value::Object(coerce_children(element, &[]))
            } else {
                Value::String(text.to_string())
            }
        }
    }
}

fn integer(text: &str) -> Option<Value> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(Value::Number(Number::from(n)));
    }
    text.parse::<u64>()
        .ok()
        .map(|n| Value::Number(Number::from(n)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::xml::parse;
    use crate::meta::EventMeta;
    use serde_json::json;

    const fn field(name: &'static str, ty: &'static TypeMeta) -> FieldMeta {
        FieldMeta::new(name, ty)
    }

    static ITEM: TypeMeta = TypeMeta::Object(
        "Item",
        &[field("Id", &TypeMeta::String), field("N", &TypeMeta::Int)],
    );
    static INTS: TypeMeta = TypeMeta::List(&TypeMeta::Int);
    static ITEMS: TypeMeta = TypeMeta::List(&ITEM);
    static EVENT: EventMeta = EventMeta {
        name: "ev",
        doc: "",
        dedup_key: &[],
        custom_reply: false,
        fields: &[
            field("Flag", &TypeMeta::Bool),
            field("Nums", &INTS),
            field("Items", &ITEMS),
            field("Wrapped", &ITEMS),
            field("Obj", &ITEM),
            field("Kind", &TypeMeta::IntEnum("Kind", &[1, 2])),
            field("Big", &TypeMeta::Int),
        ],
    };
    static SPEC: SpecMeta = SpecMeta {
        actions: &[],
        envelope: &[
            field("Event", &TypeMeta::String),
            field("CreateTime", &TypeMeta::Int),
        ],
        events: &[&EVENT],
        errors: &[],
        payments: &[],
        client_errors: &[],
    };

    fn coerce(doc: &str) -> Result<Value, crate::callback::CallbackError> {
        let root = parse(doc, "message")?;
        Ok(Value::Object(coerce_message(&root, &SPEC)))
    }

    #[test]
    fn typed_by_the_event() {
        let doc = "<xml><Event>ev</Event><CreateTime> 12 </CreateTime><Flag>true</Flag>\
            <Nums>1</Nums><Nums>2</Nums><Items><Id>a</Id><N>1</N></Items>\
            <Wrapped><item><Id>b</Id><N>2</N></item><item><Id>c</Id><N>3</N></item></Wrapped>\
            <Obj><Id>007</Id><N>-4</N><Extra><Deep>1</Deep></Extra></Obj><Kind>2</Kind>\
            <Big>18446744073709551615</Big><Unknown>5</Unknown><Rep>1</Rep><Rep>2</Rep></xml>";
        assert_eq!(
            coerce(doc),
            Ok(json!({
                "Event": "ev", "CreateTime": 12, "Flag": true, "Nums": [1, 2],
                "Items": [{"Id": "a", "N": 1}],
                "Wrapped": [{"Id": "b", "N": 2}, {"Id": "c", "N": 3}],
                "Obj": {"Id": "007", "N": -4, "Extra": {"Deep": "1"}},
                "Kind": 2, "Big": 18446744073709551615u64, "Unknown": "5", "Rep": ["1", "2"],
            }))
        );
    }

    #[test]
    fn unknown_event_stays_strings() {
        let doc = "<xml><Event>other</Event><CreateTime>1</CreateTime><Flag>true</Flag><N><M>1</M></N></xml>";
        assert_eq!(
            coerce(doc),
            Ok(json!({"Event": "other", "CreateTime": 1, "Flag": "true", "N": {"M": "1"}}))
        );
    }

    #[test]
    fn empty_elements_stay_present() {
        let doc = "<xml><Event>ev</Event><CreateTime/><Flag></Flag><Obj/><Nums/><S></S></xml>";
        assert_eq!(
            coerce(doc),
            Ok(
                json!({"Event": "ev", "CreateTime": "", "Flag": "", "Obj": {}, "Nums": [], "S": ""})
            )
        );
    }

    /// A value that does not fit its type is kept as it came, so that typing fails for the
    /// event alone (`Event::Malformed`) and no push is lost here.
    #[test]
    fn values_that_do_not_fit_are_kept_as_they_came() {
        assert_eq!(
            coerce(
                "<xml><Event>ev</Event><Obj><N>x1</N></Obj><Nums>1</Nums><Nums>z</Nums><Flag>yes</Flag></xml>"
            ),
            Ok(json!({"Event": "ev", "Obj": {"N": "x1"}, "Nums": [1, "z"], "Flag": "yes"}))
        );
        assert_eq!(
            coerce("<xml><CreateTime><a>1</a></CreateTime><Big> 1.5 </Big></xml>"),
            Ok(json!({"CreateTime": {"a": "1"}, "Big": " 1.5 "}))
        );
    }
}
