// Test helper: the semantics engine/runtime/database.h promises, checked on any implementation of
// Databases, so that the simulator's model (simnet/database_model_test.cc) is held to what the
// real PostgreSQL does (engine/runtime/real/postgres_database_test.cc).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "engine/runtime/database.h"

namespace sluice {

using DatabaseRows = std::vector<std::vector<std::string>>;

// `url` names a database with an empty table `words` (word text, count bigint) and no prepared
// transaction; `committed_words` reads that table's rows as text. May suspend.
inline void CheckDatabaseSemantics(Databases& databases, const std::string& url,
                                   const std::function<DatabaseRows()>& committed_words) {
  const auto sorted = [](DatabaseRows rows) {
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  auto connected = databases.Connect(url);
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  std::unique_ptr<DatabaseConnection> db = std::move(connected).value();

  // Prepared: invisible, listed, not committed; committed from another connection once the one
  // that prepared it is gone (a crashed writer's).
  const DatabaseRows rows = {{"alpha", "1"}, {"tab\there", "2"}, {"new\nline \\ back", "3"}};
  ASSERT_TRUE(db->PrepareTransaction("t/0/1", "words", rows).ok());
  EXPECT_TRUE(committed_words().empty());
  EXPECT_EQ(db->ListPrepared("t/").value(), std::vector<std::string>{"t/0/1"});
  EXPECT_FALSE(db->Committed("t/0/1").value());
  db.reset();
  connected = databases.Connect(url);
  ASSERT_TRUE(connected.ok()) << connected.status().ToString();
  db = std::move(connected).value();
  ASSERT_TRUE(db->CommitPrepared("t/0/1").ok());
  EXPECT_EQ(sorted(committed_words()), sorted(rows));
  EXPECT_EQ(sorted(db->ReadTable("words").value()), sorted(rows));
  EXPECT_EQ(db->ReadTable("no_such_table").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(db->Committed("t/0/1").value());
  EXPECT_TRUE(db->ListPrepared("t/").value().empty());
  EXPECT_EQ(db->CommitPrepared("t/0/1").code(), StatusCode::kNotFound)
      << "committed once: a second commit finds nothing prepared";

  // Rolled back: nothing; an empty transaction is prepared and committed all the same.
  ASSERT_TRUE(db->PrepareTransaction("r/1", "words", {{"beta", "1"}}).ok());
  ASSERT_TRUE(db->RollbackPrepared("r/1").ok());
  EXPECT_FALSE(db->Committed("r/1").value());
  EXPECT_EQ(db->RollbackPrepared("r/1").code(), StatusCode::kNotFound);
  ASSERT_TRUE(db->PrepareTransaction("r/2", "words", {}).ok());
  ASSERT_TRUE(db->CommitPrepared("r/2").ok());
  EXPECT_TRUE(db->Committed("r/2").value());
  EXPECT_EQ(committed_words().size(), rows.size());

  // Listing: the prefix's only, in byte order.
  for (const char* gid : {"p/2", "p/10", "q/1"}) {
    ASSERT_TRUE(db->PrepareTransaction(gid, "words", {{gid, "1"}}).ok()) << gid;
  }
  EXPECT_EQ(db->ListPrepared("p/").value(), (std::vector<std::string>{"p/10", "p/2"}));
  EXPECT_EQ(db->ListPrepared("").value().size(), 3u);
  for (const char* gid : {"p/2", "p/10", "q/1"}) ASSERT_TRUE(db->RollbackPrepared(gid).ok());

  // Errors, typed, and the connection usable after them.
  EXPECT_EQ(db->PrepareTransaction("e/1", "no_such_table", {{"x", "1"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db->PrepareTransaction("e/2", "words", {{"one value"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db->ListPrepared("e/").value().empty()) << "a failed transaction is not prepared";
  EXPECT_EQ(db->PrepareTransaction(std::string(kGlobalTransactionIdMaxBytes + 1, 'g'), "words", {})
                .code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(db->PrepareTransaction("e/3", "words", {{"gamma", "1"}}).ok());
  ASSERT_TRUE(db->CommitPrepared("e/3").ok());
  EXPECT_EQ(db->PrepareTransaction("e/3", "words", {{"gamma", "2"}}).code(),
            StatusCode::kAlreadyExists)
      << "an id once committed is not reused";
  EXPECT_EQ(committed_words().size(), rows.size() + 1);
}

}  // namespace sluice
