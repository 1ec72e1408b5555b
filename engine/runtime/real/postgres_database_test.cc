// PostgresDatabases against a real PostgreSQL server: the throwaway one ctest's
// postgres_database test starts with pg_virtualenv (postgresql-common), which sets PGHOST and
// the rest in the environment, with max_prepared_transactions above 0 (postgres_database_disabled:
// at PostgreSQL's default, 0). Without PGHOST (the plain engine_tests run) every test here is
// skipped.
#include "engine/runtime/real/postgres_database.h"

#include "engine/runtime/database_conformance_test_util.h"

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

TEST_F(PostgresDatabaseTest, KeepsTheSemanticsTheSeamPromises) {
  CheckDatabaseSemantics(databases_, "", [this] { return psql_.Query("SELECT word, count FROM words"); });
}

// What the model does not model: the server converts values to the columns' types.
TEST_F(PostgresDatabaseTest, AValueOfTheWrongTypeIsRefused) {
  EXPECT_EQ(db_->PrepareTransaction("v/1", "words", {{"x", "not a number"}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(db_->ListPrepared("v/").value().empty());
}

// PostgreSQL's default, max_prepared_transactions = 0, as ctest's postgres_database_disabled
// runs it (elsewhere this test skips): a prepare is refused as exhausted, and nothing is left.
TEST_F(PostgresDatabaseTest, WithoutPreparedTransactionsAPrepareIsRefusedAsExhausted) {
  if (psql_.Query("SHOW max_prepared_transactions") != Rows{{"0"}}) {
    GTEST_SKIP() << "the server allows prepared transactions";
  }
  EXPECT_EQ(db_->PrepareTransaction("x/1", "words", {{"a", "1"}}).code(),
            StatusCode::kResourceExhausted);
  EXPECT_EQ(psql_.Query("SELECT count(*) FROM words"), (Rows{{"0"}}));
  ASSERT_TRUE(db_->ListPrepared("").ok()) << "the connection works after the refusal";
}

TEST_F(PostgresDatabaseTest, AnUnreachableServerOrABadUrlIsTyped) {
  EXPECT_EQ(databases_.Connect("host=127.0.0.1 port=1 connect_timeout=2").status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(databases_.Connect("postgresql://[::1").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace postgres_database_test
}  // namespace
}  // namespace sluice::real
