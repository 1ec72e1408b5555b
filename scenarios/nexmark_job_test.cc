// The Nexmark jobs against the queries' SQL semantics computed here in plain loops over the
// events (batch semantics, no engine code but the row format), on generated events and on
// hand-made ones that hit the edges (q7's inclusive window end, q5's ties, q8's duplicates); and
// through crash scenarios judged by the reference evaluator, so a run commits exactly the SQL
// result.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/api/job_registry.h"
#include "engine/jobs/builtin_jobs.h"
#include "engine/jobs/nexmark/generator.h"
#include "engine/jobs/nexmark/json.h"
#include "engine/jobs/nexmark/queries.h"
#include "scenarios/job_scenarios_test_util.h"
#include "scenarios/reference_evaluator.h"
#include "scenarios/wordcount_cluster.h"

namespace sluice::scenarios {
namespace {
namespace nexmark_job_test {

using nexmark::Auction;
using nexmark::Bid;
using nexmark::Event;
using nexmark::Person;
using Rows = std::map<std::string, int64_t>;

template <typename Row>
void Add(Rows& rows, const Row& row) {
  std::string line;
  nexmark::FormatRow(row, &line);
  ++rows[line];
}

int64_t Floor(int64_t t, int64_t size) { return t - ((t % size) + size) % size; }

// The SQL of each query, directly.
Rows Expected(int query, const std::vector<Event>& events) {
  std::vector<Bid> bids;
  std::vector<Auction> auctions;
  std::vector<Person> persons;
  for (const Event& e : events) {
    if (e.event_type == Event::kBid) bids.push_back(e.bid);
    if (e.event_type == Event::kAuction) auctions.push_back(e.auction);
    if (e.event_type == Event::kPerson) persons.push_back(e.person);
  }
  Rows rows;
  switch (query) {
    case 0:
      for (const Bid& b : bids) Add(rows, b);
      break;
    case 1:
      for (const Bid& b : bids) {
        Add(rows, nexmark::Q1Row{b.auction, b.bidder, b.price * 908, b.date_time, b.extra});
      }
      break;
    case 2:
      for (const Bid& b : bids) {
        if (b.auction % 123 == 0) Add(rows, nexmark::Q2Row{b.auction, b.price});
      }
      break;
    case 3:
      for (const Auction& a : auctions) {
        if (a.category != 10) continue;
        for (const Person& p : persons) {
          if (p.id == a.seller && (p.state == "OR" || p.state == "ID" || p.state == "CA")) {
            Add(rows, nexmark::Q3Row{p.name, p.city, p.state, a.id});
          }
        }
      }
      break;
    case 5: {
      // HOP(slide 2 s, size 10 s): count per (window start, auction); keep counts >= the max.
      std::map<int64_t, std::map<int64_t, int64_t>> counts;
      for (const Bid& b : bids) {
        for (int64_t start = Floor(b.date_time, 2000); start > b.date_time - 10'000; start -= 2000) {
          ++counts[start][b.auction];
        }
      }
      for (const auto& [start, per_auction] : counts) {
        int64_t max = 0;
        for (const auto& [auction, n] : per_auction) max = std::max(max, n);
        for (const auto& [auction, n] : per_auction) {
          if (n >= max) Add(rows, nexmark::Q5Row{auction, n});
        }
      }
      break;
    }
    case 7: {
      // TUMBLE(10 s) max price per window, joined to bids with dateTime in [end - 10 s, end].
      std::map<int64_t, int64_t> max_by_end;
      for (const Bid& b : bids) {
        const int64_t end = Floor(b.date_time, 10'000) + 10'000;
        auto [it, fresh] = max_by_end.try_emplace(end, b.price);
        if (!fresh) it->second = std::max(it->second, b.price);
      }
      for (const Bid& b : bids) {
        for (const auto& [end, max] : max_by_end) {
          if (b.price == max && b.date_time >= end - 10'000 && b.date_time <= end) Add(rows, b);
        }
      }
      break;
    }
    case 8: {
      std::set<std::tuple<int64_t, std::string, int64_t>> people;  // id, name, window start
      std::set<std::pair<int64_t, int64_t>> sellers;               // seller, window start
      for (const Person& p : persons) people.insert({p.id, p.name, Floor(p.date_time, 10'000)});
      for (const Auction& a : auctions) sellers.insert({a.seller, Floor(a.date_time, 10'000)});
      for (const auto& [id, name, start] : people) {
        if (sellers.count({id, start}) > 0) Add(rows, nexmark::Q8Row{id, name, start});
      }
      break;
    }
    default:
      ADD_FAILURE() << "no query q" << query;
  }
  return rows;
}

std::string ToJson(const std::vector<Event>& events) {
  std::string text;
  for (const Event& e : events) text += nexmark::EventToJson(e) + "\n";
  return text;
}

std::vector<Event> Generated(int64_t count, int64_t rate) {
  nexmark::GeneratorConfig config;
  config.events_num = count;
  config.first_event_rate = rate;
  const nexmark::NexmarkGenerator generator(config);
  std::vector<Event> events;
  for (int64_t n = 0; n < count; ++n) events.push_back(generator.Generate(n));
  return events;
}

// Edge cases, in time order: q7's bid exactly on a window end with the previous window's top
// price (joins both windows' checks), q5's tie, q8's person with two auctions and a repeated
// (id, name) in one window, q3's seller in a state that does not count.
std::vector<Event> EdgeCases() {
  const int64_t t0 = 1'436'918'400'000;
  std::vector<Event> events;
  auto person = [&](int64_t id, std::string name, std::string state, int64_t t) {
    Event e;
    e.event_type = Event::kPerson;
    e.person = Person{id, std::move(name), "a@b.com", "0000 0000 0000 0000", "Bend",
                      std::move(state), t, ""};
    events.push_back(e);
  };
  auto auction = [&](int64_t id, int64_t seller, int64_t category, int64_t t) {
    Event e;
    e.event_type = Event::kAuction;
    e.auction = Auction{id, "item", "desc", 100, 200, t, t + 1000, seller, category, ""};
    events.push_back(e);
  };
  auto bid = [&](int64_t auction_id, int64_t price, int64_t t) {
    Event e;
    e.event_type = Event::kBid;
    e.bid = Bid{auction_id, 1000, price, "Google", "u", t, "x"};
    events.push_back(e);
  };
  person(1000, "Kate Smith", "OR", t0 + 100);
  person(1001, "Paul Jones", "WA", t0 + 200);
  person(1000, "Kate Smith", "OR", t0 + 300);  // the same (id, name) again in the window
  auction(1000, 1000, 10, t0 + 400);
  auction(1001, 1000, 10, t0 + 500);
  auction(1002, 1001, 10, t0 + 600);  // seller in WA: not in q3
  bid(1000, 500, t0 + 1000);
  bid(1001, 500, t0 + 2000);  // q7: ties the window's top price
  bid(1000, 300, t0 + 3000);
  bid(1001, 300, t0 + 4000);  // q5: auctions 1000 and 1001 tie at 2 bids
  bid(1002, 500, t0 + 10'000);  // on the window end: joins the first window's max (500) too
  bid(1002, 400, t0 + 10'000);  // on the end with another price: only its own window
  bid(1002, 100, t0 + 15'000);
  return events;
}

class NexmarkJobTest : public ::testing::Test {
 protected:
  NexmarkJobTest() { EXPECT_TRUE(RegisterBuiltinJobs(jobs_).ok()); }
  Rows Reference(int query, const std::string& input, int splits) {
    JobSpec spec;
    spec.job = "nexmark-q" + std::to_string(query);
    spec.input_splits = splits;
    auto graph = jobs_.Build(spec);
    EXPECT_TRUE(graph.ok()) << graph.status().ToString();
    if (!graph.ok()) return {};
    auto reference =
        EvaluateReference(*graph, WordCountCluster::SplitIntoPartitions(input, splits));
    EXPECT_TRUE(reference.ok()) << reference.status().ToString();
    return reference.ok() ? *reference : Rows{};
  }
  JobRegistry jobs_;
};

TEST_F(NexmarkJobTest, EveryQueryComputesItsSqlOnGeneratedEvents) {
  // 30 s of event time: several windows of every kind.
  const std::vector<Event> events = Generated(30'000, 1000);
  const std::string input = ToJson(events);
  for (int query : nexmark::kQueries) {
    const Rows expected = Expected(query, events);
    EXPECT_FALSE(expected.empty()) << "q" << query << " selects nothing: a weak test";
    EXPECT_EQ(Reference(query, input, 2), expected) << "q" << query;
  }
}

TEST_F(NexmarkJobTest, EveryQueryComputesItsSqlOnTheEdges) {
  const std::vector<Event> events = EdgeCases();
  const std::string input = ToJson(events);
  ASSERT_TRUE(nexmark::ValidateEventsFile(input, "edges", nexmark::kWatermarkDelayMs).ok());
  for (int query : nexmark::kQueries) {
    EXPECT_EQ(Reference(query, input, 2), Expected(query, events)) << "q" << query;
  }
  // The edges are there: q7 keeps the boundary bid for the first window, q5 both tied auctions,
  // q8 one row for the person seen twice, q3 none for the seller in WA.
  const Rows q7 = Expected(7, events);
  EXPECT_EQ(q7.size(), 3u);  // two 500 bids in [0, 10 s], the 500 at 10 s, and window 2's top
  int64_t q7_rows = 0;
  for (const auto& [line, n] : q7) q7_rows += n;
  EXPECT_EQ(q7_rows, 4);  // the 500 at 10 s joins both windows
  const Rows q8 = Expected(8, events);
  ASSERT_EQ(q8.size(), 2u);  // 1000 and 1001 both sold in their first window
  for (const auto& [line, n] : q8) EXPECT_EQ(n, 1) << line << ": one row per distinct person";
  EXPECT_EQ(Expected(3, events).size(), 2u);
}

TEST_F(NexmarkJobTest, EveryQueryPassesCrashScenariosOnGeneratedEvents) {
  const std::string input = ToJson(Generated(8'000, 400));  // 20 s of event time
  for (int query : nexmark::kQueries) {
    int64_t restarts = 0;
    for (const ScenarioResult& result :
         ExpectScenariosPass(jobs_, "nexmark-q" + std::to_string(query), input,
                             {"tm-crash", "chaos"}, 2,
                             "NexmarkJobTest.EveryQueryPassesCrashScenariosOnGeneratedEvents")) {
      EXPECT_GT(result.records_out, 0) << "q" << query << " " << result.scenario;
      restarts += result.restarts;
    }
    EXPECT_GT(restarts, 0) << "q" << query << ": no run restored its state";
  }
}

}  // namespace nexmark_job_test
}  // namespace
}  // namespace sluice::scenarios
