//! Key policies and identity policies: the IAM policy grammar KMS accepts,
//! parsed once into a typed form, and its evaluation for one request.
//!
//! What is supported, as AWS documents it for KMS:
//! - `Version` `2012-10-17` or `2008-10-17`, `Id`, and one statement or a list.
//! - `Effect` Allow/Deny; `Principal`/`NotPrincipal` as `"*"` or
//!   `{"AWS": ...}` with account ids, account roots and IAM ARNs (`Service`
//!   and `Federated` principals are accepted and never match a caller of
//!   this server, which has no services); `Action`/`NotAction` and
//!   `Resource`/`NotResource` with `*` and `?` wildcards.
//! - `Condition` operators `String(Not)Equals(IgnoreCase)`, `String(Not)Like`,
//!   `Arn(Not)Equals`, `Arn(Not)Like`, `Numeric(Not)Equals`,
//!   `NumericLessThan(Equals)`, `NumericGreaterThan(Equals)`, the same six
//!   `Date...` operators, `(Not)IpAddress` (IPv4 and IPv6 CIDR ranges, or
//!   single addresses), `Bool`, `Null`, each with the `IfExists` suffix
//!   and the `ForAnyValue:`/`ForAllValues:` prefixes. Condition key names are
//!   case-insensitive, values case-sensitive. Numeric values are integers or
//!   decimals; dates are W3C ISO 8601 (`2026-12-03`, `2026-12-03T10:00Z`,
//!   `2026-12-03T10:00:00.5+01:00`) or epoch seconds. A policy value that is
//!   not a number (or date) is a malformed policy; a request value that is
//!   not one matches nothing.
//!
//! - Policy variables in `Resource`/`NotResource` and in the values of the
//!   string, ARN and `Bool` operators, in `Version` `2012-10-17` documents
//!   (older ones read them as text, as IAM does): `${key}` takes the
//!   request's single value of a condition key, `${key, 'default'}` a
//!   default when it has none, and `${*}`, `${?}`, `${$}` stand for those
//!   characters taken literally. A substituted value never acts as a
//!   wildcard. A variable without a value (and no default) makes its
//!   pattern or condition value match nothing.
//!
//! A policy using an unknown operator is rejected with
//! `MalformedPolicyDocumentException` rather than silently mis-evaluated.

use std::collections::BTreeMap;

use serde_json::Value;

/// The largest policy document KMS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 32 * 1024;

/// Which kind of document is parsed: key policies need principals,
/// identity policies must not have them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// A key policy (resource-based).
    Key,
    /// An identity policy of one principal.
    Identity,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
struct Statement {
    allow: bool,
    principal: Option<Principals>,
    actions: Patterns,
    resources: Option<Resources>,
    conditions: Vec<Condition>,
    /// Whether any resource or condition value holds a policy variable.
    variables: bool,
}

/// `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq)]
struct Resources {
    not: bool,
    patterns: Vec<Text>,
}

/// A policy string: plain, or with policy variables to resolve per request.
#[derive(Debug, Clone, PartialEq)]
enum Text {
    Plain(String),
    Template(Vec<Part>),
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// Policy text (its `*` and `?` are wildcards where the operator has them).
    Text(String),
    /// `${*}`, `${?}`, `${$}`: the character itself, never a wildcard.
    Char(char),
    /// `${key}` or `${key, 'default'}`; the key lower-cased.
    Var {
        key: String,
        default: Option<String>,
    },
}

/// One character of a resolved pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Char(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character.
    One,
}

/// How a policy string is compared with a request value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Exact,
    ExactIgnoreCase,
    Wildcard,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
