// The Nexmark queries q0, q1, q2, q3, q5, q7 and q8 on the DataStream API, with the semantics of
// the nexmark project's Flink SQL (nexmark-flink/src/main/resources/queries/qN.sql), and the
// built-in jobs nexmark-qN that run them.
//
// The source table: events (engine/jobs/nexmark/model.h), with event time dateTime and the
// watermark dateTime - 4 s (the nexmark DDL: WATERMARK FOR dateTime AS dateTime - INTERVAL '4'
// SECOND). Each query filters the event type it reads, as the SQL's views do.
//   q0  SELECT auction, bidder, price, dateTime, extra FROM bid
//   q1  the same with price = 0.908 * price (dollars to euros)
//   q2  SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0
//   q3  SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
//       WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')   (incremental: every match)
//   q5  the auctions with the most bids in each HOP(10 s size, 2 s slide) window:
//       auction, num  (every auction whose count is the window's maximum)
//   q7  the bids of the highest price in each TUMBLE(10 s) window, joined back to the bids
//       whose dateTime is between window end - 10 s and window end, both inclusive:
//       auction, bidder, price, dateTime, extra
//   q8  people who opened an account and created an auction in the same TUMBLE(10 s) window:
//       id, name, stime (the window start)
//
// Output rows are JSON objects with the SELECT's columns, times in epoch ms (FormatRow).
//
// Jobs (RegisterNexmarkJobs): nexmark-q0 .. nexmark-q8 read events as JSON lines
// (engine/jobs/nexmark/json.h) from the job's input, one source subtask per input split; the
// input is checked before anything runs (JobDefinition::validate_input). Without --input, the
// input is the generator's events (engine/jobs/nexmark/generator.h, -D nexmark.events.num=N,
// -D nexmark.seed=S).
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "engine/api/data_stream.h"
#include "engine/api/job_registry.h"
#include "engine/base/status.h"
#include "engine/jobs/nexmark/model.h"

namespace sluice::nexmark {

// The nexmark DDL's watermark delay.
inline constexpr int64_t kWatermarkDelayMs = 4'000;

struct Q1Row {  // q0 and q1 rows are bids; q1's price is 0.908 * price, kept in thousandths
  int64_t auction = 0;
  int64_t bidder = 0;
  int64_t price_thousandths = 0;
  int64_t date_time = 0;
  std::string extra;
  auto Tie() { return std::tie(auction, bidder, price_thousandths, date_time, extra); }
  auto Tie() const { return std::tie(auction, bidder, price_thousandths, date_time, extra); }
};
struct Q2Row {
  int64_t auction = 0;
  int64_t price = 0;
  auto Tie() { return std::tie(auction, price); }
  auto Tie() const { return std::tie(auction, price); }
};
struct Q3Row {
  std::string name;
  std::string city;
  std::string state;
  int64_t id = 0;  // the auction's
  auto Tie() { return std::tie(name, city, state, id); }
  auto Tie() const { return std::tie(name, city, state, id); }
};
struct Q5Row {
  int64_t auction = 0;
  int64_t num = 0;
  auto Tie() { return std::tie(auction, num); }
  auto Tie() const { return std::tie(auction, num); }
};
struct Q8Row {
  int64_t id = 0;
  std::string name;
  int64_t stime = 0;  // window start, ms
  auto Tie() { return std::tie(id, name, stime); }
  auto Tie() const { return std::tie(id, name, stime); }
};

// One output row as a JSON object (no newline).
void FormatRow(const Bid& row, std::string* line);  // q0, q7
void FormatRow(const Q1Row& row, std::string* line);
void FormatRow(const Q2Row& row, std::string* line);
void FormatRow(const Q3Row& row, std::string* line);
void FormatRow(const Q5Row& row, std::string* line);
void FormatRow(const Q8Row& row, std::string* line);

// The queries over a stream of timestamped events (after WithNexmarkWatermarks).
DataStream<Bid> Query0(DataStream<Event> events);
DataStream<Q1Row> Query1(DataStream<Event> events);
DataStream<Q2Row> Query2(DataStream<Event> events);
DataStream<Q3Row> Query3(DataStream<Event> events);
DataStream<Q5Row> Query5(DataStream<Event> events);
DataStream<Bid> Query7(DataStream<Event> events);
DataStream<Q8Row> Query8(DataStream<Event> events);

// Event time as the nexmark DDL gives it, at the events' parallelism (chained to the source).
DataStream<Event> WithNexmarkWatermarks(DataStream<Event> events);

// The queries this file offers: 0, 1, 2, 3, 5, 7, 8.
inline constexpr int kQueries[] = {0, 1, 2, 3, 5, 7, 8};

// Adds query `query` over `events` and its sink: rows as JSON lines in a file sink under
// `output_dir` (engine/connectors/file_sink.h), or a DiscardingSink when `output_dir` is empty
// (benchmarks). kInvalidArgument for a query not in kQueries.
Status AddQueryWithSink(int query, DataStream<Event> events, const std::string& output_dir);

// Registers nexmark-q0, -q1, -q2, -q3, -q5, -q7 and -q8.
Status RegisterNexmarkJobs(JobRegistry& jobs);

}  // namespace sluice::nexmark
