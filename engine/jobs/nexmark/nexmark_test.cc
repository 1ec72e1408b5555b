// The Nexmark event model: JSON lines in and out, the pre-run validation's errors, and the
// generator's determinism, proportions, id ranges, hot ratios and field shapes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "engine/jobs/nexmark/generator.h"
#include "engine/jobs/nexmark/json.h"

namespace sluice::nexmark {
namespace {
namespace nexmark_test {

constexpr const char* kBid =
    R"({"event_type":2,"bid":{"auction":1001,"bidder":2001,"price":650,"channel":"Google",)"
    R"("url":"https://x","dateTime":1436918400000,"extra":""}})";

TEST(NexmarkJsonTest, ParsesEveryEventTypeAndRoundTrips) {
  auto bid = ParseEventJson(kBid);
  ASSERT_TRUE(bid.ok()) << bid.status().ToString();
  EXPECT_EQ(bid->event_type, Event::kBid);
  EXPECT_EQ(bid->bid.auction, 1001);
  EXPECT_EQ(bid->bid.price, 650);
  EXPECT_EQ(bid->date_time(), 1436918400000);
  // Flink's JSON format writes the other types as null.
  auto with_nulls = ParseEventJson(
      R"({"event_type":0,"person":{"id":1000,"name":"Kate Smith","emailAddress":"a@b.com",)"
      R"("creditCard":"1 2 3 4","city":"Bend","state":"OR","dateTime":5,"extra":"x"},)"
      R"("auction":null,"bid":null})");
  ASSERT_TRUE(with_nulls.ok()) << with_nulls.status().ToString();
  EXPECT_EQ(with_nulls->person.state, "OR");
  const NexmarkGenerator generator(GeneratorConfig{});
  for (int64_t n = 0; n < 200; ++n) {
    const Event event = generator.Generate(n);
    auto again = ParseEventJson(EventToJson(event));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, event) << EventToJson(event);
  }
}

TEST(NexmarkJsonTest, ErrorsNameTheField) {
  auto expect_error = [](const std::string& line, const std::string& needle) {
    auto event = ParseEventJson(line);
    ASSERT_FALSE(event.ok()) << line;
    EXPECT_NE(event.status().message().find(needle), std::string::npos)
        << event.status().message();
  };
  expect_error("{\"event_type\":2", "not valid JSON");
  expect_error("[1,2]", "not a JSON object");
  expect_error(R"({"bid":{}})", "field 'event_type'");
  expect_error(R"({"event_type":7})", "field 'event_type'");
  expect_error(R"({"event_type":1,"bid":{}})", "field 'auction'");
  std::string bad_price = kBid;
  bad_price.replace(bad_price.find("650"), 3, "\"650\"");
  expect_error(bad_price, "field 'bid.price': expected an integer");
  std::string fractional_time = kBid;
  fractional_time.replace(fractional_time.find("1436918400000"), 13, "1.5");
  expect_error(fractional_time, "field 'bid.dateTime': expected an integer");
  std::string no_extra = kBid;
  no_extra.replace(no_extra.find(",\"extra\":\"\""), 11, "");
  expect_error(no_extra, "field 'bid.extra': missing");
}

TEST(NexmarkJsonTest, ValidationNamesFileLineAndField) {
  const std::string good = std::string(kBid) + "\n";
  EXPECT_TRUE(ValidateEventsFile(good + "\n" + good, "events.json", 4000).ok());
  std::string bad = good + "\n" + good;
  bad += R"({"event_type":2,"bid":{"auction":1}})" "\n";
  const Status status = ValidateEventsFile(bad, "events.json", 4000);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("events.json:4: field 'bid.bidder': missing"), std::string::npos)
      << status.message();
}

TEST(NexmarkJsonTest, EventsFurtherOutOfOrderThanTheWatermarkDelayAreRefusedForEventTime) {
  auto bid_at = [](int64_t t) {
    std::string line = kBid;
    line.replace(line.find("1436918400000"), 13, std::to_string(t));
    return line + "\n";
  };
  const std::string text = bid_at(10'000) + bid_at(20'000) + bid_at(16'000) + bid_at(15'999);
  EXPECT_TRUE(ValidateEventsFile(text, "e.json", -1).ok()) << "order does not matter to q0..q3";
  const Status status = ValidateEventsFile(text, "e.json", 4000);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("e.json:4: field 'bid.dateTime': 15999 is more than 4000 ms "
                                  "behind line 2 (20000)"),
            std::string::npos)
      << status.message();
}

