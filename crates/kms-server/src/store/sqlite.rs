//! The embedded SQLite store.
//!
//! WAL journal with `synchronous=FULL`: every commit is fsynced before
//! `apply` returns, so an acknowledged write survives a power loss, not just
//! a process kill (NORMAL in WAL mode would survive `kill -9` but may lose
//! the last commits on power loss). One connection, behind a mutex, does
//! every write; writes are rare next to the crypto hot path, which never
//! touches SQLite (its keys' last use arrives in batches, at most about once
//! a second).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{
    AliasRecord, Change, KeyExtra, KeyRecord, LastUsage, Scope, SealedMaterial, Snapshot, Store,
    StoreError, TagRecord, UsageRecord,
};

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    spec TEXT NOT NULL,
    usage TEXT NOT NULL,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    description TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    deletion_ms INTEGER,
    pending_window_days INTEGER,
    multi_region INTEGER NOT NULL,
    policy TEXT,
    current_version INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    extra TEXT,
    PRIMARY KEY (account, region, key_id)
);
CREATE TABLE IF NOT EXISTS key_materials (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (account, region, key_id, version)
);
CREATE TABLE IF NOT EXISTS aliases (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    target_key_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE IF NOT EXISTS tags (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    tag_key TEXT NOT NULL,
    tag_value TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id, tag_key)
);
CREATE TABLE IF NOT EXISTS grants (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id, grant_id)
);
CREATE TABLE IF NOT EXISTS key_last_usage (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    key_id TEXT NOT NULL,
    operation TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    PRIMARY KEY (account, region, key_id)
);
";

/// The meta row that says since when last use is recorded (added with the
/// `key_last_usage` table; a database made before it starts tracking on the
/// first start that has it).
const USAGE_TRACKING_START: &str = "usage_tracking_start_ms";

/// SQLite-backed [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn err(e: impl core::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn parse<T: core::str::FromStr>(s: &str) -> Result<T, StoreError>
where
    T::Err: core::fmt::Display,
{
    s.parse().map_err(err)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        // Databases made before the `extra` column get it (NULL = defaults).
        let has_extra: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('keys') WHERE name = 'extra'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
            > 0;
        if !has_extra {
            conn.execute_batch("ALTER TABLE keys ADD COLUMN extra TEXT")
                .map_err(err)?;
        }
        let version: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE name = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        match version {
            None => {
                conn.execute(
                    "INSERT INTO meta (name, value) VALUES ('schema_version', ?1)",
                    params![SCHEMA_VERSION.to_string()],
                )
                .map_err(err)?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => {
                return Err(StoreError(format!(
                    "database schema version {v} is not supported (expected {SCHEMA_VERSION})"
                )));
            }
        }
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES (?1, ?2)",
            params![USAGE_TRACKING_START, now_ms.to_string()],
        )
        .map_err(err)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        self.conn
            .lock()
            .map_err(|_| StoreError("store connection mutex poisoned".into()))
    }
}

