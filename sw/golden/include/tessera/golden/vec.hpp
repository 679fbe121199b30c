// SPDX-License-Identifier: Apache-2.0
// Bit-exact C++ models of the rtl/vec units (docs/vec.md), one function per hardware operation.
#pragma once

#include <cstdint>

#include "tessera/golden/arith.hpp"

namespace tessera::golden {

// ts_vec_exp: e^x in FP32 by fixed-point argument reduction (x * log2(e) with 40 fraction
// bits), three 64-entry tables of 2^(i/64^j) and a linear last term, rounded once (RNE).
// Error < 0.56 ulp of the exact e^x (docs/vec.md); flags: NX for every finite x != 0, OF
// on overflow to +Inf, UF when the result is subnormal or zero, NV for a signalling NaN.
Fp32Result vec_exp(uint32_t x);

}  // namespace tessera::golden