TEST(NexmarkGeneratorTest, IsAPureFunctionOfTheEventNumberAndSeed) {
  const NexmarkGenerator a(GeneratorConfig{});
  const NexmarkGenerator b(GeneratorConfig{});
  GeneratorConfig other_seed;
  other_seed.seed = 7;
  const NexmarkGenerator c(other_seed);
  int differ = 0;
  for (int64_t n = 0; n < 500; ++n) {
    EXPECT_EQ(a.Generate(n), b.Generate(n)) << n;
    differ += a.Generate(n) == c.Generate(n) ? 0 : 1;
  }
  EXPECT_GT(differ, 400);
  EXPECT_EQ(a.Generate(321), a.Generate(321)) << "any event can be made alone, in any order";
}

TEST(NexmarkGeneratorTest, FollowsNexmarksEventModel) {
  GeneratorConfig config;
  config.first_event_rate = 10'000;
  const NexmarkGenerator generator(config);
  constexpr int64_t kEvents = 100'000;
  std::map<int32_t, int64_t> types;
  int64_t last_person = 999, last_auction = 999, hot_bids = 0, hot_bidders = 0, hot_sellers = 0;
  std::set<std::string> states, channels;
  for (int64_t n = 0; n < kEvents; ++n) {
    const Event e = generator.Generate(n);
    ++types[e.event_type];
    EXPECT_EQ(e.date_time(), config.base_time_ms + n / 10) << "10 events per ms at 10000/s";
    switch (e.event_type) {
      case Event::kPerson:
        EXPECT_EQ(e.person.id, last_person + 1) << "person ids are dense";
        last_person = e.person.id;
        states.insert(e.person.state);
        EXPECT_EQ(e.person.credit_card.size(), 19u);
        EXPECT_NE(e.person.email_address.find('@'), std::string::npos);
        break;
      case Event::kAuction:
        EXPECT_EQ(e.auction.id, last_auction + 1) << "auction ids are dense";
        last_auction = e.auction.id;
        EXPECT_GE(e.auction.category, 10);
        EXPECT_LE(e.auction.category, 14);
        EXPECT_LE(e.auction.seller, last_person + 10) << "sellers exist or are about to";
        EXPECT_GE(e.auction.reserve, e.auction.initial_bid);
        EXPECT_GT(e.auction.expires, e.auction.date_time);
        hot_sellers += (e.auction.seller - 1000) % 100 == 0 ? 1 : 0;
        break;
      default:
        EXPECT_LE(e.bid.auction, last_auction + 10);
        EXPECT_GE(e.bid.price, 100);
        EXPECT_LT(e.bid.price, 100'000'000);
        EXPECT_GE(e.bid.extra.size(), 54u);
        EXPECT_LE(e.bid.extra.size(), 81u);
        hot_bids += (e.bid.auction - 1000) % 100 == 0 ? 1 : 0;
        hot_bidders += (e.bid.bidder - 1000) % 100 == 1 ? 1 : 0;
        channels.insert(e.bid.channel);
        break;
    }
  }
  EXPECT_EQ(types[Event::kPerson], kEvents / 50);
  EXPECT_EQ(types[Event::kAuction], kEvents * 3 / 50);
  EXPECT_EQ(types[Event::kBid], kEvents * 46 / 50);
  EXPECT_EQ(states, (std::set<std::string>{"AZ", "CA", "ID", "OR", "WA", "WY"}));
  const double bids = static_cast<double>(types[Event::kBid]);
  EXPECT_NEAR(hot_bids / bids, 0.5, 0.05) << "hot auction ratio 2";
  EXPECT_NEAR(hot_bidders / bids, 0.75, 0.05) << "hot bidder ratio 4";
  EXPECT_NEAR(hot_sellers / static_cast<double>(types[Event::kAuction]), 0.75, 0.05);
  EXPECT_GT(channels.size(), 1000u);
  EXPECT_TRUE(channels.count("Google") > 0 && channels.count("Apple") > 0);
}

}  // namespace nexmark_test
}  // namespace
}  // namespace sluice::nexmark