fn apply_one(tx: &Transaction<'_>, change: &Change) -> rusqlite::Result<()> {
    match change {
        Change::PutKey(k) => {
            let extra = serde_json::to_string(&k.extra)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            tx.execute(
                "INSERT OR REPLACE INTO keys (account, region, key_id, spec, usage, origin, state,
                   description, created_ms, deletion_ms, pending_window_days, multi_region, policy,
                   current_version, created_by, extra)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    k.scope.account,
                    k.scope.region,
                    k.key_id,
                    k.spec.as_str(),
                    k.usage.as_str(),
                    k.origin.as_str(),
                    k.state.as_str(),
                    k.description,
                    k.created_ms,
                    k.deletion_ms,
                    k.pending_window_days,
                    k.multi_region,
                    k.policy,
                    k.current_version,
                    k.created_by,
                    extra,
                ],
            )?;
        }
        Change::PutMaterial {
            scope,
            key_id,
            version,
            sealed,
            ..
        } => {
            tx.execute(
                "INSERT INTO key_materials (account, region, key_id, version, sealed)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![scope.account, scope.region, key_id, version, sealed],
            )?;
        }
        Change::DeleteKey { scope, key_id } => {
            for table in ["keys", "key_materials", "tags", "grants", "key_last_usage"] {
                tx.execute(
                    &format!(
                        "DELETE FROM {table} WHERE account = ?1 AND region = ?2 AND key_id = ?3"
                    ),
                    params![scope.account, scope.region, key_id],
                )?;
            }
            tx.execute(
                "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND target_key_id = ?3",
                params![scope.account, scope.region, key_id],
            )?;
        }
        Change::DeleteMaterial {
            scope,
            key_id,
            version,
        } => {
            tx.execute(
                "DELETE FROM key_materials WHERE account = ?1 AND region = ?2 AND key_id = ?3 \
                 AND version = ?4",
                params![scope.account, scope.region, key_id, version],
            )?;
        }
        Change::PutGrant(g) => {
            let body = serde_json::to_string(g)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            tx.execute(
                "INSERT OR REPLACE INTO grants (account, region, key_id, grant_id, body)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![g.scope.account, g.scope.region, g.key_id, g.grant_id, body],
            )?;
        }
        Change::DeleteGrant {
            scope,
            key_id,
            grant_id,
        } => {
            tx.execute(
                "DELETE FROM grants WHERE account = ?1 AND region = ?2 AND key_id = ?3 \
                 AND grant_id = ?4",
                params![scope.account, scope.region, key_id, grant_id],
            )?;
        }
        Change::PutAlias(a) => {
            tx.execute(
                "INSERT OR REPLACE INTO aliases
                   (account, region, name, target_key_id, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    a.scope.account,
                    a.scope.region,
                    a.name,
                    a.target_key_id,
                    a.created_ms,
                    a.updated_ms
                ],
            )?;
        }
        Change::DeleteAlias { scope, name } => {
            tx.execute(
                "DELETE FROM aliases WHERE account = ?1 AND region = ?2 AND name = ?3",
                params![scope.account, scope.region, name],
            )?;
        }
        Change::PutTag {
            scope,
            key_id,
            tag_key,
            tag_value,
        } => {
            tx.execute(
                "INSERT OR REPLACE INTO tags (account, region, key_id, tag_key, tag_value)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![scope.account, scope.region, key_id, tag_key, tag_value],
            )?;
        }
        Change::DeleteTag {
            scope,
            key_id,
            tag_key,
        } => {
            tx.execute(
                "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND key_id = ?3 AND tag_key = ?4",
                params![scope.account, scope.region, key_id, tag_key],
            )?;
        }
    }
    Ok(())
}

