//! `lenient_enum!`: string enums that never fail to decode.
//!
//! Redfish enums are open in practice: vendors send values from newer schema
//! versions, OEM values (`Downloading`, `Scheduled`), and other spellings
//! (`Ok` for `OK`). Each generated enum has one variant per value of the DMTF
//! schema plus `Other(String)`, which keeps anything else verbatim. Known values
//! match ASCII-case-insensitively and serialize with the DMTF spelling; `Other`
//! serializes back to the string it was read from. A number or boolean where a
//! string belongs becomes `Other` with its JSON text, so decoding never fails
//! because of an enum value (`null` is handled by the surrounding `Option`).

macro_rules! lenient_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this schema version does not define, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The wire spelling: the DMTF name, or the original text for `Other`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Other(s) => s.as_str(),
                }
            }

            /// `true` unless the value is `Other`.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $( if s.eq_ignore_ascii_case($wire) { return Self::$variant; } )+
                Self::Other(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match Self::from(s.as_str()) {
                    Self::Other(_) => Self::Other(s),
                    known => known,
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($crate::lenient::LenientVisitor::<$name>::new(stringify!($name)))
            }
        }
    };
}

/// Visitor shared by every `lenient_enum!`: strings map through `From<&str>`,
/// numbers and booleans become their JSON text.
pub(crate) struct LenientVisitor<T> {
    name: &'static str,
    marker: std::marker::PhantomData<fn() -> T>,
}

impl<T> LenientVisitor<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            marker: std::marker::PhantomData,
        }
    }
}

impl<T: for<'a> From<&'a str> + From<String>> serde::de::Visitor<'_> for LenientVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a {} string", self.name)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<T, E> {
        Ok(T::from(v.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<T, E> {
        Ok(T::from(v.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<T, E> {
        Ok(T::from(v.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<T, E> {
        Ok(T::from(v.to_string()))
    }
}
