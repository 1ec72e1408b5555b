#include "engine/jobs/nexmark/generator.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "engine/base/assert.h"
#include "engine/connectors/data_generator.h"
#include "engine/jobs/nexmark/json.h"
#include "engine/runtime/random.h"

namespace sluice::nexmark {
namespace {

// nexmark's proportions and id constants.
constexpr int64_t kPersonProportion = 1;
constexpr int64_t kAuctionProportion = 3;
constexpr int64_t kTotalProportion = 50;
constexpr int64_t kFirstPersonId = 1000;
constexpr int64_t kFirstAuctionId = 1000;
constexpr int64_t kFirstCategoryId = 10;
constexpr int64_t kNumCategories = 5;
constexpr int64_t kPersonIdLead = 10;
constexpr int64_t kAuctionIdLead = 10;
constexpr int64_t kHotSellerRatio = 100;   // block of people with one hot seller
constexpr int64_t kHotAuctionRatio = 100;  // block of auctions with one hot auction
constexpr int64_t kHotBidderRatio = 100;
constexpr int64_t kHotAuctionOdds = 2;  // 1 - 1/2 of bids go to the hot auction
constexpr int64_t kHotSellerOdds = 4;   // 1 - 1/4 of auctions come from the hot seller
constexpr int64_t kHotBidderOdds = 4;
constexpr int64_t kNumActivePeople = 1000;
constexpr int64_t kNumInFlightAuctions = 100;
constexpr int64_t kAvgPersonBytes = 200;
constexpr int64_t kAvgAuctionBytes = 500;
constexpr int64_t kAvgBidBytes = 100;
constexpr int64_t kRandomStringBytes = 1 << 20;
constexpr int kChannels = 10'000;

constexpr std::array<const char*, 11> kFirstNames = {"Peter", "Paul",  "Luke",   "John",
                                                     "Saul",  "Vicky", "Kate",   "Julie",
                                                     "Sarah", "Deiter", "Walter"};
constexpr std::array<const char*, 9> kLastNames = {"Shultz", "Abrams", "Spencer", "White", "Bartels",
                                                   "Walton", "Smith",  "Jones",   "Noris"};
constexpr std::array<const char*, 10> kCities = {"Phoenix", "Los Angeles", "San Francisco", "Boise",
                                                 "Portland", "Bend",      "Redmond",       "Seattle",
                                                 "Kent",     "Cheyenne"};
constexpr std::array<const char*, 6> kStates = {"AZ", "CA", "ID", "OR", "WA", "WY"};
constexpr std::array<const char*, 4> kHotChannels = {"Google", "Facebook", "Baidu", "Apple"};

int64_t LastBase0PersonId(int64_t e) {
  const int64_t epoch = e / kTotalProportion;
  int64_t offset = e % kTotalProportion;
  if (offset >= kPersonProportion) offset = kPersonProportion - 1;
  return epoch * kPersonProportion + offset;
}

int64_t LastBase0AuctionId(int64_t e) {
  int64_t epoch = e / kTotalProportion;
  int64_t offset = e % kTotalProportion;
  if (offset < kPersonProportion) {
    --epoch;
    offset = kAuctionProportion - 1;
  } else if (offset >= kPersonProportion + kAuctionProportion) {
    offset = kAuctionProportion - 1;
  } else {
    offset -= kPersonProportion;
  }
  return epoch * kAuctionProportion + offset;
}

int64_t Uniform(Random& rnd, int64_t bound) {
  return static_cast<int64_t>(rnd.Uniform(static_cast<uint64_t>(bound)));
}

int64_t NextBase0PersonId(int64_t e, Random& rnd) {
  const int64_t people = LastBase0PersonId(e) + 1;
  const int64_t active = std::min(people, kNumActivePeople);
  return people - active + Uniform(rnd, active + kPersonIdLead);
}

int64_t NextBase0AuctionId(int64_t e, Random& rnd) {
  const int64_t max = LastBase0AuctionId(e);
  const int64_t min = std::max<int64_t>(max - kNumInFlightAuctions, 0);
  return min + Uniform(rnd, max - min + 1 + kAuctionIdLead);
}

// 3 to max_length - 1 characters, a..z or `special` (1 in 13), spaces trimmed at the ends.
std::string NextString(Random& rnd, int max_length, char special = ' ') {
  const int64_t length = 3 + Uniform(rnd, max_length - 3);
  std::string s(static_cast<size_t>(length), ' ');
  for (char& c : s) c = Uniform(rnd, 13) == 0 ? special : static_cast<char>('a' + Uniform(rnd, 26));
  const size_t first = s.find_first_not_of(' ');
  if (first == std::string::npos) return std::string();
  return s.substr(first, s.find_last_not_of(' ') - first + 1);
}

// Log-uniform in [100, 100'000'000) cents.
int64_t NextPrice(Random& rnd) {
  return std::llround(std::pow(10.0, rnd.UniformDouble() * 6.0) * 100.0);
}

std::string NextUrl(Random& rnd) {
  return "https://www.nexmark.com/" + NextString(rnd, 5, '_') + "/" + NextString(rnd, 5, '_') +
         "/" + NextString(rnd, 5, '_') + "/item.htm?query=1";
}

}  // namespace

// What nexmark builds once per generator: a random string to cut padding from, and the
// channels' URLs.
struct NexmarkGenerator::Tables {
  std::string random_string;
  std::array<std::string, 4> hot_urls;
  std::vector<std::string> channel_urls;

