#include "record/RecordingSettings.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "util/UniqueFd.h"

namespace cs {

std::string RecordingSettings::checkWritable() const {
  namespace fs = std::filesystem;
  if (dir.empty()) return "the recording directory is empty";
  const std::string where = "recording directory '" + dir.string() + "'";
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    return "the " + where + " is not a directory";
  fs::create_directories(dir, ec);
  if (ec) return "cannot create the " + where + ": " + ec.message();
  if (!fs::is_directory(dir, ec)) return "the " + where + " is not a directory";
  // Permissions alone do not tell (root, read-only mounts, ACLs): write a byte for real.
  std::string probe = (dir / ".comfystream-write-check-XXXXXX").string();
  UniqueFd fd(::mkstemp(probe.data()));
  if (!fd) return "cannot write in the " + where + ": " + std::strerror(errno);
  const bool written = ::write(fd.get(), "x", 1) == 1;
  const int writeErrno = errno;
  fd.reset();
  ::unlink(probe.c_str());
  if (!written) return "cannot write in the " + where + ": " + std::strerror(writeErrno);
  return "";
}

}  // namespace cs
