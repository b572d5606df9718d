#include "byoc/SessionStore.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/JsonLimits.h"

namespace cs {
namespace {

// 1: the first schema. 2: text_prompts (issue 9).
constexpr int kSchemaVersion = 2;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS sessions (
  id           TEXT PRIMARY KEY,
  capability   TEXT NOT NULL,
  status       TEXT NOT NULL,
  created_at   REAL NOT NULL,
  updated_at   REAL NOT NULL,
  ended_at     REAL,
  ended_reason TEXT NOT NULL DEFAULT '',
  error        TEXT NOT NULL DEFAULT '',
  stream_id    TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  prompts      TEXT NOT NULL,
  result       TEXT NOT NULL,
  text_prompts TEXT NOT NULL DEFAULT '[]'
);
)sql";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

// A file size limit (RLIMIT_FSIZE) turns a write past it into SIGXFSZ, whose default action ends
// the process; ignored, the write fails with EFBIG and SQLite reports an error the caller answers.
void ignoreFileSizeSignal() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction old {};
    if (::sigaction(SIGXFSZ, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
      ::signal(SIGXFSZ, SIG_IGN);
  });
}

std::string text(sqlite3_stmt* st, int col) {
  const auto* p = sqlite3_column_text(st, col);
  return p ? reinterpret_cast<const char*>(p) : std::string();
}

}  // namespace

std::filesystem::path SessionStore::databasePath(const std::filesystem::path& dir) {
  return dir / "sessions.db";
}

SessionStore::SessionStore(const std::filesystem::path& dir) : path_(databasePath(dir)) {
  ignoreFileSizeSignal();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec && !std::filesystem::is_directory(dir))
    throw StoreError("cannot create state directory " + dir.string() + ": " + ec.message());

  const auto lockPath = dir / "sessions.lock";
  lockFd_ = ::open(lockPath.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  // A read-only file system still lets an existing lock file be opened and flock()ed.
  if (lockFd_ < 0) lockFd_ = ::open(lockPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (lockFd_ < 0)
    throw StoreError("cannot open " + lockPath.string() + ": " + std::strerror(errno));
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(lockFd_);
    lockFd_ = -1;
    throw StoreError(err == EWOULDBLOCK
                         ? "state directory " + dir.string() +
                               " is in use by another comfystream process"
                         : "cannot lock " + lockPath.string() + ": " + std::strerror(err));
  }

  // READWRITE falls back to read-only by itself when the OS refuses to open the file for writing
  // (sqlite3_db_readonly() tells).
  const int rc =
      sqlite3_open_v2(path_.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    ::close(lockFd_);
    throw StoreError("cannot open " + path_.string() + ": " + msg);
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    writable_ = sqlite3_db_readonly(db_, "main") == 0;
    // EXCLUSIVE before the first access in WAL mode: SQLite then keeps the WAL index in heap
    // memory and never creates or mmaps `sessions.db-shm` ("WAL without shared memory",
    // https://sqlite.org/wal.html#noshm). A mapped -shm whose pages cannot be backed (full or
    // read-only file system, a file truncated under the mapping) raises SIGBUS on access, which
    // no error code can report. The flock above already keeps every other process out.
    exec("PRAGMA locking_mode=EXCLUSIVE");
    const int version = pragmaInt("user_version");  // the first read: takes the lock
    if (version == 0 && writable_) {
      // A new database. auto_vacuum must be chosen before the first table exists; INCREMENTAL
      // lets reclaim() give freed pages back to the file system.
      exec("PRAGMA auto_vacuum=INCREMENTAL");
    }
    // WAL: a commit appends to the log and is atomic; a crash before the commit record leaves
    // the database as it was. FULL: the log is synced at every commit (sessions change rarely).
    // Both are no-ops (no write) on an existing WAL database.
    if (writable_) exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    if (version == 0) {
      transaction([&] {
        exec(kSchema);
        exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
      });
    } else if (version > kSchemaVersion) {
      throw StoreError(path_.string() + ": schema version " + std::to_string(version) +
                       " is newer than this server's (" + std::to_string(kSchemaVersion) + ")");
    } else if (version == 1 && writable_) {
      transaction([&] {
        exec("ALTER TABLE sessions ADD COLUMN text_prompts TEXT NOT NULL DEFAULT '[]'");
        exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
      });
    }
    if (version != 0 && writable_ && pragmaInt("auto_vacuum") != 2) {
      // A store written before auto_vacuum was used: converting takes one VACUUM. Optional: on
      // a full disk it fails, and the store works as before.
      try {
        exec("PRAGMA auto_vacuum=INCREMENTAL");
        exec("VACUUM");
      } catch (const StoreError& e) {
        spdlog::warn("BYOC: {}: cannot switch to incremental auto-vacuum: {}", path_.string(),
                     e.what());
      }
    }
    // A read-only store of schema 1 still answers; its sessions have no text prompts.
    hasTextPrompts_ = version == 0 || version >= 2 || writable_;
    if (!writable_)
      spdlog::warn("BYOC: {} is read-only: stored sessions answer, new ones are refused",
                   path_.string());
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    ::close(lockFd_);
    throw;
  }
}

