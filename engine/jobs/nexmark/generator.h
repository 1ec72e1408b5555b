// The Nexmark event generator (the event model of the nexmark project's NexmarkGenerator and
// Apache Beam's nexmark generator), deterministic: event n of a job is a pure function of n and
// the seed, drawn from Sluice's PRNG (engine/runtime/random.h) seeded with (seed, n), so every
// run, every restore and the reference evaluator see the same events, on any machine.
//
// What it keeps from nexmark (facts from nexmark-flink's GeneratorConfig, PersonGenerator,
// AuctionGenerator, BidGenerator, StringsGenerator and PriceGenerator):
//   - event n's type from n mod 50: 0 person, 1..3 auction, 4..49 bid (proportions 1:3:46);
//   - ids: person id = 1000 + the number of people before it, auction id likewise; sellers and
//     bidders among the 1000 most recent people (plus up to 10 not yet created), auctions among
//     the 100 in flight (plus up to 10 ahead); hot ratios: 3/4 of auctions from the hot seller and
//     3/4 of bids from the hot bidder of the current block of 100 people, 1/2 of bids on the hot
//     auction of the current block of 100 auctions;
//   - fields: names from 11 first and 9 last names, 10 cities, 6 states, categories 10..14,
//     prices log-uniform in [1, 1'000'000) dollars (in cents), expiry within twice the time 1666
//     events take, channels (4 hot ones or channel-0..9999) with their URLs, and `extra` padding
//     each record to its average size (200, 500 and 100 bytes);
//   - event time: base time + n × 1000 / first-event.rate ms, whatever the speed of the run
//     (the base is Beam's BASE_TIME, 2015-07-15T00:00:00Z, not the wall clock).
// Where it departs from nexmark: events are numbered from 0 (Beam's numbering, so the first is a
// person); a split of p generates events s, s + p, ... on the job's one timeline (nexmark gives
// each split a block of event ids), so the events do not depend on the source parallelism; the
// random string and URL tables are seeded, not drawn from an unseeded generator; bidder ids get
// 1000 added once (nexmark-flink adds it twice; no query joins on bidder).
//
// Thread safety: a NexmarkGenerator is immutable after construction; Generate may run on any
// thread. Never suspends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/configuration.h"
#include "engine/graph/job_graph.h"
#include "engine/jobs/nexmark/model.h"

namespace sluice::nexmark {

struct GeneratorConfig {
  int64_t events_num = 10'000;      // events of the whole job
  int64_t first_event_rate = 10'000;  // events per second of event time (nexmark's first-event.rate)
  int64_t base_time_ms = 1'436'918'400'000;  // 2015-07-15T00:00:00Z (Beam's BASE_TIME)
  uint64_t seed = 0;
};

class NexmarkGenerator {
 public:
  explicit NexmarkGenerator(GeneratorConfig config);
  const GeneratorConfig& config() const { return config_; }
  // Event number n (0-based), a pure function of n and the config.
  Event Generate(int64_t n) const;
  // Event n's dateTime, ms.
  int64_t TimestampFor(int64_t n) const;

 private:
  struct Tables;
  GeneratorConfig config_;
  std::shared_ptr<const Tables> tables_;
};

// The generator's settings (job options): nexmark.events.num (default 10000),
// nexmark.first-event.rate (events per second of event time, default 10000) and nexmark.seed
// (default 0); and the config they give (defaults for unset keys; validate first).
const std::vector<ConfigOption>& GeneratorOptions();
GeneratorConfig GeneratorConfigFrom(const Configuration& settings);

// The generator as a source (FLIP-27 shaped, engine/connectors/data_generator.h) of
// config.events_num events; `records_per_second` over all subtasks (0 = unlimited).
Source<Event> NexmarkSource(GeneratorConfig config, int64_t records_per_second = 0);

// Every event, in order, as JSON lines (engine/jobs/nexmark/json.h): the nexmark jobs' input
// when none is given.
std::string GenerateEventsJson(const GeneratorConfig& config);

}  // namespace sluice::nexmark
