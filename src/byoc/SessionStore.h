#pragma once
// BYOC sessions on disk: one SQLite database in the state directory, WAL journal, every write a
// transaction (a crash mid-write leaves the previous record, never half of a new one).
//
// Under faults (docs/security/BYOC-STORE.md): every write that did not commit throws StoreError
// (the caller answers 5xx); a store that can be read but not written (full disk, read-only file
// system) still opens and loads; the connection holds the database in EXCLUSIVE locking mode, so
// the WAL index lives in heap memory and no `-shm` file is ever mapped (no SIGBUS); deleted rows
// give their pages back to the file system (auto_vacuum=INCREMENTAL + a TRUNCATE checkpoint).
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "byoc/ByocSession.h"

struct sqlite3;

namespace cs {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SessionStore {
 public:
  // Opens `dir`/sessions.db, creating the directory and the schema when missing, and takes an
  // exclusive lock (`dir`/sessions.lock) so two servers never share one store. Throws StoreError.
  explicit SessionStore(const std::filesystem::path& dir);
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  static std::filesystem::path databasePath(const std::filesystem::path& dir);
  const std::filesystem::path& path() const { return path_; }
  // False when SQLite opened the file read-only (the OS refused to open it for writing): reads
  // work, every write throws.
  bool writable() const { return writable_; }

  // Every stored session, oldest first. A row that cannot be read back is skipped (logged).
  std::vector<ByocSession> loadAll();
  // Inserts or replaces one session in its own transaction (or the enclosing one).
  void put(const ByocSession& s);
  // Removes one session; false when there was none. After the commit, gives the freed pages
  // back to the file system (reclaim()).
  bool remove(const std::string& id);
  // PRAGMA incremental_vacuum + wal_checkpoint(TRUNCATE): the database and its WAL shrink to
  // what the rows need. False (logged) when that could not be done; the data is unaffected.
  bool reclaim();
  // Runs fn in one transaction: what it writes commits together, or not at all if it throws.
  // Nested calls join the outer transaction.
  void transaction(const std::function<void()>& fn);

 private:
  void exec(const char* sql);
  int pragmaInt(const char* name);
  void upsert(const ByocSession& s);

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  int lockFd_ = -1;
  std::recursive_mutex mu_;
  int depth_ = 0;
  bool writable_ = true;
  bool hasTextPrompts_ = true;  // false: a read-only store of schema 1
};

}  // namespace cs
