// An in-memory Stream for the fuzz targets: Read hands out the fuzzer's bytes in chunks whose
// sizes the bytes themselves choose (so that decoders meet every split of their input), then
// end of stream; Write discards. Never suspends (no fibers needed).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "engine/runtime/network.h"

namespace sluice::fuzz {

class BytesStream final : public Stream {
 public:
  explicit BytesStream(std::string_view data) : data_(data) {}
  Status Write(std::string_view) override { return Status::Ok(); }
  Result<size_t> Read(std::string* out, size_t max_bytes) override {
    if (at_ >= data_.size()) return size_t{0};
    // The chunk size: 1 + the next byte mod 64 (the byte is data too).
    const size_t chunk = std::min({max_bytes, data_.size() - at_,
                                   size_t{1} + static_cast<unsigned char>(data_[at_]) % 64});
    out->append(data_.substr(at_, chunk));
    at_ += chunk;
    return chunk;
  }
  void Close() override { at_ = data_.size(); }
  std::string PeerName() const override { return "fuzzer"; }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace sluice::fuzz
