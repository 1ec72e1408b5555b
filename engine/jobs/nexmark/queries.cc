#include "engine/jobs/nexmark/queries.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/api/joins.h"
#include "engine/api/keyed_process_function.h"
#include "engine/api/windows.h"
#include "engine/connectors/discarding_sink.h"
#include "engine/connectors/file_sink.h"
#include "engine/state/keyed_state_store.h"

namespace sluice::nexmark {
namespace {

using Json = nlohmann::ordered_json;

void Append(const Json& row, std::string* line) {
  *line += row.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

// The events of one type, as that type, at the events' parallelism (chained to the source).
template <typename T>
DataStream<T> OfType(DataStream<Event> events, int32_t type, const char* name,
                     T Event::*member) {
  const int parallelism = events.Parallelism();
  return events
      .Filter(std::string("Filter") + name, [type](const Event& e) { return e.event_type == type; })
      .SetParallelism(parallelism)
      .Map(std::string("As") + name, [member](const Event& e) { return e.*member; })
      .SetParallelism(parallelism);
}
DataStream<Bid> Bids(DataStream<Event> events) {
  return OfType(std::move(events), Event::kBid, "Bid", &Event::bid);
}
DataStream<Auction> Auctions(DataStream<Event> events) {
  return OfType(std::move(events), Event::kAuction, "Auction", &Event::auction);
}
DataStream<Person> Persons(DataStream<Event> events) {
  return OfType(std::move(events), Event::kPerson, "Person", &Event::person);
}

// q3: the incremental join; each side's records wait in ListState for the other's.
class Q3Join final : public KeyedCoProcessFunction<int64_t, Auction, Person, Q3Row> {
 public:
  void Open(KeyedStateStore& state) override {
    auctions_ = &state.GetListState<int64_t>("auction-ids");
    persons_ = &state.GetListState<Q3Row>("persons");
  }
  void ProcessElement1(const Auction& a, Context&, Collector<Q3Row>& out) override {
    auctions_->add(a.id);
    for (const Q3Row& p : persons_->get()) Emit(p, a.id, out);
  }
  void ProcessElement2(const Person& p, Context&, Collector<Q3Row>& out) override {
    Q3Row person{p.name, p.city, p.state, 0};
    for (int64_t id : auctions_->get()) Emit(person, id, out);
    persons_->add(std::move(person));
  }

 private:
  static void Emit(const Q3Row& person, int64_t auction_id, Collector<Q3Row>& out) {
    Q3Row& row = out.Next();
    row = person;
    row.id = auction_id;
  }
  ListState<int64_t>* auctions_ = nullptr;
  ListState<Q3Row>* persons_ = nullptr;
};

// q5's first stage: bids per auction and window.
struct AuctionCount {
  int64_t auction = 0;
  int64_t window_start = 0;
  int64_t num = 0;
  auto Tie() { return std::tie(auction, window_start, num); }
  auto Tie() const { return std::tie(auction, window_start, num); }
};

class CountBids final : public AggregateFunction<Bid, int64_t, int64_t> {
 public:
  int64_t CreateAccumulator() const override { return 0; }
  int64_t Add(const Bid&, int64_t acc) const override { return acc + 1; }
  int64_t GetResult(const int64_t& acc) const override { return acc; }
  int64_t Merge(int64_t a, const int64_t& b) const override { return a + b; }
};

constexpr int64_t kQ5SizeMs = 10'000;
constexpr int64_t kQ5SlideMs = 2'000;
constexpr int64_t kTumbleMs = 10'000;  // q7 and q8

// q5's second stage, keyed by window start: the auctions with the window's maximum count, when
// the watermark passes the window (all counts of a window carry its max timestamp and arrive
// before the watermark that passes it).
class TopAuctions final : public KeyedProcessFunction<int64_t, AuctionCount, Q5Row> {
 public:
  void Open(KeyedStateStore& state) override {
    max_ = &state.GetValueState<int64_t>("max");
    top_ = &state.GetListState<Q5Row>("top");
  }
  void ProcessElement(const AuctionCount& c, Context& ctx, Collector<Q5Row>&) override {
    if (c.num > max_->value()) {
      max_->update(c.num);
      top_->clear();
    }
    if (c.num == max_->value()) top_->add(Q5Row{c.auction, c.num});
    ctx.timer_service().RegisterEventTimeTimer(c.window_start + kQ5SizeMs - 1);
  }
  void OnTimer(int64_t, Context&, Collector<Q5Row>& out) override {
    for (const Q5Row& row : top_->get()) out.Emit(row);
    max_->clear();
    top_->clear();
  }

 private:
  ValueState<int64_t>* max_ = nullptr;
  ListState<Q5Row>* top_ = nullptr;
};

// q7: a bid of window [s, s + 10 s) sets that window's maximum; it is a join candidate of that
// window, and of the previous one too when it lies exactly on the boundary (dateTime = s, which
// is the previous window's end: BETWEEN is inclusive).
struct Q7Candidate {
  int64_t window_start = 0;
  bool member = false;  // in the window (counts for its maximum), not just on its end
  Bid bid;
  auto Tie() { return std::tie(window_start, member, bid); }
  auto Tie() const { return std::tie(window_start, member, bid); }
};

class MaxPriceBids final : public KeyedProcessFunction<int64_t, Q7Candidate, Bid> {
 public:
  void Open(KeyedStateStore& state) override {
    max_ = &state.GetValueState<std::optional<int64_t>>("max");
    top_ = &state.GetListState<Bid>("top");
    boundary_ = &state.GetListState<Bid>("boundary");
  }
  void ProcessElement(const Q7Candidate& c, Context& ctx, Collector<Bid>&) override {
    if (!c.member) {
      boundary_->add(c.bid);
    } else {
      const std::optional<int64_t>& max = max_->value();
      if (!max.has_value() || c.bid.price > *max) {
        max_->update(c.bid.price);
        top_->clear();
      }
      if (c.bid.price == *max_->value()) top_->add(c.bid);
    }
    // Fires once the watermark passes the window's end itself: bids exactly at the end join it.
    ctx.timer_service().RegisterEventTimeTimer(c.window_start + kTumbleMs);
  }
  void OnTimer(int64_t, Context&, Collector<Bid>& out) override {
    if (const std::optional<int64_t>& max = max_->value(); max.has_value()) {
      for (const Bid& bid : top_->get()) out.Emit(bid);
      for (const Bid& bid : boundary_->get()) {
        if (bid.price == *max) out.Emit(bid);
      }
    }
    max_->clear();
    top_->clear();
    boundary_->clear();
  }

 private:
  ValueState<std::optional<int64_t>>* max_ = nullptr;
  ListState<Bid>* top_ = nullptr;
  ListState<Bid>* boundary_ = nullptr;
};

// q8, keyed by person id = seller: the distinct (id, name) of each window's new people, joined
// with the windows in which that id created an auction.
class Q8Join final : public KeyedCoProcessFunction<int64_t, Person, Auction, Q8Row> {
 public:
  void Open(KeyedStateStore& state) override {
    names_ = &state.GetMapState<std::pair<int64_t, std::string>, bool>("names");
    sold_ = &state.GetMapState<int64_t, bool>("sold");
  }
  void ProcessElement1(const Person& p, Context& ctx, Collector<Q8Row>&) override {
    const int64_t start = WindowStart(p.date_time, 0, kTumbleMs);
    names_->put({start, p.name}, true);
    ctx.timer_service().RegisterEventTimeTimer(start + kTumbleMs - 1);
  }
  void ProcessElement2(const Auction& a, Context& ctx, Collector<Q8Row>&) override {
    const int64_t start = WindowStart(a.date_time, 0, kTumbleMs);
    sold_->put(start, true);
    ctx.timer_service().RegisterEventTimeTimer(start + kTumbleMs - 1);
  }
  void OnTimer(int64_t timestamp, Context& ctx, Collector<Q8Row>& out) override {
    const int64_t start = timestamp - (kTumbleMs - 1);
    std::vector<std::pair<int64_t, std::string>> done;
    for (auto it = names_->entries().lower_bound({start, std::string()});
         it != names_->entries().end() && it->first.first == start; ++it) {
      if (sold_->contains(start)) out.Emit(Q8Row{ctx.current_key(), it->first.second, start});
      done.push_back(it->first);
    }
    for (const auto& key : done) names_->remove(key);
    sold_->remove(start);
  }

 private:
  MapState<std::pair<int64_t, std::string>, bool>* names_ = nullptr;
  MapState<int64_t, bool>* sold_ = nullptr;
};

}  // namespace

void FormatRow(const Bid& b, std::string* line) {
  Append(Json{{"auction", b.auction},
              {"bidder", b.bidder},
              {"price", b.price},
              {"dateTime", b.date_time},
              {"extra", b.extra}},
         line);
}
void FormatRow(const Q1Row& r, std::string* line) {
  // 0.908 * price: Flink SQL's DECIMAL result, here as the JSON number it prints.
  Json row{{"auction", r.auction},
           {"bidder", r.bidder},
           {"price", static_cast<double>(r.price_thousandths) / 1000.0},
           {"dateTime", r.date_time},
           {"extra", r.extra}};
  Append(row, line);
}
void FormatRow(const Q2Row& r, std::string* line) {
  Append(Json{{"auction", r.auction}, {"price", r.price}}, line);
}
void FormatRow(const Q3Row& r, std::string* line) {
  Append(Json{{"name", r.name}, {"city", r.city}, {"state", r.state}, {"id", r.id}}, line);
}
void FormatRow(const Q5Row& r, std::string* line) {
  Append(Json{{"auction", r.auction}, {"num", r.num}}, line);
}
void FormatRow(const Q8Row& r, std::string* line) {
  Append(Json{{"id", r.id}, {"name", r.name}, {"stime", r.stime}}, line);
}

DataStream<Event> WithNexmarkWatermarks(DataStream<Event> events) {
  return events.AssignTimestampsAndWatermarks(WatermarkStrategy<Event>::ForBoundedOutOfOrderness(
      kWatermarkDelayMs, [](const Event& e) { return e.date_time(); }));
}

DataStream<Bid> Query0(DataStream<Event> events) {
  const int parallelism = events.Parallelism();
  return Bids(std::move(events))
      .Map("Q0", [](const Bid& b) { return b; })
      .SetParallelism(parallelism);
}

DataStream<Q1Row> Query1(DataStream<Event> events) {
  const int parallelism = events.Parallelism();
  return Bids(std::move(events))
      .Map("Q1",
           [](const Bid& b) {
             return Q1Row{b.auction, b.bidder, b.price * 908, b.date_time, b.extra};
           })
      .SetParallelism(parallelism);
}

DataStream<Q2Row> Query2(DataStream<Event> events) {
  const int parallelism = events.Parallelism();
  return Bids(std::move(events))
      .Filter("Q2Filter", [](const Bid& b) { return b.auction % 123 == 0; })
      .SetParallelism(parallelism)
      .Map("Q2", [](const Bid& b) { return Q2Row{b.auction, b.price}; })
      .SetParallelism(parallelism);
}

DataStream<Q3Row> Query3(DataStream<Event> events) {
  const int parallelism = events.Parallelism();
  auto auctions = Auctions(events)
                      .Filter("Category10", [](const Auction& a) { return a.category == 10; })
                      .SetParallelism(parallelism);
  auto persons = Persons(events)
                     .Filter("StateORIDCA",
                             [](const Person& p) {
                               return p.state == "OR" || p.state == "ID" || p.state == "CA";
                             })
                     .SetParallelism(parallelism);
  return auctions.Connect(persons)
      .KeyBy([](const Auction& a) { return a.seller; }, [](const Person& p) { return p.id; })
      .Process<Q3Row>("Q3Join", KeyedCoProcessFunctionFactory<int64_t, Auction, Person, Q3Row>(
                                    [] { return std::make_unique<Q3Join>(); }));
}

DataStream<Q5Row> Query5(DataStream<Event> events) {
  auto counts =
      Bids(std::move(events))
          .KeyBy([](const Bid& b) { return b.auction; })
          .Window(SlidingEventTimeWindows::Of(kQ5SizeMs, kQ5SlideMs))
          .Aggregate<int64_t, int64_t, AuctionCount>(
              "CountBids", std::make_shared<const CountBids>(),
              [](const int64_t& auction, const TimeWindow& window, const int64_t& num,
                 Collector<AuctionCount>& out) {
                out.Emit(AuctionCount{auction, window.start, num});
              });
  return counts.KeyBy([](const AuctionCount& c) { return c.window_start; })
      .Process<Q5Row>("TopAuctions", KeyedProcessFunctionFactory<int64_t, AuctionCount, Q5Row>(
                                         [] { return std::make_unique<TopAuctions>(); }));
}

DataStream<Bid> Query7(DataStream<Event> events) {
  const int parallelism = events.Parallelism();
  auto candidates =
      Bids(std::move(events))
          .FlatMap<Q7Candidate>(
              "Q7Windows",
              [](const Bid& b, Collector<Q7Candidate>& out) {
                const int64_t start = WindowStart(b.date_time, 0, kTumbleMs);
                out.Emit(Q7Candidate{start, true, b});
                if (b.date_time == start) out.Emit(Q7Candidate{start - kTumbleMs, false, b});
              })
          .SetParallelism(parallelism);
  return candidates.KeyBy([](const Q7Candidate& c) { return c.window_start; })
      .Process<Bid>("MaxPriceBids", KeyedProcessFunctionFactory<int64_t, Q7Candidate, Bid>(
                                        [] { return std::make_unique<MaxPriceBids>(); }));
}

DataStream<Q8Row> Query8(DataStream<Event> events) {
  auto persons = Persons(events);
  auto auctions = Auctions(events);
  return persons.Connect(auctions)
      .KeyBy([](const Person& p) { return p.id; }, [](const Auction& a) { return a.seller; })
      .Process<Q8Row>("Q8Join", KeyedCoProcessFunctionFactory<int64_t, Person, Auction, Q8Row>(
                                    [] { return std::make_unique<Q8Join>(); }));
}

namespace {

template <typename T>
Sink<T> SinkFor(const std::string& output_dir) {
  if (output_dir.empty()) return DiscardingSink<T>();
  return MakeFileSink<T>(FileSinkSpec{output_dir},
                         [](const T& row, std::string* line) { FormatRow(row, line); });
}

}  // namespace

Status AddQueryWithSink(int query, DataStream<Event> events, const std::string& output_dir) {
  switch (query) {
    case 0:
      Query0(std::move(events)).AddSink("Sink", SinkFor<Bid>(output_dir));
      return Status::Ok();
    case 1:
      Query1(std::move(events)).AddSink("Sink", SinkFor<Q1Row>(output_dir));
      return Status::Ok();
    case 2:
      Query2(std::move(events)).AddSink("Sink", SinkFor<Q2Row>(output_dir));
      return Status::Ok();
    case 3:
      Query3(std::move(events)).AddSink("Sink", SinkFor<Q3Row>(output_dir));
      return Status::Ok();
    case 5:
      Query5(std::move(events)).AddSink("Sink", SinkFor<Q5Row>(output_dir));
      return Status::Ok();
    case 7:
      Query7(std::move(events)).AddSink("Sink", SinkFor<Bid>(output_dir));
      return Status::Ok();
    case 8:
      Query8(std::move(events)).AddSink("Sink", SinkFor<Q8Row>(output_dir));
      return Status::Ok();
    default:
      return InvalidArgumentError(fmt::format("nexmark: no query q{}", query));
  }
}

}  // namespace sluice::nexmark
