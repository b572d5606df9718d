#pragma once
// Faults for the BYOC store tests, on real files with the real SQLite.
//
// Why a file size limit: the tests run as root in CI and in plain containers, where chmod does
// not stop writes (CAP_DAC_OVERRIDE), `chattr +i` needs CAP_LINUX_IMMUTABLE and a tiny tmpfs or
// a read-only bind mount need CAP_SYS_ADMIN — none of which a default container has. RLIMIT_FSIZE
// binds root too, needs no privilege and no mount: with the soft limit at 1 byte, every write
// past the first byte of any regular file fails with EFBIG, exactly where a full or read-only
// disk fails SQLite's writes (SQLite reports SQLITE_IOERR_WRITE / SQLITE_FULL; reads work). The
// limit only binds regular files, so test output on a pipe or terminal is unaffected. SIGXFSZ,
// whose default action would end the process, is ignored (SessionStore ignores it too).
#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

namespace cs::test {

class NoFileMayGrow {
 public:
  NoFileMayGrow() {
    ::signal(SIGXFSZ, SIG_IGN);
    if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0) throw std::runtime_error("getrlimit");
    rlimit lim = saved_;
    lim.rlim_cur = 1;
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) throw std::runtime_error("setrlimit");
  }
  ~NoFileMayGrow() { lift(); }
  void lift() {
    if (active_) ::setrlimit(RLIMIT_FSIZE, &saved_);
    active_ = false;
  }
  NoFileMayGrow(const NoFileMayGrow&) = delete;
  NoFileMayGrow& operator=(const NoFileMayGrow&) = delete;

 private:
  rlimit saved_{};
  bool active_ = true;
};

inline std::filesystem::path uniqueTempDir(const std::string& prefix) {
  return std::filesystem::temp_directory_path() /
         (prefix + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
}

// Bytes the store occupies on disk: the database, its WAL and (if any) its shared memory file.
inline uintmax_t storeBytes(const std::filesystem::path& db) {
  uintmax_t n = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(db.string() + suffix, ec);
    if (!ec) n += size;
  }
  return n;
}

}  // namespace cs::test
