// SPDX-License-Identifier: Apache-2.0
// Helpers of the vector-kernel tests: a runtime on the functional model, and the check of
// FP32 results against an FP64 reference within its per-element tolerance.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "tessera/func_device.hpp"
#include "tessera/runtime.hpp"

namespace tessera::test {

// A Runtime on a FuncDevice that throws DeviceError without resetting the model.
struct VecRig {
  explicit VecRig(const ChipConfig& cfg) : dev(cfg), rt(dev, opts()) {}
  static RuntimeOptions opts() {
    RuntimeOptions o;
    o.reset_on_error = false;
    return o;
  }
  FuncDevice dev;
  Runtime rt;
};

// Elements outside their tolerance (each reported, up to 8): a NaN reference requires NaN,
// an infinite reference the same infinity, anything else |got - ref| <= tol. A NaN
// tolerance beside a non-NaN reference is the bound breaking down (0 * Inf inside
// softmax_row_bound for logits 1e30 apart): there the result must be the reference
// rounded to FP32, as VecSoftmax.Extremes requires for such rows.
inline size_t count_outside_tol(const char* what, const std::vector<float>& got,
                                const std::vector<double>& ref, const std::vector<double>& tol,
                                const std::string& ctx) {
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(double(got[i]) - ref[i]);
    bool ok;
    if (std::isnan(ref[i])) {
      ok = std::isnan(got[i]);
    } else if (std::isnan(tol[i])) {
      ok = err <= std::fabs(double(float(ref[i])) - ref[i]);
    } else if (std::isinf(ref[i])) {
      ok = double(got[i]) == ref[i];
    } else {
      ok = err <= tol[i];
    }
    if (!ok && bad++ < 8) {
      ADD_FAILURE() << ctx << ": " << what << "[" << i << "] = " << got[i] << ", reference "
                    << ref[i] << ", |err| " << err << " > tolerance " << tol[i];
    }
  }
  return bad;
}

}  // namespace tessera::test
