#include "http/ConnectionLimiter.h"

namespace cs::http {

ConnectionLimiter::ConnectionLimiter(unsigned maxTotal, unsigned maxPerAddress)
    : maxTotal_(maxTotal), maxPerAddress_(maxPerAddress) {}

ConnectionLimiter::Slot::~Slot() {
  owner_->release(address_);
}

std::unique_ptr<ConnectionLimiter::Slot> ConnectionLimiter::acquire(const std::string& address,
                                                                    Refusal& why) {
  std::lock_guard lock(mu_);
  if (maxTotal_ && total_ >= maxTotal_) {
    why = Refusal::Total;
    return nullptr;
  }
  unsigned& n = perAddress_[address];
  if (maxPerAddress_ && n >= maxPerAddress_) {
    why = Refusal::Address;
    return nullptr;
  }
  ++n;
  ++total_;
  why = Refusal::None;
  return std::make_unique<Slot>(this, address);
}

unsigned ConnectionLimiter::open() const {
  std::lock_guard lock(mu_);
  return total_;
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mu_);
  --total_;
  auto it = perAddress_.find(address);
  if (it != perAddress_.end() && --it->second == 0) perAddress_.erase(it);
}

}  // namespace cs::http