impl Store for SqliteStore {
    fn apply(&self, changes: &[Change]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(err)?;
        for change in changes {
            apply_one(&tx, change).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    fn save_usage(&self, records: &[UsageRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock()?;
        let tx = conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO key_last_usage
                       (account, region, key_id, operation, at_ms, event_id, request_id)
                     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
                     WHERE EXISTS (SELECT 1 FROM keys
                                   WHERE account = ?1 AND region = ?2 AND key_id = ?3)
                     ON CONFLICT (account, region, key_id) DO UPDATE SET
                       operation = excluded.operation, at_ms = excluded.at_ms,
                       event_id = excluded.event_id, request_id = excluded.request_id
                     WHERE excluded.at_ms >= key_last_usage.at_ms",
                )
                .map_err(err)?;
            for r in records {
                stmt.execute(params![
                    r.scope.account,
                    r.scope.region,
                    r.key_id,
                    r.usage.operation.as_str(),
                    r.usage.at_ms,
                    r.usage.event_id,
                    r.usage.request_id,
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn load(&self) -> Result<Snapshot, StoreError> {
        let conn = self.lock()?;
        let mut snap = Snapshot::default();

        let mut stmt = conn
            .prepare(
                "SELECT account, region, key_id, spec, usage, origin, state, description,
                        created_ms, deletion_ms, pending_window_days, multi_region, policy,
                        current_version, created_by, extra
                 FROM keys ORDER BY account, region, key_id",
            )
            .map_err(err)?;
        type KeyRow = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i32>,
            bool,
            Option<String>,
            u32,
            String,
            Option<String>,
        );
        let rows = stmt
            .query_map([], |r| -> rusqlite::Result<KeyRow> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                    r.get(14)?,
                    r.get(15)?,
                ))
            })
            .map_err(err)?;
        for row in rows {
            let row = row.map_err(err)?;
            snap.keys.push(KeyRecord {
                scope: Scope::new(row.0, row.1),
                key_id: row.2,
                spec: parse(&row.3)?,
                usage: parse(&row.4)?,
                origin: parse(&row.5)?,
                state: parse(&row.6)?,
                description: row.7,
                created_ms: row.8,
                deletion_ms: row.9,
                pending_window_days: row.10,
                multi_region: row.11,
                policy: row.12,
                current_version: row.13,
                created_by: row.14,
                extra: match row.15 {
                    Some(text) => {
                        let mut extra: KeyExtra = serde_json::from_str(&text)
                            .map_err(|e| err(format!("key extra: {e}")))?;
                        extra.upgrade();
                        extra
                    }
                    None => KeyExtra::default(),
                },
            });
        }

        let mut stmt = conn
            .prepare("SELECT account, region, key_id, version, sealed FROM key_materials")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(SealedMaterial {
                    scope: Scope::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    key_id: r.get(2)?,
                    version: r.get(3)?,
                    sealed: r.get(4)?,
                })
            })
            .map_err(err)?;
        for row in rows {
            snap.materials.push(row.map_err(err)?);
        }

        let mut stmt = conn
            .prepare(
                "SELECT account, region, name, target_key_id, created_ms, updated_ms FROM aliases",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(AliasRecord {
                    scope: Scope::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    name: r.get(2)?,
                    target_key_id: r.get(3)?,
                    created_ms: r.get(4)?,
                    updated_ms: r.get(5)?,
                })
            })
            .map_err(err)?;
        for row in rows {
            snap.aliases.push(row.map_err(err)?);
        }

        let mut stmt = conn
            .prepare("SELECT account, region, key_id, tag_key, tag_value FROM tags")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(TagRecord {
                    scope: Scope::new(r.get::<_, String>(0)?, r.get::<_, String>(1)?),
                    key_id: r.get(2)?,
                    tag_key: r.get(3)?,
                    tag_value: r.get(4)?,
                })
            })
            .map_err(err)?;
        for row in rows {
            snap.tags.push(row.map_err(err)?);
        }

        let mut stmt = conn
            .prepare("SELECT body FROM grants ORDER BY account, region, key_id, grant_id")
            .map_err(err)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(err)?;
        for row in rows {
            let body = row.map_err(err)?;
            snap.grants
                .push(serde_json::from_str(&body).map_err(|e| err(format!("grant record: {e}")))?);
        }

        let mut stmt = conn
            .prepare(
                "SELECT account, region, key_id, operation, at_ms, event_id, request_id
                 FROM key_last_usage",
            )
            .map_err(err)?;
        type UsageRow = (String, String, String, String, i64, String, String);
        let rows = stmt
            .query_map([], |r| -> rusqlite::Result<UsageRow> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .map_err(err)?;
        for row in rows {
            let (account, region, key_id, operation, at_ms, event_id, request_id) =
                row.map_err(err)?;
            snap.usage.push(UsageRecord {
                scope: Scope::new(account, region),
                key_id,
                usage: LastUsage {
                    operation: parse(&operation)?,
                    at_ms,
                    event_id,
                    request_id,
                },
            });
        }
        let start: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE name = ?1",
                params![USAGE_TRACKING_START],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        snap.usage_tracking_start_ms = start.as_deref().map(parse).transpose()?.unwrap_or(0);
        Ok(snap)
    }
}
