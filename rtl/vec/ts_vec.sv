// SPDX-License-Identifier: Apache-2.0
// Vector engine: one VEC command (docs/vec.md) over accumulator rows, one row per cycle.
//
// Issue side (sequencer): per group of Dim logical rows, the Brow row (bsrc = ROW), then
// for each row and column block the A row (and the B row for MAT / COL), then the old
// s row (red != NONE), which rides through the pipeline as a token after the group's
// rows. A row enters the pipeline (S0) when its last read returns (1 cycle after accept).
// Pipeline, no stall: S0 operands -> Dim ts_vec_lane (fixed latency) -> R1 tree
// (ts_vec_red) -> R2 fold / s-row merge, SPAD narrowing -> output FIFO -> the
// accumulator or scratchpad write port. Reads are issued only for rows the FIFO can take
// (credits returned when a row is written), so refused writes never lose a row and
// refused reads only delay. One command at a time: the next is accepted after the done
// handshake, so a command always sees every write of the previous one.
`include "ts_assert.svh"

module ts_vec #(
  parameter int unsigned Dim          = 4,
  parameter int unsigned AccRows      = 256,
  parameter int unsigned SpadRows     = 256,
  parameter bit          DivSqrt      = 1'b1,
  parameter int unsigned BitsPerStage = 3,   // of the RECIP / RSQRT pipelines
  localparam int unsigned FlagW  = ts_pkg::FlagW,
  localparam int unsigned AccAw  = $clog2(AccRows),
  localparam int unsigned SpAw   = $clog2(SpadRows),
  localparam int unsigned RowW   = Dim * 32
) (
  input  logic               clk_i,
  input  logic               rst_ni,
  // Command, already checked by the decoder.
  input  logic               cmd_valid_i,
  output logic               cmd_ready_o,
  input  logic [2:0]         cmd_op1_i,
  input  logic [1:0]         cmd_bsrc_i,
  input  logic [2:0]         cmd_fn_i,
  input  logic [1:0]         cmd_red_i,
  input  logic               cmd_racc_i,
  input  logic               cmd_sat_i,
  input  logic [1:0]         cmd_mask_i,
  input  logic [1:0]         cmd_dst_i,
  input  logic [15:0]        cmd_rows_i,
  input  logic [15:0]        cmd_cols_i,
  input  logic [31:0]        cmd_a_addr_i,
  input  logic [31:0]        cmd_b_addr_i,
  input  logic [31:0]        cmd_d_addr_i,
  input  logic [31:0]        cmd_r_addr_i,
  input  logic [15:0]        cmd_stride_i,
  input  logic [15:0]        cmd_moff_i,
  input  logic [31:0]        cmd_imm_i,
  // Completion, after the command's last write was accepted.
  output logic               done_valid_o,
  input  logic               done_ready_i,
  output logic [FlagW-1:0]   done_flags_o,
  output logic               busy_o,
  // Accumulator reads; the row comes exactly one cycle after an accepted read.
  output logic               acc_r_valid_o,
  input  logic               acc_r_ready_i,
  output logic [AccAw-1:0]   acc_r_addr_o,
  input  logic               acc_rsp_valid_i,
  input  logic [RowW-1:0]    acc_rsp_data_i,
  // Accumulator writes (D rows with dst = ACC, s rows).
  output logic               acc_w_valid_o,
  input  logic               acc_w_ready_i,
  output logic [AccAw-1:0]   acc_w_addr_o,
  output logic [RowW-1:0]    acc_w_data_o,
  // Scratchpad writes (D rows with dst = SPAD FP16 / BF16).
  output logic               sp_w_valid_o,
  input  logic               sp_w_ready_i,
  output logic [SpAw-1:0]    sp_w_addr_o,
  output logic [Dim*16-1:0]  sp_w_data_o
);

  localparam int unsigned LgDim   = $clog2(Dim);
  localparam int unsigned DivLat  = (27 + BitsPerStage - 1) / BitsPerStage + 2;
  localparam int unsigned LaneLat = (DivSqrt ? 2 * DivLat : 4) + 2;  // ts_vec_lane's Lat
  // Reads in flight from an accepted read to its row's credit coming back.
  localparam int unsigned FifoDepth = LaneLat + 6;
  localparam int unsigned CntW    = $clog2(FifoDepth + 1);
  localparam int unsigned OutAw   = (AccAw > SpAw) ? AccAw : SpAw;
  localparam int unsigned InfoW   = 3 + LgDim + Dim + OutAw;
  localparam int unsigned FifoW   = 1 + OutAw + RowW;

  localparam logic [2:0] Op1Pass = 3'd0;
  localparam logic [1:0] BsrcMat = 2'd0, BsrcRow = 2'd1, BsrcCol = 2'd2;
  localparam logic [1:0] MaskCausal = 2'd1, MaskPad = 2'd2;
  localparam logic [1:0] DstNone = 2'd0, DstBf16 = 2'd3;
  localparam logic [1:0] RedNone = 2'd0;

  localparam logic [2:0] StIdle = 3'd0, StBrow = 3'd1, StA = 3'd2, StB = 3'd3, StS = 3'd4;
  localparam logic [2:0] StFin = 3'd5, StDone = 3'd6;
  localparam logic [2:0] TagNone = 3'd0, TagHold = 3'd1, TagData = 3'd2, TagToken = 3'd3;
  localparam logic [2:0] TagBrow = 3'd4;

  // ---------------------------------------------------------------- command registers
  logic [2:0]  st_q, st_d;
  logic [2:0]  op1_q, fn_q;
  logic [1:0]  bsrc_q, red_q, mask_q, dst_q;
  logic        racc_q, sat_q;
  logic [15:0] rows_q, cols_q, stride_q, moff_q;
  logic [16:0] nblk_q, nblk_d;
  logic [31:0] imm_q, b_addr_q, r_addr_q;
  logic [31:0] a_base_q, a_base_d, b_base_q, b_base_d, d_base_q, d_base_d;
  logic [16:0] r_q, r_d, j_q, j_d;
  logic [15:0] grp_q, grp_d;
  logic        cmd_fire;

  logic        need_b, two_rd, brow_need, has_red, push_d;
  logic        r_last, j_last, g_end;
  logic [2:0]  grp_start;

  assign cmd_ready_o = (st_q == StIdle);
  assign cmd_fire    = cmd_valid_i && cmd_ready_o;
  assign nblk_d      = (17'(cmd_cols_i) + 17'(Dim - 1)) >> LgDim;

  always_comb begin
    need_b    = (op1_q != Op1Pass);
    two_rd    = need_b && ((bsrc_q == BsrcMat) || (bsrc_q == BsrcCol));
    brow_need = need_b && (bsrc_q == BsrcRow);
    has_red   = (red_q != RedNone);
    push_d    = (dst_q != DstNone);
    r_last    = (r_q == 17'(rows_q) - 17'd1);
    j_last    = (j_q == nblk_q - 17'd1);
    g_end     = (r_q[LgDim-1:0] == '1) || r_last;
    grp_start = brow_need ? StBrow : StA;
  end

  // ---------------------------------------------------------------- credits, reads
  logic [CntW-1:0] cred_q, cred_d;
  logic            cred_ok, rd_fire, take, give;
  logic [31:0]     rd_addr;

  assign cred_ok = (cred_q != '0);

  always_comb begin
    unique case (st_q)
      StBrow:  acc_r_valid_o = 1'b1;
      StA:     acc_r_valid_o = !push_d || cred_ok;
      StB:     acc_r_valid_o = 1'b1;
      StS:     acc_r_valid_o = cred_ok;
      default: acc_r_valid_o = 1'b0;
    endcase
    unique case (st_q)
      StBrow:  rd_addr = b_addr_q + 32'(grp_q);
      StB:     rd_addr = ((bsrc_q == BsrcMat) ? b_base_q : b_addr_q) + 32'(j_q);
      StS:     rd_addr = r_addr_q + 32'(grp_q);
      default: rd_addr = a_base_q + 32'(j_q);
    endcase
  end

  assign acc_r_addr_o = rd_addr[AccAw-1:0];
  assign rd_fire      = acc_r_valid_o && acc_r_ready_i;
  assign take         = rd_fire && (((st_q == StA) && push_d) || (st_q == StS));

  // Per-read tag and the row's info, for the response one cycle later.
  logic [2:0]       tag_q, tag_d;
  logic             ti_first_q, ti_last_q, ti_first_d, ti_last_d;
  logic [LgDim-1:0] ti_lidx_q, ti_lidx_d;
  logic [Dim-1:0]   ti_vmask_q, ti_vmask_d, ti_hmask_q, ti_hmask_d;
  logic [OutAw-1:0] ti_addr_q, ti_addr_d;
  logic [33:0]      c34, lim34, moff34;
  logic [31:0]      d_row;

  always_comb begin
    moff34 = {{18{moff_q[15]}}, moff_q};
    lim34  = 34'(r_q) + moff34;
    d_row  = d_base_q + 32'(j_q);
    ti_first_d = (j_q == '0);
    ti_last_d  = j_last;
    ti_lidx_d  = r_q[LgDim-1:0];
    ti_addr_d  = (st_q == StS) ? OutAw'(rd_addr) : d_row[OutAw-1:0];
    ti_hmask_d = '0;
    ti_vmask_d = '0;
    c34        = '0;
    for (int unsigned l = 0; l < Dim; l++) begin
      c34 = 34'({j_q, LgDim'(l)});
      if (st_q == StS) begin
        ti_vmask_d[l] = ({grp_q, LgDim'(l)} < (LgDim + 16)'(rows_q));
      end else begin
        ti_vmask_d[l] = (c34 < 34'(cols_q));
      end
      unique case (mask_q)
        MaskCausal: ti_hmask_d[l] = ($signed(c34) > $signed(lim34));
        MaskPad:    ti_hmask_d[l] = ($signed(c34) >= $signed(moff34));
        default:    ti_hmask_d[l] = 1'b0;
      endcase
    end
  end

  // ---------------------------------------------------------------- sequencer
  logic drained;  // every read answered, every row through the pipeline and written
  logic [7:0] slots_q, slots_d;  // rows between S0 and R2
  logic fifo_empty;

  assign drained = (tag_q == TagNone) && (slots_q == '0) && fifo_empty;

  always_comb begin
    st_d     = st_q;
    r_d      = r_q;
    j_d      = j_q;
    grp_d    = grp_q;
    a_base_d = a_base_q;
    b_base_d = b_base_q;
    d_base_d = d_base_q;
    tag_d    = TagNone;
    if (rd_fire) begin
      unique case (st_q)
        StBrow: begin
          tag_d = TagBrow;
          st_d  = StA;
        end
        StS: begin
          tag_d = TagToken;
          grp_d = grp_q + 16'd1;
          st_d  = (r_q == 17'(rows_q)) ? StFin : grp_start;
        end
        default: begin  // StA, StB
          if ((st_q == StA) && two_rd) begin
            tag_d = TagHold;
            st_d  = StB;
          end else begin
            tag_d = TagData;
            if (!j_last) begin
              j_d  = j_q + 17'd1;
              st_d = StA;
            end else begin
              j_d      = '0;
              r_d      = r_q + 17'd1;
              a_base_d = a_base_q + 32'(stride_q);
              b_base_d = b_base_q + 32'(stride_q);
              d_base_d = d_base_q + 32'(stride_q);
              if (!g_end) begin
                st_d = StA;
              end else if (has_red) begin
                st_d = StS;
              end else begin
                grp_d = grp_q + 16'd1;
                st_d  = r_last ? StFin : grp_start;
              end
            end
          end
        end
      endcase
    end
    if (st_q == StFin && drained) st_d = StDone;
    if (st_q == StDone && done_ready_i) st_d = StIdle;
    if (cmd_fire) begin
      st_d     = (cmd_op1_i != Op1Pass && cmd_bsrc_i == BsrcRow) ? StBrow : StA;
      r_d      = '0;
      j_d      = '0;
      grp_d    = '0;
      a_base_d = cmd_a_addr_i;
      b_base_d = cmd_b_addr_i;
      d_base_d = cmd_d_addr_i;
    end
  end

  // ---------------------------------------------------------------- responses -> S0
  logic             launch;
  logic [RowW-1:0]  a_hold_q, brow_q, s0_a_d, s0_b_d;
  logic [31:0]      brow_sel;
  logic             s0_v_q, s0_tok_q;
  logic [RowW-1:0]  s0_a_q, s0_b_q;
  logic [Dim-1:0]   s0_hmask_q;
  logic [InfoW-1:0] s0_info_q;

  assign launch = (tag_q == TagData) || (tag_q == TagToken);

  always_comb begin
    brow_sel = brow_q[31:0];
    for (int unsigned l = 0; l < Dim; l++) begin
      if (ti_lidx_q == LgDim'(l)) brow_sel = brow_q[l*32 +: 32];
    end
    s0_a_d = (tag_q == TagData && two_rd) ? a_hold_q : acc_rsp_data_i;
    unique case (bsrc_q)
      BsrcMat, BsrcCol: s0_b_d = acc_rsp_data_i;
      BsrcRow:          s0_b_d = {Dim{brow_sel}};
      default:          s0_b_d = {Dim{imm_q}};
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (tag_q == TagHold) a_hold_q <= acc_rsp_data_i;
    if (tag_q == TagBrow) brow_q <= acc_rsp_data_i;
    if (launch) begin
      s0_a_q     <= s0_a_d;
      s0_b_q     <= s0_b_d;
      s0_hmask_q <= (tag_q == TagToken) ? '0 : ti_hmask_q;
      s0_tok_q   <= (tag_q == TagToken);
      s0_info_q  <= {tag_q == TagToken, ti_first_q, ti_last_q, ti_lidx_q, ti_vmask_q,
                     ti_addr_q};
    end
  end

  // ---------------------------------------------------------------- lanes
  logic [Dim-1:0]       lane_v;
  logic [RowW-1:0]      u_row;
  logic [Dim*FlagW-1:0] lane_fl;
  logic [Dim-1:0]       s0_vmask;

  assign s0_vmask = s0_info_q[OutAw +: Dim];

  for (genvar l = 0; l < Dim; l++) begin : g_lane
    ts_vec_lane #(.DivSqrt(DivSqrt), .BitsPerStage(BitsPerStage)) u_lane (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .op1_i      (op1_q),
      .sat_i      (sat_q),
      .fn_i       (fn_q),
      .in_valid_i (s0_v_q),
      .a_i        (s0_a_q[l*32 +: 32]),
      .b_i        (s0_b_q[l*32 +: 32]),
      .vld_i      (s0_vmask[l]),
      .hid_i      (s0_hmask_q[l]),
      .byp_i      (s0_tok_q),
      .out_valid_o(lane_v[l]),
      .u_o        (u_row[l*32 +: 32]),
      .flags_o    (lane_fl[l*FlagW +: FlagW])
    );
  end

  logic             u_v;
  logic [InfoW-1:0] u_info;

  ts_pipe #(.Width(InfoW), .Depth(LaneLat)) u_info_pipe (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(s0_v_q),
    .data_i (s0_info_q),
    .valid_o(u_v),
    .data_o (u_info)
  );

  // ---------------------------------------------------------------- R1 / R2
  logic             u_tok;
  logic [Dim-1:0]   u_vmask;
  logic             r2_v_q, r2_tok_q, r2_first_q, r2_last_q;
  logic [LgDim-1:0] r2_lidx_q;
  logic [Dim-1:0]   r2_vmask_q;
  logic [OutAw-1:0] r2_addr_q;
  logic [RowW-1:0]  r2_u_q, s_row;
  logic [FlagW-1:0] red_fl;

  assign u_tok   = u_info[InfoW-1];
  assign u_vmask = u_info[OutAw +: Dim];

  always_ff @(posedge clk_i) begin
    if (u_v) begin
      {r2_tok_q, r2_first_q, r2_last_q, r2_lidx_q, r2_vmask_q, r2_addr_q} <= u_info;
      r2_u_q <= u_row;
    end
  end

  ts_vec_red #(.Dim(Dim)) u_red (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .red_i      (red_q),
    .racc_i     (racc_q),
    .in_valid_i (u_v && !u_tok),
    .in_vmask_i (u_vmask),
    .in_u_i     (u_row),
    .r2_valid_i (r2_v_q),
    .r2_token_i (r2_tok_q),
    .r2_first_i (r2_first_q),
    .r2_last_i  (r2_last_q),
    .r2_lidx_i  (r2_lidx_q),
    .r2_gmask_i (r2_vmask_q),
    .r2_old_i   (r2_u_q),
    .s_row_o    (s_row),
    .flags_o    (red_fl)
  );

  // D rows: lanes c >= cols written as 0; SPAD rows narrowed (RNE).
  logic [RowW-1:0]      d_acc, d_sp;
  logic [Dim*FlagW-1:0] nar_fl;
  logic [FlagW-1:0]     nar_or, lane_or;
  logic                 to_sp, push;

  for (genvar l = 0; l < Dim; l++) begin : g_narrow
    logic [15:0] h;
    logic        unused_v;

    ts_fp_narrow #(.Stages(0)) u_narrow (
      .clk_i      (clk_i),
      .rst_ni     (rst_ni),
      .in_valid_i (r2_v_q),
      .fmt_i      (dst_q == DstBf16),
      .a_i        (r2_u_q[l*32 +: 32]),
      .out_valid_o(unused_v),
      .res_o      (h),
      .flags_o    (nar_fl[l*FlagW +: FlagW])
    );

    assign d_acc[l*32 +: 32] = r2_vmask_q[l] ? r2_u_q[l*32 +: 32] : 32'd0;
    assign d_sp[l*16 +: 16]  = r2_vmask_q[l] ? h : 16'd0;
  end
  assign d_sp[RowW-1:Dim*16] = '0;

  assign to_sp = !r2_tok_q && dst_q[1];
  assign push  = r2_v_q && (r2_tok_q || push_d);

  always_comb begin
    nar_or  = '0;
    lane_or = '0;
    for (int unsigned l = 0; l < Dim; l++) begin
      if (r2_vmask_q[l]) nar_or |= nar_fl[l*FlagW +: FlagW];
      lane_or |= lane_fl[l*FlagW +: FlagW];
    end
  end

  // ---------------------------------------------------------------- output FIFO
  logic [FifoW-1:0] fifo_in, fifo_out;
  logic             fifo_full, pop, head_sp;
  logic [$clog2(FifoDepth+1)-1:0] unused_fifo_cnt;

  assign fifo_in = {to_sp, to_sp ? OutAw'(r2_addr_q) : r2_addr_q,
                    r2_tok_q ? s_row : (to_sp ? d_sp : d_acc)};

  ts_fifo #(.Width(FifoW), .Depth(FifoDepth)) u_fifo (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .flush_i(1'b0),
    .push_i (push),
    .data_i (fifo_in),
    .pop_i  (pop),
    .data_o (fifo_out),
    .empty_o(fifo_empty),
    .full_o (fifo_full),
    .count_o(unused_fifo_cnt)
  );

  assign head_sp       = fifo_out[FifoW-1];
  assign acc_w_valid_o = !fifo_empty && !head_sp;
  assign sp_w_valid_o  = !fifo_empty && head_sp;
  assign acc_w_addr_o  = fifo_out[RowW +: AccAw];
  assign sp_w_addr_o   = fifo_out[RowW +: SpAw];
  assign acc_w_data_o  = fifo_out[RowW-1:0];
  assign sp_w_data_o   = fifo_out[Dim*16-1:0];
  assign pop           = (acc_w_valid_o && acc_w_ready_i) || (sp_w_valid_o && sp_w_ready_i);
  assign give          = pop;
  assign cred_d        = cmd_fire ? CntW'(FifoDepth) : cred_q - CntW'(take) + CntW'(give);

  logic unused_out;
  assign unused_out = ^{fifo_out[RowW +: OutAw], rd_addr, d_row, lane_v};

  // ---------------------------------------------------------------- flags, completion
  logic [FlagW-1:0] flags_q, flags_d;

  always_comb begin
    flags_d = flags_q;
    if (u_v) flags_d |= lane_or;
    if (has_red) flags_d |= red_fl;
    if (r2_v_q && !r2_tok_q && dst_q[1]) flags_d |= nar_or;
    if (cmd_fire) flags_d = '0;
    slots_d = slots_q + 8'(launch) - 8'(r2_v_q);
  end

  assign done_valid_o = (st_q == StDone);
  assign done_flags_o = flags_q;
  assign busy_o       = (st_q != StIdle);

  // ---------------------------------------------------------------- registers
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q    <= StIdle;
      tag_q   <= TagNone;
      s0_v_q  <= 1'b0;
      r2_v_q  <= 1'b0;
      cred_q  <= CntW'(FifoDepth);
      slots_q <= '0;
      flags_q <= '0;
    end else begin
      st_q    <= st_d;
      tag_q   <= tag_d;
      s0_v_q  <= launch;
      r2_v_q  <= u_v;
      cred_q  <= cred_d;
      slots_q <= slots_d;
      flags_q <= flags_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (cmd_fire) begin
      op1_q    <= cmd_op1_i;
      bsrc_q   <= cmd_bsrc_i;
      fn_q     <= cmd_fn_i;
      red_q    <= cmd_red_i;
      racc_q   <= cmd_racc_i;
      sat_q    <= cmd_sat_i;
      mask_q   <= cmd_mask_i;
      dst_q    <= cmd_dst_i;
      rows_q   <= cmd_rows_i;
      cols_q   <= cmd_cols_i;
      nblk_q   <= nblk_d;
      stride_q <= cmd_stride_i;
      moff_q   <= cmd_moff_i;
      imm_q    <= cmd_imm_i;
      b_addr_q <= cmd_b_addr_i;
      r_addr_q <= cmd_r_addr_i;
    end
    if (rd_fire || cmd_fire) begin
      r_q      <= r_d;
      j_q      <= j_d;
      grp_q    <= grp_d;
      a_base_q <= a_base_d;
      b_base_q <= b_base_d;
      d_base_q <= d_base_d;
    end
    if (rd_fire) begin
      ti_first_q <= ti_first_d;
      ti_last_q  <= ti_last_d;
      ti_lidx_q  <= ti_lidx_d;
      ti_vmask_q <= ti_vmask_d;
      ti_hmask_q <= ti_hmask_d;
      ti_addr_q  <= ti_addr_d;
    end
  end

  // Assertions
  `TS_ASSERT_INIT(a_dim, Dim >= 2 && (Dim & (Dim - 1)) == 0, "Dim must be a power of two >= 2")
  `TS_ASSERT_INIT(a_rows, AccRows >= 2 && SpadRows >= 2, "AccRows and SpadRows must be >= 2")
  `TS_ASSERT_INIT(a_bits, BitsPerStage >= 1 && BitsPerStage <= 27, "BitsPerStage in 1..27")
  `TS_ASSERT(a_rsp, acc_rsp_valid_i == (tag_q != TagNone), clk_i, rst_ni,
             "accumulator response not exactly one cycle after an accepted read")
  `TS_ASSERT(a_fifo_ovf, !(push && fifo_full && !pop), clk_i, rst_ni,
             "output FIFO overflow (credit error)")
  `TS_ASSERT(a_cred, int'(cred_q) <= FifoDepth, clk_i, rst_ni, "credit counter overflow")
  `TS_ASSERT(a_no_div, DivSqrt || st_q == StIdle || (fn_q != 3'd2 && fn_q != 3'd3), clk_i,
             rst_ni, "RECIP/RSQRT on an engine without dividers")
  `TS_ASSERT(a_cmd_rows, !cmd_fire || (cmd_rows_i != '0 && cmd_cols_i != '0), clk_i, rst_ni,
             "rows and cols must be >= 1")
  `TS_ASSERT(a_done_stable, !(done_valid_o && !done_ready_i) || st_d == StDone, clk_i,
             rst_ni, "done_valid_o dropped before it was accepted")

endmodule