  explicit Tables(uint64_t seed) {
    Random rnd(seed ^ 0x6e65786d61726bULL);  // "nexmark"
    random_string.resize(kRandomStringBytes);
    for (char& c : random_string) c = static_cast<char>('a' + Uniform(rnd, 26));
    for (std::string& url : hot_urls) url = NextUrl(rnd);
    channel_urls.reserve(kChannels);
    for (int k = 0; k < kChannels; ++k) {
      std::string url = NextUrl(rnd);
      if (Uniform(rnd, 10) > 0) {
        // nexmark appends abs(Integer.reverse(k)).
        uint32_t v = static_cast<uint32_t>(k);
        uint32_t reversed = 0;
        for (int bit = 0; bit < 32; ++bit) reversed |= ((v >> bit) & 1u) << (31 - bit);
        const int64_t id = static_cast<int32_t>(reversed);
        url += "&channel_id=" + std::to_string(id < 0 ? -id : id);
      }
      channel_urls.push_back(std::move(url));
    }
  }
  // Padding of about avg - current bytes (uniform in [0.8, 1.2) of it), nexmark's nextExtra.
  std::string NextExtra(Random& rnd, int64_t current, int64_t avg) const {
    if (current > avg) return std::string();
    const int64_t wanted = avg - current;
    const int64_t delta = std::llround(0.2 * static_cast<double>(wanted));
    const int64_t size = wanted - delta + (delta == 0 ? 0 : Uniform(rnd, 2 * delta));
    const int64_t offset = Uniform(rnd, kRandomStringBytes - size);
    return random_string.substr(static_cast<size_t>(offset), static_cast<size_t>(size));
  }
};

NexmarkGenerator::NexmarkGenerator(GeneratorConfig config)
    : config_(config), tables_(std::make_shared<const Tables>(config.seed)) {
  SLUICE_ASSERT(config_.first_event_rate > 0, "the event rate is validated by the job options");
}

int64_t NexmarkGenerator::TimestampFor(int64_t n) const {
  return config_.base_time_ms + n * 1000 / config_.first_event_rate;
}

Event NexmarkGenerator::Generate(int64_t n) const {
  // Each event draws from its own stream, so any event can be made alone (a split, a restore).
  Random rnd(config_.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(n));
  const Tables& t = *tables_;
  Event event;
  const int64_t rem = n % kTotalProportion;
  const int64_t time = TimestampFor(n);
  if (rem < kPersonProportion) {
    event.event_type = Event::kPerson;
    Person& p = event.person;
    p.id = LastBase0PersonId(n) + kFirstPersonId;
    p.name = std::string(kFirstNames[Uniform(rnd, kFirstNames.size())]) + " " +
             kLastNames[Uniform(rnd, kLastNames.size())];
    p.email_address = NextString(rnd, 7) + "@" + NextString(rnd, 5) + ".com";
    p.credit_card = fmt::format("{:04} {:04} {:04} {:04}", Uniform(rnd, 10'000),
                                Uniform(rnd, 10'000), Uniform(rnd, 10'000), Uniform(rnd, 10'000));
    p.city = kCities[Uniform(rnd, kCities.size())];
    p.state = kStates[Uniform(rnd, kStates.size())];
    p.date_time = time;
    p.extra = t.NextExtra(rnd,
                          8 + static_cast<int64_t>(p.name.size() + p.email_address.size() +
                                                   p.credit_card.size() + p.city.size() +
                                                   p.state.size()),
                          kAvgPersonBytes);
  } else if (rem < kPersonProportion + kAuctionProportion) {
    event.event_type = Event::kAuction;
    Auction& a = event.auction;
    a.id = LastBase0AuctionId(n) + kFirstAuctionId;
    a.seller = (Uniform(rnd, kHotSellerOdds) > 0
                    ? (LastBase0PersonId(n) / kHotSellerRatio) * kHotSellerRatio
                    : NextBase0PersonId(n, rnd)) +
               kFirstPersonId;
    a.category = kFirstCategoryId + Uniform(rnd, kNumCategories);
    a.initial_bid = NextPrice(rnd);
    const int64_t events_for_auctions =
        (kNumInFlightAuctions * kTotalProportion) / kAuctionProportion;
    const int64_t horizon_ms = TimestampFor(n + events_for_auctions) - time;
    a.date_time = time;
    a.expires = time + 1 + Uniform(rnd, std::max<int64_t>(2 * horizon_ms, 1));
    a.item_name = NextString(rnd, 20);
    a.description = NextString(rnd, 100);
    a.reserve = a.initial_bid + NextPrice(rnd);
    a.extra = t.NextExtra(
        rnd, 8 + static_cast<int64_t>(a.item_name.size() + a.description.size()) + 8 * 5,
        kAvgAuctionBytes);
  } else {
    event.event_type = Event::kBid;
    Bid& b = event.bid;
    b.auction = (Uniform(rnd, kHotAuctionOdds) > 0
                     ? (LastBase0AuctionId(n) / kHotAuctionRatio) * kHotAuctionRatio
                     : NextBase0AuctionId(n, rnd)) +
                kFirstAuctionId;
    b.bidder = (Uniform(rnd, kHotBidderOdds) > 0
                    ? (LastBase0PersonId(n) / kHotBidderRatio) * kHotBidderRatio + 1
                    : NextBase0PersonId(n, rnd)) +
               kFirstPersonId;
    b.price = NextPrice(rnd);
    if (Uniform(rnd, 2) > 0) {
      const int64_t i = Uniform(rnd, kHotChannels.size());
      b.channel = kHotChannels[i];
      b.url = t.hot_urls[i];
    } else {
      const int64_t k = Uniform(rnd, kChannels);
      b.channel = "channel-" + std::to_string(k);
      b.url = t.channel_urls[k];
    }
    b.date_time = time;
    b.extra = t.NextExtra(rnd, 32, kAvgBidBytes);
  }
  return event;
}

namespace {

const ConfigOption& EventsNum() {
  static const ConfigOption option{
      .key = "nexmark.events.num",
      .type = ConfigType::kLong,
      .default_value = "10000",
      .description = "events the generator makes when no --input is given (nexmark's events.num)",
      .min = 0,
      .max = int64_t{1} << 40};
  return option;
}
const ConfigOption& FirstEventRate() {
  static const ConfigOption option{
      .key = "nexmark.first-event.rate",
      .type = ConfigType::kLong,
      .default_value = "10000",
      .description = "generated events per second of event time (nexmark's first-event.rate); "
                     "sets how many events a 10 s window holds",
      .min = 1,
      .max = int64_t{1} << 40};
  return option;
}
const ConfigOption& Seed() {
  static const ConfigOption option{.key = "nexmark.seed",
                                   .type = ConfigType::kLong,
                                   .default_value = "0",
                                   .description = "seed of the generated events",
                                   .min = 0};
  return option;
}

}  // namespace

GeneratorConfig GeneratorConfigFrom(const Configuration& settings) {
  GeneratorConfig config;
  config.events_num = settings.GetInt(EventsNum());
  config.first_event_rate = settings.GetInt(FirstEventRate());
  config.seed = static_cast<uint64_t>(settings.GetInt(Seed()));
  return config;
}

const std::vector<ConfigOption>& GeneratorOptions() {
  static const std::vector<ConfigOption> options = {EventsNum(), FirstEventRate(), Seed()};
  return options;
}

Source<Event> NexmarkSource(GeneratorConfig config, int64_t records_per_second) {
  auto generator = std::make_shared<const NexmarkGenerator>(config);
  return DataGeneratorSource<Event>(
      config.events_num, [generator](int64_t n) { return generator->Generate(n); },
      records_per_second);
}

std::string GenerateEventsJson(const GeneratorConfig& config) {
  const NexmarkGenerator generator(config);
  std::string text;
  for (int64_t n = 0; n < config.events_num; ++n) {
    text += EventToJson(generator.Generate(n));
    text += '\n';
  }
  return text;
}

}  // namespace sluice::nexmark
