#pragma once
// A Beast body that sends `remain` bytes of an open file from its current position, 64 KiB at a
// time (Beast's own file_body always sends to the end of the file, so it cannot serve a byte
// range, nor a file that is still growing, at the length its Content-Length announced).
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/beast/core/file.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <utility>

namespace cs::http {

struct FileRangeBody {
  struct value_type {
    boost::beast::file file;  // open, positioned at the first byte to send
    uint64_t remain = 0;
  };

  static uint64_t size(const value_type& v) { return v.remain; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;

    template <bool isRequest, class Fields>
    writer(boost::beast::http::header<isRequest, Fields>&, value_type& body)
        : body_(body), remain_(body.remain) {}

    void init(boost::beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
      const size_t amount = remain_ < buf_.size() ? static_cast<size_t>(remain_) : buf_.size();
      if (amount == 0) {
        ec = {};
        return boost::none;
      }
      const size_t n = body_.file.read(buf_.data(), amount, ec);
      if (ec) return boost::none;
      // The file shrank under us: the announced length can no longer be met.
      if (n == 0) {
        ec = boost::beast::http::error::short_read;
        return boost::none;
      }
      remain_ -= n;
      return std::make_pair(const_buffers_type(buf_.data(), n), remain_ > 0);
    }

   private:
    value_type& body_;
    uint64_t remain_;
    std::array<char, 64 * 1024> buf_;
  };
};

}  // namespace cs::http
