// The Nexmark event model (the nexmark project's Person, Auction and Bid, as its Flink SQL tables
// name their columns): an online auction's people, auctions and bids. Times are epoch
// milliseconds; prices are in cents, as the generator makes them. Records serialize through
// Tie() (engine/base/tie.h).
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace sluice::nexmark {

struct Person {
  int64_t id = 0;
  std::string name;
  std::string email_address;  // emailAddress
  std::string credit_card;    // creditCard
  std::string city;
  std::string state;
  int64_t date_time = 0;  // dateTime, ms
  std::string extra;
  auto Tie() { return std::tie(id, name, email_address, credit_card, city, state, date_time, extra); }
  auto Tie() const {
    return std::tie(id, name, email_address, credit_card, city, state, date_time, extra);
  }
  bool operator==(const Person&) const = default;
};

struct Auction {
  int64_t id = 0;
  std::string item_name;  // itemName
  std::string description;
  int64_t initial_bid = 0;  // initialBid
  int64_t reserve = 0;
  int64_t date_time = 0;  // dateTime, ms
  int64_t expires = 0;    // ms
  int64_t seller = 0;     // a Person id
  int64_t category = 0;
  std::string extra;
  auto Tie() {
    return std::tie(id, item_name, description, initial_bid, reserve, date_time, expires, seller,
                    category, extra);
  }
  auto Tie() const {
    return std::tie(id, item_name, description, initial_bid, reserve, date_time, expires, seller,
                    category, extra);
  }
  bool operator==(const Auction&) const = default;
};

struct Bid {
  int64_t auction = 0;  // an Auction id
  int64_t bidder = 0;   // a Person id
  int64_t price = 0;
  std::string channel;
  std::string url;
  int64_t date_time = 0;  // dateTime, ms
  std::string extra;
  auto Tie() { return std::tie(auction, bidder, price, channel, url, date_time, extra); }
  auto Tie() const { return std::tie(auction, bidder, price, channel, url, date_time, extra); }
  bool operator==(const Bid&) const = default;
};

// One event of the nexmark source table: event_type 0 = person, 1 = auction, 2 = bid; only the
// member of that type is meaningful.
struct Event {
  enum Type : int32_t { kPerson = 0, kAuction = 1, kBid = 2 };
  int32_t event_type = kBid;
  Person person;
  Auction auction;
  Bid bid;
  int64_t date_time() const {
    return event_type == kPerson ? person.date_time
                                 : event_type == kAuction ? auction.date_time : bid.date_time;
  }
  auto Tie() { return std::tie(event_type, person, auction, bid); }
  auto Tie() const { return std::tie(event_type, person, auction, bid); }
  bool operator==(const Event&) const = default;
};

}  // namespace sluice::nexmark
