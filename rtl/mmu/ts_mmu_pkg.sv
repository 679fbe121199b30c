// SPDX-License-Identifier: Apache-2.0
// Codes shared by the systolic matrix unit (rtl/mmu), its golden model and its drivers.
package ts_mmu_pkg;

  // Per-tile configuration word on the weight stream (w_cfg_i).
  localparam int unsigned CfgW        = 4;
  localparam int unsigned CfgDtypeLsb = 0;  // [1:0] data type
  localparam int unsigned CfgWTrans   = 2;  // 1: stream rows are rows of W^T (PE(k,n) = row n, lane k)
  localparam int unsigned CfgATrans   = 3;  // 1: activation rows are rows of A^T, in groups of Dim

  // Data type codes.
  localparam logic [1:0] DtFp16 = 2'd0;  // FP16 x FP16 -> FP32 sums
  localparam logic [1:0] DtBf16 = 2'd1;  // BF16 x BF16 -> FP32 sums
  localparam logic [1:0] DtInt8 = 2'd2;  // INT8 (low byte of each lane) -> INT32 sums
  localparam logic [1:0] DtBad  = 2'd3;  // illegal: refused

  // Error codes (err_code_o); the first error since the last clear is kept.
  localparam logic [1:0] ErrNone   = 2'd0;
  localparam logic [1:0] ErrDtype  = 2'd1;  // unknown data type code
  // 2'd2 was ErrATrans (transposed activations refused) and is no longer produced.
  localparam logic [1:0] ErrAGroup = 2'd3;  // a_last inside a transposed-activation group

  // FP32 partial sums start from -0.0: x + (-0) == x exactly for every x.
  localparam logic [31:0] Fp32NegZero = 32'h8000_0000;

endpackage
