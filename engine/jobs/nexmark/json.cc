#include "engine/jobs/nexmark/json.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <utility>

namespace sluice::nexmark {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// Reads the fields of one object, remembering the first problem with the field's full name.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string prefix)
      : object_(object), prefix_(std::move(prefix)) {}
  void Int(const char* name, int64_t* out) {
    const Json* value = Find(name);
    if (value == nullptr) return;
    if (!value->is_number_integer()) return Fail(name, "expected an integer");
    *out = value->get<int64_t>();
  }
  void String(const char* name, std::string* out) {
    const Json* value = Find(name);
    if (value == nullptr) return;
    if (!value->is_string()) return Fail(name, "expected a string");
    *out = value->get<std::string>();
  }
  const Status& status() const { return status_; }

 private:
  const Json* Find(const char* name) {
    if (!status_.ok()) return nullptr;
    auto it = object_.find(name);
    if (it == object_.end()) {
      Fail(name, "missing");
      return nullptr;
    }
    return &*it;
  }
  void Fail(const char* name, const char* what) {
    if (status_.ok()) {
      status_ = InvalidArgumentError(fmt::format("field '{}.{}': {}", prefix_, name, what));
    }
  }
  const Json& object_;
  std::string prefix_;
  Status status_;
};

Status ReadPerson(const Json& j, Person* p) {
  FieldReader r(j, "person");
  r.Int("id", &p->id);
  r.String("name", &p->name);
  r.String("emailAddress", &p->email_address);
  r.String("creditCard", &p->credit_card);
  r.String("city", &p->city);
  r.String("state", &p->state);
  r.Int("dateTime", &p->date_time);
  r.String("extra", &p->extra);
  return r.status();
}

Status ReadAuction(const Json& j, Auction* a) {
  FieldReader r(j, "auction");
  r.Int("id", &a->id);
  r.String("itemName", &a->item_name);
  r.String("description", &a->description);
  r.Int("initialBid", &a->initial_bid);
  r.Int("reserve", &a->reserve);
  r.Int("dateTime", &a->date_time);
  r.Int("expires", &a->expires);
  r.Int("seller", &a->seller);
  r.Int("category", &a->category);
  r.String("extra", &a->extra);
  return r.status();
}

Status ReadBid(const Json& j, Bid* b) {
  FieldReader r(j, "bid");
  r.Int("auction", &b->auction);
  r.Int("bidder", &b->bidder);
  r.Int("price", &b->price);
  r.String("channel", &b->channel);
  r.String("url", &b->url);
  r.Int("dateTime", &b->date_time);
  r.String("extra", &b->extra);
  return r.status();
}

const char* MemberOf(int32_t type) {
  return type == Event::kPerson ? "person" : type == Event::kAuction ? "auction" : "bid";
}

}  // namespace

Result<Event> ParseEventJson(std::string_view line) {
  const Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("not valid JSON");
  if (!j.is_object()) return InvalidArgumentError("not a JSON object");
  auto type = j.find("event_type");
  if (type == j.end()) return InvalidArgumentError("field 'event_type': missing");
  if (!type->is_number_integer() || type->get<int64_t>() < 0 || type->get<int64_t>() > 2) {
    return InvalidArgumentError(
        "field 'event_type': expected 0 (person), 1 (auction) or 2 (bid)");
  }
  Event event;
  event.event_type = static_cast<int32_t>(type->get<int64_t>());
  const char* member = MemberOf(event.event_type);
  auto body = j.find(member);
  if (body == j.end() || !body->is_object()) {
    return InvalidArgumentError(fmt::format(
        "field '{}': missing or not an object (event_type is {})", member, event.event_type));
  }
  switch (event.event_type) {
    case Event::kPerson:
      RETURN_IF_ERROR(ReadPerson(*body, &event.person));
      break;
    case Event::kAuction:
      RETURN_IF_ERROR(ReadAuction(*body, &event.auction));
      break;
    default:
      RETURN_IF_ERROR(ReadBid(*body, &event.bid));
      break;
  }
  return event;
}

std::string EventToJson(const Event& event) {
  OrderedJson body;
  switch (event.event_type) {
    case Event::kPerson: {
      const Person& p = event.person;
      body = {{"id", p.id},       {"name", p.name},   {"emailAddress", p.email_address},
              {"creditCard", p.credit_card},          {"city", p.city},
              {"state", p.state}, {"dateTime", p.date_time}, {"extra", p.extra}};
      break;
    }
    case Event::kAuction: {
      const Auction& a = event.auction;
      body = {{"id", a.id},
              {"itemName", a.item_name},
              {"description", a.description},
              {"initialBid", a.initial_bid},
              {"reserve", a.reserve},
              {"dateTime", a.date_time},
              {"expires", a.expires},
              {"seller", a.seller},
              {"category", a.category},
              {"extra", a.extra}};
      break;
    }
    default: {
      const Bid& b = event.bid;
      body = {{"auction", b.auction}, {"bidder", b.bidder},      {"price", b.price},
              {"channel", b.channel}, {"url", b.url},            {"dateTime", b.date_time},
              {"extra", b.extra}};
      break;
    }
  }
  OrderedJson line;
  line["event_type"] = event.event_type;
  line[MemberOf(event.event_type)] = std::move(body);
  return line.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

Status ValidateEventsFile(std::string_view text, std::string_view file_name,
                          int64_t max_out_of_orderness_ms) {
  int64_t line_number = 0;
  int64_t latest = INT64_MIN;
  int64_t latest_line = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto event = ParseEventJson(line);
    if (!event.ok()) {
      return InvalidArgumentError(
          fmt::format("{}:{}: {}", file_name, line_number, event.status().message()));
    }
    const int64_t time = event->date_time();
    if (max_out_of_orderness_ms >= 0 && latest != INT64_MIN &&
        time < latest - max_out_of_orderness_ms) {
      return InvalidArgumentError(fmt::format(
          "{}:{}: field '{}.dateTime': {} is more than {} ms behind line {} ({}); the watermark "
          "(dateTime - {} ms) could make it late, and whether a late event is dropped depends on "
          "timing, so the query's result would not be deterministic",
          file_name, line_number, MemberOf(event->event_type), time, max_out_of_orderness_ms,
          latest_line, latest, max_out_of_orderness_ms));
    }
    if (time > latest) {
      latest = time;
      latest_line = line_number;
    }
  }
  return Status::Ok();
}

}  // namespace sluice::nexmark
