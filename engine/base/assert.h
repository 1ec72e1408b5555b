// Assertions that always run, in every build (release and sanitizer builds alike define NDEBUG,
// which turns <cassert> off; these ignore it). A failed assertion is a bug in Sluice, never an
// expected failure (those are Status values): it prints the condition, the reason, file and line
// to stderr and aborts the process, so a simulated seed that trips it fails with the reason.
//
//   SLUICE_ASSERT(channel < channels_, "a barrier names a channel of this gate");
//   SLUICE_ASSERT_SIM(host, IsSorted(table), "snapshot keys are sorted");  // simulation only
//
// Habits (TigerBeetle, DuckDB): one condition per assertion (split `a && b` so the message names
// the one that failed), the reason says what should have held and why, assert a value both where
// it is written and where it is read back. SLUICE_ASSERT is for checks cheap enough to run on the
// data path (a compare and a predictable branch); a check that costs more than the work it guards
// (a scan, a sort test, a recomputation) uses SLUICE_ASSERT_SIM, which runs only when the host's
// FaultInjection asks for expensive checks (the simulator does; real hosts do not), as
// FoundationDB's ASSERT_WE_THINK. Never suspends.
#pragma once

namespace sluice::internal {

// Prints "assertion failed at FILE:LINE: CONDITION (REASON)" to stderr and aborts.
[[noreturn]] void AssertionFailed(const char* condition, const char* reason, const char* file,
                                  int line);

}  // namespace sluice::internal

#define SLUICE_ASSERT(condition, reason)                                                     \
  (__builtin_expect(static_cast<bool>(condition), 1)                                         \
       ? static_cast<void>(0)                                                                \
       : ::sluice::internal::AssertionFailed(#condition, reason, __FILE__, __LINE__))

// `host` is a sluice::Host (engine/runtime/host.h); the condition is evaluated only when the
// host runs expensive checks.
#define SLUICE_ASSERT_SIM(host, condition, reason)                                            \
  (!(host).faults.ExpensiveChecks() || __builtin_expect(static_cast<bool>(condition), 1)       \
       ? static_cast<void>(0)                                                                  \
       : ::sluice::internal::AssertionFailed(#condition, reason, __FILE__, __LINE__))
