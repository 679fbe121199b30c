// SPDX-License-Identifier: Apache-2.0
// Project-wide constants shared by every block (formats, flag bits, canonical NaNs).
package ts_pkg;

  // 16-bit floating-point format selector used by widening, narrowing and 16-bit products.
  localparam logic FmtFp16 = 1'b0;
  localparam logic FmtBf16 = 1'b1;

  // IEEE-754 exception flags, RISC-V fflags order: {NV, DZ, OF, UF, NX}.
  localparam int unsigned FlagNx = 0;  // inexact
  localparam int unsigned FlagUf = 1;  // underflow (tiny after rounding and inexact)
  localparam int unsigned FlagOf = 2;  // overflow
  localparam int unsigned FlagDz = 3;  // divide by zero
  localparam int unsigned FlagNv = 4;  // invalid operation
  localparam int unsigned FlagW = 5;

  // Canonical quiet NaNs (sign 0, MSB of the fraction set, rest 0).
  localparam logic [31:0] Fp32QNan = 32'h7fc0_0000;
  localparam logic [15:0] Fp16QNan = 16'h7e00;
  localparam logic [15:0] Bf16QNan = 16'h7fc0;

  // The special result of an FP32 add or multiply, decided from its operands' classes:
  // {hit, result, flags}. A NaN operand gives the canonical NaN (NV if one is signalling),
  // an invalid operation (inf - inf, inf * 0) the canonical NaN with NV, another infinity
  // operand an infinity of sign inf_sign; hit = 0: no special case.
  function automatic logic [1+32+FlagW-1:0] fp32_special(input logic nan, input logic snan,
                                                         input logic invalid,
                                                         input logic inf,
                                                         input logic inf_sign);
    logic             hit;
    logic [31:0]      res;
    logic [FlagW-1:0] flags;
    hit   = 1'b1;
    res   = Fp32QNan;
    flags = '0;
    if (nan) begin
      flags[FlagNv] = snan;
    end else if (invalid) begin
      flags[FlagNv] = 1'b1;
    end else if (inf) begin
      res = {inf_sign, 8'hff, 23'd0};
    end else begin
      hit = 1'b0;
    end
    fp32_special = {hit, res, flags};
  endfunction

endpackage
