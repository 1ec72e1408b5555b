// PostgresDatabases against a real PostgreSQL server: the throwaway one ctest's
// postgres_database test starts with pg_virtualenv (postgresql-common), which sets PGHOST and
// the rest in the environment and max_prepared_transactions above 0. Without PGHOST (the plain
// engine_tests run) every test here is skipped.
#include "engine/runtime/real/postgres_database.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace sluice::real {
namespace {
namespace postgres_database_test {

using Rows = std::vector<std::vector<std::string>>;

// The test's own libpq connection (the same environment), for setup and for looking.
class Psql {
 public:
  Psql() : connection_(PQconnectdb("")) {}
  ~Psql() { PQfinish(connection_); }
  Psql(const Psql&) = delete;
  Psql& operator=(const Psql&) = delete;
  Rows Query(const std::string& sql) {
    PGresult* result = PQexec(connection_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        << sql << ": " << PQresultErrorMessage(result);
    Rows rows;
    for (int row = 0; row < PQntuples(result); ++row) {
      rows.emplace_back();
      for (int column = 0; column < PQnfields(result); ++column) {
        rows.back().emplace_back(PQgetvalue(result, row, column));
      }
    }
    PQclear(result);
    return rows;
  }

 private:
  PGconn* connection_;
};

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("PGHOST") == nullptr) {
      GTEST_SKIP() << "no PostgreSQL server: ctest's postgres_database runs these under "
                      "pg_virtualenv";
    }
    auto connected = databases_.Connect("");
    ASSERT_TRUE(connected.ok()) << connected.status().ToString();
    db_ = std::move(connected).value();
    for (const auto& row : psql_.Query("SELECT gid FROM pg_prepared_xacts")) {
      psql_.Query("ROLLBACK PREPARED '" + row[0] + "'");
    }
    psql_.Query("DROP TABLE IF EXISTS words");
    psql_.Query("CREATE TABLE words (word text, count bigint)");
    psql_.Query(std::string("TRUNCATE ") + kCommitLogTable);
  }

  PostgresDatabases databases_;
  std::unique_ptr<DatabaseConnection> db_;
  Psql psql_;
};

TEST_F(PostgresDatabaseTest, APreparedTransactionIsInvisibleUntilAnotherConnectionCommitsIt) {
  const Rows rows = {{"alpha", "1"}, {"tab\there", "2"}, {"new\nline \\ back", "3"}};
  ASSERT_TRUE(db_->PrepareTransaction("t/0/1", "words", rows).ok());
  EXPECT_EQ(psql_.Query("SELECT count(*) FROM words"), (Rows{{"0"}}));
  EXPECT_EQ(db_->ListPrepared("t/").value(), std::vector<std::string>{"t/0/1"});
  EXPECT_FALSE(db_->Committed("t/0/1").value());
  db_.reset();  // the connection that prepared it goes away, as a crashed writer's would
  auto other = databases_.Connect("");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_TRUE((*other)->CommitPrepared("t/0/1").ok());
  EXPECT_EQ(psql_.Query("SELECT word, count FROM words ORDER BY count"), rows);
  EXPECT_TRUE((*other)->Committed("t/0/1").value());
  EXPECT_TRUE((*other)->ListPrepared("t/").value().empty());
  // Committed once: a second commit finds nothing prepared, and the commit log says it happened.
  EXPECT_EQ((*other)->CommitPrepared("t/0/1").code(), StatusCode::kNotFound);
}

TEST_F(PostgresDatabaseTest, ARolledBackTransactionLeavesNothing) {
  ASSERT_TRUE(db_->PrepareTransaction("r/1", "words", {{"beta", "1"}}).ok());
  ASSERT_TRUE(db_->RollbackPrepared("r/1").ok());
  EXPECT_EQ(psql_.Query("SELECT count(*) FROM words"), (Rows{{"0"}}));
  EXPECT_FALSE(db_->Committed("r/1").value());
  EXPECT_EQ(db_->RollbackPrepared("r/1").code(), StatusCode::kNotFound);
  // An empty transaction is prepared (and committed) all the same: its commit log row.
  ASSERT_TRUE(db_->PrepareTransaction("r/2", "words", {}).ok());
  ASSERT_TRUE(db_->CommitPrepared("r/2").ok());
  EXPECT_TRUE(db_->Committed("r/2").value());
}

TEST_F(PostgresDatabaseTest, ListPreparedIsThePrefixsOnlyInByteOrder) {
  for (const char* gid : {"p/2", "p/10", "q/1"}) {
    ASSERT_TRUE(db_->PrepareTransaction(gid, "words", {{gid, "1"}}).ok()) << gid;
  }
  EXPECT_EQ(db_->ListPrepared("p/").value(), (std::vector<std::string>{"p/10", "p/2"}));
  EXPECT_EQ(db_->ListPrepared("").value().size(), 3u);
}

TEST_F(PostgresDatabaseTest, ErrorsAreTypedAndLeaveTheConnectionUsable) {
  EXPECT_EQ(db_->PrepareTransaction("e/1", "no_such_table", {{"x"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->PrepareTransaction("e/2", "words", {{"x", "not a number"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db_->ListPrepared("e/").value().empty()) << "a failed transaction is not prepared";
  EXPECT_EQ(db_->PrepareTransaction(std::string(201, 'g'), "words", {}).code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(db_->PrepareTransaction("e/3", "words", {{"gamma", "1"}}).ok())
      << "the connection works after errors";
  ASSERT_TRUE(db_->CommitPrepared("e/3").ok());
  EXPECT_EQ(db_->PrepareTransaction("e/3", "words", {{"gamma", "2"}}).code(),
            StatusCode::kAlreadyExists)
      << "an id once committed is not reused";
  EXPECT_EQ(psql_.Query("SELECT count(*) FROM words"), (Rows{{"1"}}));
  EXPECT_EQ(databases_.Connect("host=127.0.0.1 port=1 connect_timeout=2").status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(databases_.Connect("postgresql://[::1").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace postgres_database_test
}  // namespace
}  // namespace sluice::real
