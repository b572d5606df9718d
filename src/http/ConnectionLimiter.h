#pragma once
// Open connections, in total and per client address. A slot is held for a connection's life
// (RAII), so every path that closes a socket gives its slot back.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cs::http {

class ConnectionLimiter {
 public:
  ConnectionLimiter(unsigned maxTotal, unsigned maxPerAddress);

  class Slot {
   public:
    Slot(ConnectionLimiter* owner, std::string address)
        : owner_(owner), address_(std::move(address)) {}
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionLimiter* owner_;
    std::string address_;
  };

  enum class Refusal { None, Total, Address };
  // A slot, or null with `why` saying which limit was reached.
  std::unique_ptr<Slot> acquire(const std::string& address, Refusal& why);
  unsigned open() const;

 private:
  void release(const std::string& address);

  const unsigned maxTotal_, maxPerAddress_;
  mutable std::mutex mu_;
  unsigned total_ = 0;
  std::unordered_map<std::string, unsigned> perAddress_;
};

}  // namespace cs::http
