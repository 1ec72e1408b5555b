// Combining the watermarks of several inputs, with idleness (Flink's StatusWatermarkValve, which
// a task applies to its input channels, and the combined watermark of a two-input operator).
//
// Each input has a watermark and a status: active, or idle (Flink's WatermarkStatus.IDLE: the
// input will send no records for a while, so its watermark must not hold back the others'). The
// output watermark is the minimum over the *aligned* inputs: active ones whose watermark has
// reached the output's. An input that turns active again behind the output watermark is
// unaligned until it catches up, so a resumed lagging input does not stall the others (its
// records may then be late, as in Flink). When every input is idle, the output goes idle, after
// advancing to the largest watermark of any input; when one turns active, the output does.
// Watermarks from an idle input are ignored. The output watermark never decreases.
//
// Pure: no I/O, never suspends; one owner (a task's fiber or an operator), not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/base/assert.h"
#include "engine/base/status.h"
#include "engine/graph/chain.h"

namespace sluice {

class WatermarkValve {
 public:
  // What the output does after one input event, in this order: turn active, advance its
  // watermark (kMinWatermark: it did not), turn idle.
  struct Output {
    bool became_active = false;
    int64_t watermark = kMinWatermark;
    bool became_idle = false;
  };

  explicit WatermarkValve(int inputs) : inputs_(static_cast<size_t>(inputs)) {
    SLUICE_ASSERT(inputs > 0, "a watermark valve has at least one input");
  }

  // Input `input` sent watermark `watermark_ms`.
  Output OnWatermark(int input, int64_t watermark_ms) {
    Input& in = At(input);
    Output out;
    if (in.idle || watermark_ms <= in.watermark) return out;
    in.watermark = watermark_ms;
    if (!in.aligned && watermark_ms >= output_watermark_) in.aligned = true;
    out.watermark = AdvanceToAlignedMinimum();
    return out;
  }

  // Input `input` turned idle (`idle`) or active again.
  Output OnStatus(int input, bool idle) {
    Input& in = At(input);
    Output out;
    if (idle == in.idle) return out;
    in.idle = idle;
    if (idle) {
      in.aligned = false;
      bool any_active = false;
      for (const Input& other : inputs_) any_active |= !other.idle;
      if (!any_active) {
        // Nothing holds the output back any more: it advances to the largest watermark seen.
        int64_t most = kMinWatermark;
        for (const Input& other : inputs_) most = other.watermark > most ? other.watermark : most;
        if (most > output_watermark_) out.watermark = output_watermark_ = most;
        output_idle_ = true;
        out.became_idle = true;
      } else if (in.watermark == output_watermark_) {
        out.watermark = AdvanceToAlignedMinimum();  // it may have been the one holding back
      }
      return out;
    }
    in.aligned = in.watermark >= output_watermark_;
    if (output_idle_) {
      output_idle_ = false;
      out.became_active = true;
    }
    return out;
  }

  bool idle() const { return output_idle_; }
  int64_t watermark() const { return output_watermark_; }

 private:
  struct Input {
    int64_t watermark = kMinWatermark;
    bool idle = false;
    bool aligned = true;
  };
  Input& At(int input) {
    SLUICE_ASSERT(input >= 0 && static_cast<size_t>(input) < inputs_.size(),
                  "a watermark valve's input index is one of its inputs");
    return inputs_[static_cast<size_t>(input)];
  }
  // The new output watermark if the minimum over aligned inputs passed it, else kMinWatermark.
  int64_t AdvanceToAlignedMinimum() {
    bool any = false;
    int64_t least = kMaxWatermark;
    for (const Input& in : inputs_) {
      if (!in.aligned || in.idle) continue;
      any = true;
      least = in.watermark < least ? in.watermark : least;
    }
    if (!any || least <= output_watermark_) return kMinWatermark;
    output_watermark_ = least;
    return least;
  }

  std::vector<Input> inputs_;
  int64_t output_watermark_ = kMinWatermark;
  bool output_idle_ = false;
};

// Hands a valve's output on: on_status(false), on_watermark(w), on_status(true), as it says.
template <typename OnWatermark, typename OnStatus>
Status EmitValveOutput(const WatermarkValve::Output& out, OnWatermark&& on_watermark,
                       OnStatus&& on_status) {
  if (out.became_active) RETURN_IF_ERROR(on_status(false));
  if (out.watermark != kMinWatermark) RETURN_IF_ERROR(on_watermark(out.watermark));
  if (out.became_idle) RETURN_IF_ERROR(on_status(true));
  return Status::Ok();
}

// Forwards a valve's output to a downstream link.
inline Status EmitValveOutput(const WatermarkValve::Output& out, ChainLink* next) {
  return EmitValveOutput(
      out, [next](int64_t watermark_ms) { return next->ProcessWatermark(watermark_ms); },
      [next](bool idle) { return next->ProcessWatermarkStatus(idle); });
}

}  // namespace sluice