int SessionStore::pragmaInt(const char* name) {
  const std::string sql = std::string("PRAGMA ") + name;
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
  Stmt st(raw);
  const int rc = sqlite3_step(raw);
  if (rc == SQLITE_ROW) return sqlite3_column_int(raw, 0);
  if (rc == SQLITE_DONE) return 0;
  throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
}

bool SessionStore::reclaim() {
  std::lock_guard lock(mu_);
  if (depth_ > 0) return false;  // inside a transaction: the caller reclaims after it
  try {
    exec("PRAGMA incremental_vacuum");
    exec("PRAGMA wal_checkpoint(TRUNCATE)");
    return true;
  } catch (const StoreError& e) {
    spdlog::warn("BYOC: cannot reclaim space: {}", e.what());
    return false;
  }
}

SessionStore::~SessionStore() {
  if (db_) sqlite3_close(db_);
  if (lockFd_ >= 0) ::close(lockFd_);  // releases the flock
}

void SessionStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw StoreError(path_.string() + ": " + msg);
  }
}

void SessionStore::transaction(const std::function<void()>& fn) {
  std::lock_guard lock(mu_);
  if (depth_ > 0) {  // join the enclosing transaction
    fn();
    return;
  }
  // IMMEDIATE: take the write lock now, so the commit cannot fail on a reader upgrading.
  exec("BEGIN IMMEDIATE");
  ++depth_;
  try {
    fn();
    --depth_;
    exec("COMMIT");
  } catch (...) {
    depth_ = 0;
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);
    sqlite3_free(err);
    throw;
  }
}

void SessionStore::upsert(const ByocSession& s) {
  static constexpr const char* kSql =
      "INSERT OR REPLACE INTO sessions (id, capability, status, created_at, updated_at, ended_at, "
      "ended_reason, error, stream_id, width, height, prompts, result, text_prompts) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, kSql, -1, &raw, nullptr) != SQLITE_OK)
    throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
  Stmt st(raw);
  const std::string cap(capabilityName(s.capability));
  const std::string status(toString(s.status));
  const std::string prompts = safeDump(s.prompts);
  const std::string result = safeDump(s.result);
  const std::string textPrompts = safeDump(s.textPrompts);
  sqlite3_bind_text(raw, 1, s.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, cap.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 3, status.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_double(raw, 4, s.createdAt);
  sqlite3_bind_double(raw, 5, s.updatedAt);
  if (s.endedAt)
    sqlite3_bind_double(raw, 6, *s.endedAt);
  else
    sqlite3_bind_null(raw, 6);
  sqlite3_bind_text(raw, 7, s.endedReason.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 8, s.error.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 9, s.streamId.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(raw, 10, s.width);
  sqlite3_bind_int(raw, 11, s.height);
  sqlite3_bind_text(raw, 12, prompts.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 13, result.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 14, textPrompts.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_DONE)
    throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
}

void SessionStore::put(const ByocSession& s) {
  transaction([&] { upsert(s); });
}

bool SessionStore::remove(const std::string& id) {
  bool removed = false;
  transaction([&] {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db_, "DELETE FROM sessions WHERE id = ?1", -1, &raw, nullptr) !=
        SQLITE_OK)
      throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
    Stmt st(raw);
    sqlite3_bind_text(raw, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(raw) != SQLITE_DONE)
      throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
    removed = sqlite3_changes(db_) > 0;
  });
  if (removed) reclaim();
  return removed;
}

std::vector<ByocSession> SessionStore::loadAll() {
  std::lock_guard lock(mu_);
  const std::string sql =
      std::string(
          "SELECT id, capability, status, created_at, updated_at, ended_at, ended_reason, error, "
          "stream_id, width, height, prompts, result, ") +
      (hasTextPrompts_ ? "text_prompts" : "'[]'") + " FROM sessions ORDER BY created_at, id";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
  Stmt st(raw);
  std::vector<ByocSession> out;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    ByocSession s;
    s.id = text(raw, 0);
    const auto cap = parseCapability(text(raw, 1));
    const auto status = parseSessionStatus(text(raw, 2));
    if (!cap || !status) {
      spdlog::warn("BYOC: {}: skipping session {} (unknown capability or status)", path_.string(),
                   s.id);
      continue;
    }
    s.capability = *cap;
    s.status = *status;
    s.createdAt = sqlite3_column_double(raw, 3);
    s.updatedAt = sqlite3_column_double(raw, 4);
    if (sqlite3_column_type(raw, 5) != SQLITE_NULL) s.endedAt = sqlite3_column_double(raw, 5);
    s.endedReason = text(raw, 6);
    s.error = text(raw, 7);
    s.streamId = text(raw, 8);
    s.width = sqlite3_column_int(raw, 9);
    s.height = sqlite3_column_int(raw, 10);
    try {
      s.prompts = parseJsonBounded(text(raw, 11), kMaxJsonDepth, 64 << 20);
      s.result = parseJsonBounded(text(raw, 12), kMaxJsonDepth, 64 << 20);
      s.textPrompts = parseJsonBounded(text(raw, 13), kMaxJsonDepth, 64 << 20);
    } catch (const std::exception& e) {
      spdlog::warn("BYOC: {}: skipping session {} ({})", path_.string(), s.id, e.what());
      continue;
    }
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) throw StoreError(path_.string() + ": " + sqlite3_errmsg(db_));
  return out;
}

}  // namespace cs
