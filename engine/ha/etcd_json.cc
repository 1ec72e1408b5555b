#include "engine/ha/etcd_json.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdlib>

namespace sluice {

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

Result<std::string> Base64Decode(std::string_view text, const std::string& what) {
  if (text.size() % 4 != 0) {
    return InvalidArgumentError(what + ": base64 of " + std::to_string(text.size()) +
                                " characters (not a multiple of 4)");
  }
  std::string out(3 * (text.size() / 4), '\0');
  // EVP_DecodeBlock decodes whole groups and counts the padding as zero bytes: strip those.
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (written < 0) return InvalidArgumentError(what + ": not base64");
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '=' && padding < 2; --i) ++padding;
  out.resize(static_cast<size_t>(written) - padding);
  return out;
}

Result<int64_t> JsonInt64(const nlohmann::json& object, const char* name, int64_t fallback) {
  if (!object.is_object()) return InvalidArgumentError(std::string(name) + ": not in an object");
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(INT64_MAX)) {
      return InvalidArgumentError(std::string(name) + ": " + std::to_string(value) +
                                  " is out of range");
    }
    return static_cast<int64_t>(value);
  }
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(name) + ": want an integer, got " + it->type_name());
  }
  const std::string& text = it->get_ref<const std::string&>();
  const size_t digits_from = !text.empty() && text[0] == '-' ? 1 : 0;
  bool digits = text.size() > digits_from && text.size() <= 20;
  for (size_t i = digits_from; digits && i < text.size(); ++i) {
    digits = text[i] >= '0' && text[i] <= '9';
  }
  if (!digits) return InvalidArgumentError(std::string(name) + ": '" + text + "' is not an integer");
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0) {
    // Ids are uint64 in etcd's protos: a lease id above INT64_MAX would land here. The server
    // Sluice talks to chooses ids below 2^63 (etcd draws them as positive int64).
    return InvalidArgumentError(std::string(name) + ": '" + text + "' is out of range");
  }
  return static_cast<int64_t>(value);
}

Result<std::string> JsonBytes(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return InvalidArgumentError(std::string(name) + ": not in an object");
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return InvalidArgumentError(std::string(name) + ": want base64 text, got " + it->type_name());
  }
  return Base64Decode(it->get_ref<const std::string&>(), name);
}

Result<bool> JsonBool(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return InvalidArgumentError(std::string(name) + ": not in an object");
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return false;
  if (!it->is_boolean()) {
    return InvalidArgumentError(std::string(name) + ": want true or false, got " +
                                it->type_name());
  }
  return it->get<bool>();
}

std::string PrefixRangeEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

std::string PrefixRangeStart(std::string_view prefix) {
  return prefix.empty() ? std::string(1, '\0') : std::string(prefix);
}

}  // namespace sluice
