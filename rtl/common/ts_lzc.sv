// SPDX-License-Identifier: Apache-2.0
// Leading-zero counter: number of zeros above the most significant set bit (Width if none).
module ts_lzc #(
  parameter int unsigned Width = 24,
  localparam int unsigned CntW = $clog2(Width + 1)
) (
  input  logic [Width-1:0] in_i,
  output logic [CntW-1:0]  cnt_o,
  output logic             zero_o
);

  always_comb begin
    cnt_o = CntW'(Width);
    // Ascending scan: the highest set bit is assigned last and wins.
    for (int unsigned i = 0; i < Width; i++) begin
      if (in_i[i]) begin
        cnt_o = CntW'(Width - 1 - i);
      end
    end
  end

  assign zero_o = (in_i == '0);

endmodule