struct Principals {
    not: bool,
    any: bool,
    /// AWS principals, normalised: account ids become `arn:...:root`.
    aws: Vec<String>,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`.
#[derive(Debug, Clone, PartialEq)]
struct Patterns {
    not: bool,
    patterns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    ArnEquals,
    ArnLike,
    Bool,
    Null,
    /// Compares numbers.
    Numeric(Cmp),
    /// Compares points in time (as epoch seconds).
    Date(Cmp),
    /// Whether an address is in a CIDR range.
    Ip,
}

/// An IP address range (`203.0.113.0/24`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    base: core::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// A range, or a single address (all its bits significant).
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let base: core::net::IpAddr = addr.parse().ok()?;
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok().filter(|&n| n <= bits)?
            }
            Some(_) => return None,
        };
        Some(Cidr { base, prefix })
    }

    fn contains(self, addr: core::net::IpAddr) -> bool {
        use core::net::IpAddr::{V4, V6};
        // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let (base, addr, bits) = match (self.base, addr.to_canonical()) {
            (V4(b), V4(a)) => (u128::from(b.to_bits()), u128::from(a.to_bits()), 32),
            (V6(b), V6(a)) => (b.to_bits(), a.to_bits(), 128),
            _ => return false,
        };
        let prefix = u32::from(self.prefix);
        if prefix == 0 {
            return true;
        }
        let shift = bits - prefix;
        (base >> shift) == (addr >> shift)
    }
}

/// How a numeric or date condition compares the request's value with the
/// policy's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds(self, actual: f64, policy: f64) -> bool {
        match self {
            Cmp::Eq => actual == policy,
            Cmp::Lt => actual < policy,
            Cmp::Le => actual <= policy,
            Cmp::Gt => actual > policy,
            Cmp::Ge => actual >= policy,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SetOp {
    AnyValue,
    AllValues,
}

#[derive(Debug, Clone, PartialEq)]
struct Condition {
    op: Op,
    negated: bool,
    if_exists: bool,
    set: Option<SetOp>,
    /// Lower-cased key name.
    key: String,
    values: Vec<Text>,
    /// For numeric and date operators: `values` parsed, once.
    numbers: Vec<f64>,
    /// For the IP address operators: `values` parsed, once.
    ranges: Vec<Cidr>,
}

/// The values of the condition keys of one request, by lower-cased name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConditionContext {
    values: BTreeMap<String, Vec<String>>,
}

impl ConditionContext {
    /// Sets a key (its name is matched case-insensitively).
    pub fn set(&mut self, key: &str, values: Vec<String>) {
        self.values.insert(key.to_ascii_lowercase(), values);
    }

    /// Sets a single-valued key.
    pub fn set_one(&mut self, key: &str, value: impl Into<String>) {
        self.set(key, vec![value.into()]);
    }

    fn get(&self, key: &str) -> Option<&[String]> {
        self.values.get(key).map(Vec::as_slice)
    }

    /// The one value of a key, for a policy variable.
    fn single(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Who asks: an IAM principal ARN and its account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `arn:<partition>:iam::<account>:root`, `...:user/<name>`, `...:role/<name>`.
    pub arn: String,
    /// The 12-digit account id.
    pub account: String,
}

impl Principal {
    /// The principal of an IAM (or STS) ARN, or `None` when it is not one.
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", partition, "iam" | "sts", "", account, resource]
                if !partition.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !resource.is_empty() =>
            {
                Some(Principal {
                    arn: arn.to_owned(),
                    account: (*account).to_owned(),
                })
            }
            _ => None,
        }
    }

    /// The root principal of an account.
    pub fn account_root(account: &str) -> Principal {
        Principal {
            arn: format!("arn:aws:iam::{account}:root"),
            account: account.to_owned(),
        }
    }
}

/// One request as a policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// `kms:<Operation>`.
    pub action: &'a str,
    /// The key ARN, or `*` for operations on no key.
    pub resource: &'a str,
    /// Condition keys.
    pub context: &'a ConditionContext,
}

/// What the statements of a policy say about one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Verdict {
    /// A matching Deny statement.
    pub deny: bool,
    /// A matching Allow statement naming the principal itself (or `*`).
    pub allow_principal: bool,
    /// A matching Allow statement naming the principal's account (its root
    /// or its id), which delegates to the account's identity policies.
    pub allow_account: bool,
}

impl Policy {
    /// A policy that allows nothing.
    pub fn deny_all() -> Policy {
        Policy {
            statements: Vec::new(),
        }
    }

    /// Whether any statement has a condition or a policy variable
    /// (requests need their condition keys only then).
    pub fn has_conditions(&self) -> bool {
        self.statements
            .iter()
            .any(|s| !s.conditions.is_empty() || s.variables)
    }

    /// Parses and checks a policy document.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<Policy, String> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(format!(
                "The policy is {} bytes long; the limit is {MAX_POLICY_BYTES}.",
                text.len()
            ));
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("The policy is not valid JSON: {e}"))?;
        Policy::from_value(&value, kind)
    }

    /// Checks a policy already parsed as JSON.
    pub fn from_value(value: &Value, kind: PolicyKind) -> Result<Policy, String> {
        let Value::Object(doc) = value else {
            return Err("The policy must be a JSON object.".into());
        };
        // Only the 2012-10-17 grammar has policy variables.
        let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        for (k, v) in doc {
            match k.as_str() {
                "Version" => match v.as_str() {
                    Some("2012-10-17" | "2008-10-17") => {}
                    _ => return Err("Version must be \"2012-10-17\" or \"2008-10-17\".".into()),
                },
                "Id" => {
                    if !v.is_string() {
                        return Err("Id must be a string.".into());
                    }
                }
                "Statement" => {}
                other => return Err(format!("Unknown policy element {other:?}.")),
            }
        }
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => return Err("The policy has no Statement.".into()),
        };
        if statements.is_empty() {
            return Err("The policy has no Statement.".into());
        }
        let statements = statements
            .into_iter()
            .map(|s| parse_statement(s, kind, variables))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { statements })
    }

    /// Evaluates the statements that apply to `req`.
    pub fn evaluate(&self, req: &AccessRequest<'_>) -> Verdict {
        let mut verdict = Verdict::default();
        for s in &self.statements {
            let principal_match = match &s.principal {
                None => Some(PrincipalMatch::Principal),
                Some(p) => p.matches(req.principal),
            };
            let Some(principal_match) = principal_match else {
                continue;
            };
            if !s.actions.matches(req.action, true) {
                continue;
            }
            if let Some(resources) = &s.resources
                && !resources.matches(req.resource, req.context)
            {
                continue;
            }
            if !s.conditions.iter().all(|c| c.holds(req.context)) {
                continue;
            }
            match (s.allow, principal_match) {
                (false, _) => verdict.deny = true,
                (true, PrincipalMatch::Principal) => verdict.allow_principal = true,
                (true, PrincipalMatch::Account) => verdict.allow_account = true,
            }
        }
        verdict
    }
}

/// The key policy AWS gives a key created without one: the account may do
/// everything, which delegates to the account's identity policies.
pub fn default_key_policy(partition: &str, account: &str) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \
         \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \
         \"Principal\" : {{\n      \"AWS\" : \"arn:{partition}:iam::{account}:root\"\n    }},\n    \
         \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalMatch {
    Principal,
    Account,
}

impl Principals {
    fn matches(&self, who: &Principal) -> Option<PrincipalMatch> {
        let found = if self.any || self.aws.iter().any(|p| p == &who.arn) {
            Some(PrincipalMatch::Principal)
        } else if self
            .aws
            .iter()
            .any(|p| root_account(p).is_some_and(|a| a == who.account))
        {
            Some(PrincipalMatch::Account)
        } else {
            None
        };
        match (self.not, found) {
            (false, m) => m,
            (true, Some(_)) => None,
            (true, None) => Some(PrincipalMatch::Principal),
        }
    }
}

/// The account of `arn:<partition>:iam::<account>:root`.
fn root_account(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix("iam::")?;
    let (account, resource) = rest.split_once(':')?;
    (resource == "root").then_some(account)
}

impl Patterns {
    fn matches(&self, value: &str, ignore_case: bool) -> bool {
        let hit = self
            .patterns
            .iter()
            .any(|p| wildcard_match(p, value, ignore_case));
        hit != self.not
    }
}

impl Resources {
    fn matches(&self, resource: &str, ctx: &ConditionContext) -> bool {
        let mut hit = false;
        for p in &self.patterns {
            match p.resolve(ctx) {
                Some(r) => hit |= r.matches(resource, Compare::Wildcard),
                // A NotResource that cannot be resolved excludes nothing
                // for sure: the statement does not apply.
                None if self.not => return false,
                None => {}
            }
        }
        hit != self.not
    }
}

impl Text {
    /// Reads a policy string; `variables` when the grammar has them.
    fn parse(s: &str, variables: bool) -> Result<Text, String> {
        if !variables || !s.contains("${") {
            return Ok(Text::Plain(s.to_owned()));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            if at > 0 {
                parts.push(Part::Text(rest[..at].to_owned()));
            }
            let after = &rest[at + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| format!("Unterminated policy variable in {s:?}."))?;
            let inner = after[..end].trim();
            parts.push(match inner {
                "*" => Part::Char('*'),
                "?" => Part::Char('?'),
                "$" => Part::Char('$'),
                _ => {
                    let (key, default) = match inner.split_once(',') {
                        None => (inner, None),
                        Some((k, d)) => {
                            let d = d.trim();
                            let quoted = d
                                .strip_prefix('\'')
                                .and_then(|d| d.strip_suffix('\''))
                                .filter(|d| !d.contains('\''))
                                .ok_or_else(|| {
                                    format!("The default of a policy variable in {s:?} must be quoted with '.")
                                })?;
                            (k.trim(), Some(quoted.to_owned()))
                        }
                    };
                    if key.is_empty() || key.contains(char::is_whitespace) {
                        return Err(format!("Invalid policy variable in {s:?}."));
                    }
                    Part::Var {
                        key: key.to_ascii_lowercase(),
                        default,
                    }
                }
            });
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Text::Template(parts))
    }

    fn is_template(&self) -> bool {
        matches!(self, Text::Template(_))
    }

    /// The text as this request sees it, or `None` when a variable has no
    /// value. Plain text is borrowed, not copied.
    fn resolve(&self, ctx: &ConditionContext) -> Option<Resolved<'_>> {
        let parts = match self {
            Text::Plain(s) => return Some(Resolved::Plain(s)),
            Text::Template(parts) => parts,
        };
        let pattern = |s: &str, out: &mut Vec<Tok>| {
            out.extend(s.chars().map(|c| match c {
                '*' => Tok::Star,
                '?' => Tok::One,
                c => Tok::Char(c),
            }));
        };
        let mut out = Vec::new();
        for part in parts {
            match part {
                Part::Text(s) => pattern(s, &mut out),
                Part::Char(c) => out.push(Tok::Char(*c)),
                Part::Var { key, default } => {
                    let value = ctx.single(key).or(default.as_deref())?;
                    out.extend(value.chars().map(Tok::Char));
                }
            }
        }
        Some(Resolved::Pattern(out))
    }

    /// The plain text (for operators whose values cannot hold variables).
    fn plain(&self) -> &str {
        match self {
            Text::Plain(s) => s,
            Text::Template(_) => "",
        }
    }
}

/// A policy string with its variables filled in for one request.
enum Resolved<'a> {
    /// Text without variables.
    Plain(&'a str),
    /// Text with variables, whose substituted characters are literal.
    Pattern(Vec<Tok>),
}

impl Resolved<'_> {
    /// Whether the request value matches.
    fn matches(&self, value: &str, how: Compare) -> bool {
        let toks = match self {
            Resolved::Plain(p) => {
                return match how {
                    Compare::Exact => *p == value,
                    Compare::ExactIgnoreCase => p.eq_ignore_ascii_case(value),
                    Compare::Wildcard => wildcard_match(p, value, false),
                };
            }
            Resolved::Pattern(toks) => toks,
        };
        match how {
            Compare::Wildcard => match_tokens(toks, value, false),
            Compare::Exact | Compare::ExactIgnoreCase => {
                let literal: String = toks
                    .iter()
                    .map(|t| match t {
                        Tok::Char(c) => *c,
                        Tok::Star => '*',
                        Tok::One => '?',
                    })
                    .collect();
                if how == Compare::ExactIgnoreCase {
                    literal.eq_ignore_ascii_case(value)
                } else {
                    literal == value
                }
            }
        }
    }
}

impl Condition {
    fn holds(&self, ctx: &ConditionContext) -> bool {
        if self.op == Op::Null {
            let absent = ctx.get(&self.key).is_none_or(<[String]>::is_empty);
            return self.values.iter().any(|v| {
                let want_absent = v.plain().eq_ignore_ascii_case("true");
                want_absent == absent
            });
        }
        // Variables are filled in once per request, not once per value
        // compared. A condition none of whose values resolves is false,
        // whatever its operator.
        let resolved: Option<Vec<Resolved<'_>>> = if self.values.iter().any(Text::is_template) {
            let values: Vec<Resolved<'_>> =
                self.values.iter().filter_map(|t| t.resolve(ctx)).collect();
            if values.is_empty() {
                return false;
            }
            Some(values)
        } else {
            None
        };
        let Some(actual) = ctx.get(&self.key).filter(|v| !v.is_empty()) else {
            return match self.set {
                // ForAllValues over an absent key holds (as in IAM).
                Some(SetOp::AllValues) => true,
                Some(SetOp::AnyValue) => false,
                None => self.if_exists || self.negated,
            };
        };
        let matches_one = |v: &str| match self.op {
            Op::Numeric(cmp) => {
                parse_number(v).is_some_and(|x| self.numbers.iter().any(|&n| cmp.holds(x, n)))
            }
            Op::Date(cmp) => {
                parse_date(v).is_some_and(|x| self.numbers.iter().any(|&n| cmp.holds(x, n)))
            }
            Op::Ip => v
                .parse::<core::net::IpAddr>()
                .is_ok_and(|a| self.ranges.iter().any(|r| r.contains(a))),
            _ => {
                let how = self.op.compare();
                match &resolved {
                    Some(values) => values.iter().any(|c| c.matches(v, how)),
                    // Plain text resolves to itself, borrowed.
                    None => self
                        .values
                        .iter()
                        .filter_map(|t| t.resolve(ctx))
                        .any(|c| c.matches(v, how)),
                }
            }
        };
        match self.set {
            Some(SetOp::AllValues) => actual.iter().all(|v| matches_one(v) != self.negated),
            Some(SetOp::AnyValue) => actual.iter().any(|v| matches_one(v) != self.negated),
            None => {
                let any = actual.iter().any(|v| matches_one(v));
                any != self.negated
            }
        }
    }
}

impl Op {
    /// How the string-valued operators compare (numeric, date and `Null`
    /// conditions are decided in `Condition::holds`).
    fn compare(self) -> Compare {
        match self {
            Op::StringLike | Op::ArnLike => Compare::Wildcard,
            Op::StringEqualsIgnoreCase | Op::Bool => Compare::ExactIgnoreCase,
            _ => Compare::Exact,
        }
    }
}

/// A numeric condition value: an integer or a decimal, optionally signed.
fn parse_number(s: &str) -> Option<f64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty()
        || !all_digits(int)
        || !all_digits(frac)
        || (digits.contains('.') && frac.is_empty())
    {
        return None;
    }
    s.parse().ok().filter(|n: &f64| n.is_finite())
}

/// A date condition value as epoch seconds: epoch seconds themselves, or a
/// W3C profile ISO 8601 date or time (`YYYY-MM`, `YYYY-MM-DD`, or
/// `YYYY-MM-DDThh:mm[:ss[.s+]]` followed by `Z` or `±hh:mm`; a bare year
/// would read as epoch seconds).
pub fn parse_date(s: &str) -> Option<f64> {
    if let Some(n) = parse_number(s) {
        return Some(n);
    }
    let num = |t: &str, len: usize| -> Option<i64> {
        (t.len() == len && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut parts = date.split('-');
    let year = num(parts.next()?, 4)?;
    let month = num(parts.next()?, 2)?;
    let day = parts.next().map_or(Some(1), |d| num(d, 2))?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day < 1 || day > days_in(year, month)
    {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) as f64 * 86_400.0;
    if let Some(time) = time {
        if date.len() != 10 {
            return None;
        }
        let (clock, offset_s) = if let Some(c) = time.strip_suffix('Z') {
            (c, 0)
        } else {
            let at = time.rfind(['+', '-'])?;
            let (c, zone) = time.split_at(at);
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (h, m) = zone[1..].split_once(':')?;
            let (h, m) = (num(h, 2)?, num(m, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            (c, sign * (h * 3600 + m * 60))
        };
        let mut fields = clock.splitn(3, ':');
        let hour = num(fields.next()?, 2)?;
        let minute = num(fields.next()?, 2)?;
        let second = match fields.next() {
            None => 0.0,
            Some(sec) => {
                let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
                let whole = num(whole, 2)?;
                if sec.contains('.')
                    && (frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()))
                {
                    return None;
                }
                if whole > 59 {
                    return None;
                }
                sec.parse::<f64>().ok()?
            }
        };
        if hour > 23 || minute > 59 {
            return None;
        }
        seconds += (hour * 3600 + minute * 60 - offset_s) as f64 + second;
    }
    Some(seconds)
}

fn days_in(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `*` matches any run of characters, `?` any one character.
pub fn wildcard_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    // Most patterns are `*` or have no wildcard at all: no allocation then.
    if pattern == "*" {
        return true;
    }
    if !pattern.contains(['*', '?']) {
        return if ignore_case {
            pattern.eq_ignore_ascii_case(value)
        } else {
            pattern == value
        };
    }
    let p: Vec<Tok> = pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::One,
            c => Tok::Char(c),
        })
        .collect();
    match_tokens(&p, value, ignore_case)
}

/// [`wildcard_match`] over a resolved pattern.
fn match_tokens(p: &[Tok], value: &str, ignore_case: bool) -> bool {
    let v: Vec<char> = value.chars().collect();
    let fits = |t: Tok, b: char| match t {
        Tok::One => true,
        Tok::Char(a) if ignore_case => a.eq_ignore_ascii_case(&b),
        Tok::Char(a) => a == b,
        Tok::Star => false,
    };
    // Iterative matching with one backtrack point: linear in practice, never
    // exponential whatever the pattern.
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && fits(p[pi], v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == Tok::Star {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == Tok::Star {
        pi += 1;
    }
    pi == p.len()
}

fn parse_statement(value: &Value, kind: PolicyKind, variables: bool) -> Result<Statement, String> {
    let Value::Object(s) = value else {
        return Err("Each Statement must be a JSON object.".into());
    };
    for k in s.keys() {
        if !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            return Err(format!("Unknown statement element {k:?}."));
        }
    }
    if let Some(sid) = s.get("Sid")
        && !sid.is_string()
    {
        return Err("Sid must be a string.".into());
    }
    let allow = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => true,
        Some("Deny") => false,
        _ => return Err("Effect must be \"Allow\" or \"Deny\".".into()),
    };
    let principal = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(_), Some(_)) => {
            return Err("A statement cannot have both Principal and NotPrincipal.".into());
        }
        (Some(p), None) => Some(parse_principals(p, false)?),
        (None, Some(p)) => Some(parse_principals(p, true)?),
        (None, None) => None,
    };
    match (kind, &principal) {
        (PolicyKind::Key, None) => {
            return Err("Every statement of a key policy needs a Principal.".into());
        }
        (PolicyKind::Identity, Some(_)) => {
            return Err("Identity policies cannot name a Principal.".into());
        }
        _ => {}
    }
    let actions = match (s.get("Action"), s.get("NotAction")) {
        (Some(a), None) => Patterns {
            not: false,
            patterns: parse_actions(a)?,
        },
        (None, Some(a)) => Patterns {
            not: true,
            patterns: parse_actions(a)?,
        },
        _ => return Err("A statement needs exactly one of Action and NotAction.".into()),
    };
    let texts = |list: Vec<String>| -> Result<Vec<Text>, String> {
        list.iter().map(|r| Text::parse(r, variables)).collect()
    };
    let resources = match (s.get("Resource"), s.get("NotResource")) {
        (Some(r), None) => Some(Resources {
            not: false,
            patterns: texts(string_list(r, "Resource")?)?,
        }),
        (None, Some(r)) => Some(Resources {
            not: true,
            patterns: texts(string_list(r, "NotResource")?)?,
        }),
        (Some(_), Some(_)) => {
            return Err("A statement cannot have both Resource and NotResource.".into());
        }
        (None, None) if kind == PolicyKind::Identity => {
            return Err("Every statement of an identity policy needs a Resource.".into());
        }
        (None, None) => None,
    };
    let conditions = match s.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(c, variables)?,
    };
    let variables = resources
        .iter()
        .flat_map(|r| &r.patterns)
        .chain(conditions.iter().flat_map(|c| &c.values))
        .any(Text::is_template);
    Ok(Statement {
        allow,
        principal,
        actions,
        resources,
        conditions,
        variables,
    })
}

fn parse_principals(value: &Value, not: bool) -> Result<Principals, String> {
    let invalid = || "Policy contains a statement with one or more invalid principals.".to_owned();
    match value {
        Value::String(s) if s == "*" => Ok(Principals {
            not,
            any: true,
            aws: Vec::new(),
        }),
        Value::Object(map) if !map.is_empty() => {
            let mut out = Principals {
                not,
                any: false,
                aws: Vec::new(),
            };
            for (kind, v) in map {
                let list = string_list(v, "Principal").map_err(|_| invalid())?;
                match kind.as_str() {
                    "AWS" => {
                        for p in list {
                            if p == "*" {
                                out.any = true;
                            } else {
                                out.aws.push(normalise_principal(&p).ok_or_else(invalid)?);
                            }
                        }
                    }
                    "Service" | "Federated" | "CanonicalUser" => {}
                    _ => return Err(invalid()),
                }
            }
            Ok(out)
        }
        _ => Err(invalid()),
    }
}

/// An account id becomes its root ARN; IAM ARNs stay as they are.
fn normalise_principal(p: &str) -> Option<String> {
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("arn:aws:iam::{p}:root"));
    }
    Principal::from_arn(p).map(|pr| pr.arn)
}

fn parse_actions(value: &Value) -> Result<Vec<String>, String> {
    let list = string_list(value, "Action")?;
    for a in &list {
        let ok = a == "*"
            || a.split_once(':').is_some_and(|(service, name)| {
                !service.is_empty()
                    && !name.is_empty()
                    && service
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !ok {
            return Err(format!("Action {a:?} is not of the form service:Action."));
        }
    }
    Ok(list)
}

fn string_list(value: &Value, what: &str) -> Result<Vec<String>, String> {
    let err = || format!("{what} must be a string or a list of strings.");
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(err))
            .collect(),
        _ => Err(err()),
    }
}

fn parse_conditions(value: &Value, variables: bool) -> Result<Vec<Condition>, String> {
    let Value::Object(ops) = value else {
        return Err("Condition must be a JSON object.".into());
    };
    let mut out = Vec::new();
    for (op_name, keys) in ops {
        let (set, rest) = if let Some(r) = op_name.strip_prefix("ForAnyValue:") {
            (Some(SetOp::AnyValue), r)
        } else if let Some(r) = op_name.strip_prefix("ForAllValues:") {
            (Some(SetOp::AllValues), r)
        } else {
            (None, op_name.as_str())
        };
        let (if_exists, base) = match rest.strip_suffix("IfExists") {
            Some(b) => (true, b),
            None => (false, rest),
        };
        let (op, negated) = match base {
            "StringEquals" => (Op::StringEquals, false),
            "StringNotEquals" => (Op::StringEquals, true),
            "StringEqualsIgnoreCase" => (Op::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Op::StringEqualsIgnoreCase, true),
            "StringLike" => (Op::StringLike, false),
            "StringNotLike" => (Op::StringLike, true),
            "ArnEquals" => (Op::ArnEquals, false),
            "ArnNotEquals" => (Op::ArnEquals, true),
            "ArnLike" => (Op::ArnLike, false),
            "ArnNotLike" => (Op::ArnLike, true),
            "NumericEquals" => (Op::Numeric(Cmp::Eq), false),
            "NumericNotEquals" => (Op::Numeric(Cmp::Eq), true),
            "NumericLessThan" => (Op::Numeric(Cmp::Lt), false),
            "NumericLessThanEquals" => (Op::Numeric(Cmp::Le), false),
            "NumericGreaterThan" => (Op::Numeric(Cmp::Gt), false),
            "NumericGreaterThanEquals" => (Op::Numeric(Cmp::Ge), false),
            "DateEquals" => (Op::Date(Cmp::Eq), false),
            "DateNotEquals" => (Op::Date(Cmp::Eq), true),
            "DateLessThan" => (Op::Date(Cmp::Lt), false),
            "DateLessThanEquals" => (Op::Date(Cmp::Le), false),
            "DateGreaterThan" => (Op::Date(Cmp::Gt), false),
            "DateGreaterThanEquals" => (Op::Date(Cmp::Ge), false),
            "IpAddress" => (Op::Ip, false),
            "NotIpAddress" => (Op::Ip, true),
            "Bool" => (Op::Bool, false),
            "Null" if !if_exists && set.is_none() => (Op::Null, false),
            _ => return Err(format!("Condition operator {op_name:?} is not supported.")),
        };
        let Value::Object(keys) = keys else {
            return Err(format!("Condition {op_name} must map keys to values."));
        };
        if keys.is_empty() {
            return Err(format!("Condition {op_name} has no keys."));
        }
        for (key, values) in keys {
            let values = condition_values(values).ok_or_else(|| {
                format!("Condition {op_name} {key}: values must be strings, numbers or booleans.")
            })?;
            let parse: Option<fn(&str) -> Option<f64>> = match op {
                Op::Numeric(_) => Some(parse_number),
                Op::Date(_) => Some(parse_date),
                _ => None,
            };
            let ranges = if op == Op::Ip {
                values
                    .iter()
                    .map(|v| {
                        Cidr::parse(v).ok_or_else(|| {
                            format!("Condition {op_name} {key}: {v:?} is not an IP address range.")
                        })
                    })
                    .collect::<Result<_, _>>()?
            } else {
                Vec::new()
            };
            // Variables in string, ARN and Bool values (not Null's).
            let with_variables = variables && parse.is_none() && !matches!(op, Op::Null | Op::Ip);
            let numbers = match parse {
                None => Vec::new(),
                Some(parse) => values
                    .iter()
                    .map(|v| {
                        parse(v).ok_or_else(|| {
                            format!("Condition {op_name} {key}: {v:?} is not a valid value.")
                        })
                    })
                    .collect::<Result<_, _>>()?,
            };
            let values = values
                .iter()
                .map(|v| Text::parse(v, with_variables))
                .collect::<Result<_, _>>()?;
            out.push(Condition {
                op,
                negated,
                if_exists,
                set,
                key: key.to_ascii_lowercase(),
                values,
                numbers,
                ranges,
            });
        }
    }
    Ok(out)
}

fn condition_values(value: &Value) -> Option<Vec<String>> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => None,
        v => one(v).map(|s| vec![s]),
    }
}

#[cfg(test)]
mod tests;
