//! A typed, borrowing parse of a request document for [`super::encode`]: the top level becomes a
//! `Map` as usual, but `messages` is read straight into [`Message`]s (role and content only),
//! never into a `Value` tree. A request of 262,000 messages (4 MB) parses in a few milliseconds
//! instead of a hundred and more.
//!
//! It is a shortcut, never a second opinion: [`parse`] answers `None` whenever its result could
//! differ from the `Value` parse (any syntax or type error, a message that is not an object, a
//! repeated key inside a message, `messages` that is not an array, a document without `model`),
//! and the caller then parses into a `Value` as before. Repeated top-level keys keep the last
//! value, as `serde_json::Map` does; nesting counts against serde_json's recursion limit exactly
//! as in the `Value` parse, since the same deserializer reads every level.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// One message as the routing header and the request flags see it. A `role` that is present
/// must be a string (borrowed from the input unless it has escapes); anything else is left to the
/// `Value` parse.
#[derive(Debug, Default)]
pub struct Message<'a> {
    /// The `role` member, if any.
    pub role: Option<Cow<'a, str>>,
    /// The `content` member, if any.
    pub content: Option<Value>,
}

/// What the routing header and the flags read of one message: its `role` if that is a string,
/// and its `content` member.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    /// `message.get("role").and_then(Value::as_str)`.
    pub role: Option<&'a str>,
    /// `message.get("content")`.
    pub content: Option<&'a Value>,
}

impl<'a> MessageView<'a> {
    /// The view of a message held as a `Value`.
    pub fn of(message: &'a Value) -> Self {
        MessageView {
            role: message.get("role").and_then(Value::as_str),
            content: message.get("content"),
        }
    }
}

impl<'a> From<&'a Message<'_>> for MessageView<'a> {
    fn from(m: &'a Message<'_>) -> Self {
        MessageView {
            role: m.role.as_deref(),
            content: m.content.as_ref(),
        }
    }
}

/// A JSON string, borrowed from the input where it has no escapes; any other JSON value is an
/// error.
struct Str<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// The views of `doc["messages"]` (none unless it is an array).
pub fn views_of(doc: &Value) -> Vec<MessageView<'_>> {
    doc.get("messages")
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |m| m.iter().map(MessageView::of).collect())
}

/// A request document: every top-level member but `messages` (which is kept as `null`, so that
/// presence checks still see it), and the messages.
pub struct Request<'a> {
    /// The document without its messages.
    pub doc: Value,
    /// The messages.
    pub messages: Vec<Message<'a>>,
}

/// Parse `json` as a request, or `None` where only the `Value` parse decides (module docs).
pub fn parse(json: &str) -> Option<Request<'_>> {
    let top: Top<'_> = serde_json::from_str(json).ok()?;
    let messages = top.messages?;
    if !top.other.contains_key("model") {
        return None;
    }
    let mut doc = top.other;
    doc.insert("messages".to_owned(), Value::Null);
    Some(Request {
        doc: Value::Object(doc),
        messages,
    })
}

struct Top<'a> {
    other: Map<String, Value>,
    messages: Option<Vec<Message<'a>>>,
}

impl<'de> Deserialize<'de> for Top<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Top<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Top<'de>, A::Error> {
                let mut top = Top {
                    other: Map::new(),
                    messages: None,
                };
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    if key == "messages" {
                        top.messages = Some(map.next_value::<Vec<Message<'de>>>()?);
                        top.other.remove("messages");
                    } else {
                        let value = map.next_value::<Value>()?;
                        top.other.insert(key.into_owned(), value);
                    }
                }
                Ok(top)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Message<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Message<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Message<'de>, A::Error> {
                let repeated = || serde::de::Error::custom("repeated key");
                let mut m = Message::default();
                while let Some(Str(key)) = map.next_key::<Str<'de>>()? {
                    match &*key {
                        "role" if m.role.is_some() => return Err(repeated()),
                        "role" => m.role = Some(map.next_value::<Str<'de>>()?.0),
                        "content" if m.content.is_some() => return Err(repeated()),
                        "content" => m.content = Some(map.next_value::<Value>()?),
                        _ => {
                            // Read as a `Value`, not skipped: the skipping reader may not count
                            // nesting against the recursion limit as the `Value` parse does.
                            map.next_value::<Value>()?;
                        }
                    }
                }
                Ok(m)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the shortcut accepts, it reads as the `Value` parse does.
    #[test]
    fn agrees_with_the_value_parse_or_declines() {
        let docs = [
            r#"{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"system"}]}"#,
            r#"{"model":"m","messages":[{"role":"us\u0065r","x":[1,{"a":2}],"content":[{"type":"text","text":"a"}]}],"stream":true}"#,
            r#"{"model":"m","messages":[],"messages":[{"role":"tool"}],"model":"n"}"#,
            r#"{"model":"m","messages":[{"content":null}]}"#,
        ];
        for json in docs {
            let fast = parse(json).expect(json);
            let full: Value = serde_json::from_str(json).unwrap();
            let views = views_of(&full);
            assert_eq!(views.len(), fast.messages.len(), "{json}");
            for (a, b) in views.iter().zip(&fast.messages) {
                let b = MessageView::from(b);
                assert_eq!(a.role, b.role, "{json}");
                assert_eq!(a.content, b.content, "{json}");
            }
            let mut rest = full.as_object().unwrap().clone();
            rest.insert("messages".into(), Value::Null);
            assert_eq!(fast.doc, Value::Object(rest), "{json}");
        }
        for json in [
            r#"{"model":"m","messages":[["user","hi"]]}"#,
            r#"{"model":"m","messages":[{"role":"user","role":"tool"}]}"#,
            r#"{"model":"m","messages":[{"role":5}]}"#,
            r#"{"model":"m","messages":[{"role":null}]}"#,
            r#"{"model":"m","messages":{"role":"user"}}"#,
            r#"{"messages":[]}"#,
            r#"{"model":"m","messages":[]"#,
            r#"{"model":"m","messages":[]} x"#,
            r#"[{"model":"m","messages":[]}]"#,
            "not json",
        ] {
            assert!(parse(json).is_none(), "{json}");
        }
    }
}
