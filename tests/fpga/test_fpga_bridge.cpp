// SPDX-License-Identifier: Apache-2.0
// ts_fpga_top ('tiny') through its UART pins: BridgeDevice over a bit-level simulated UART
// runs the protocol's requests, refusals and wire errors, CSR and memory round trips, and
// Runtime::gemm end to end against the golden model (gemm_case.hpp). Built twice: as
// test_fpga on the RTL, and as test_fpga_netlist (TS_FPGA_NETLIST) on tb::FpgaLockstep, the
// RTL and the Yosys netlist of ts_fpga_top's own logic side by side on the same stimulus.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gemm_case.hpp"
#include "tessera/bridge_device.hpp"
#include "tessera/isa.hpp"
#include "tessera/runtime.hpp"
#include "test_util.hpp"
#include "uart_sim.hpp"
#ifdef TS_FPGA_NETLIST
#include "fpga_lockstep.hpp"
#else
#include "Vts_fpga_top.h"
#endif

namespace tessera {
namespace {

#ifdef TS_FPGA_NETLIST
using Uart = tb::SimUart<tb::FpgaLockstep>;
#else
using Uart = tb::SimUart<Vts_fpga_top>;
#endif
constexpr uint32_t kRamBase = 0x1000'0000u;
constexpr uint32_t kRamBytes = 16384;

// The simulated UART with faults injected on the board-to-host direction: the n-th byte
// read from now on has a bit flipped, or the line goes dead for one request.
class FaultyUart final : public ByteTransport {
 public:
  explicit FaultyUart(std::unique_ptr<Uart> u) : u_(std::move(u)) {}
  void write(const uint8_t* d, size_t n) override {
    if (mute_writes_) {
      mute_writes_ = false;  // lost on the wire: the bridge never sees this request
      return;
    }
    u_->write(d, n);
  }
  size_t read(uint8_t* out, size_t n) override {
    const size_t got = u_->read(out, n);
    for (size_t i = 0; i < got; ++i) {
      if (flip_in_ >= 0 && flip_in_-- == 0) out[i] ^= 0x10;
    }
    return got;
  }
  void resync() override {
    ++resyncs;
    u_->resync();
  }
  uint64_t cycles() const override { return u_->cycles(); }
  std::string name() const override { return u_->name(); }

  Uart& uart() { return *u_; }
  void flip_received_byte(int n) { flip_in_ = n; }
  void lose_next_write() { mute_writes_ = true; }
  int resyncs = 0;

 private:
  std::unique_ptr<Uart> u_;
  int flip_in_ = -1;
  bool mute_writes_ = false;
};

struct Board {
  FaultyUart* link = nullptr;
  std::unique_ptr<BridgeDevice> dev;
  Uart& uart() { return link->uart(); }
};

Board make_board(const char* config = "tiny", uint64_t seed = 1) {
  auto u = std::make_unique<Uart>(test::test_name(), uint32_t(seed), TS_FPGA_CLK_DIV,
                                  TS_FPGA_TIMEOUT);
  auto f = std::make_unique<FaultyUart>(std::move(u));
  Board b;
  b.link = f.get();
  b.dev = std::make_unique<BridgeDevice>(find_config(config), std::move(f));
  return b;
}

// Sends raw request bytes, returns the response bytes (all that arrive).
std::vector<uint8_t> raw(Uart& u, const std::vector<uint8_t>& req, size_t expect) {
  u.write(req.data(), req.size());
  std::vector<uint8_t> r(expect + 8);
  r.resize(u.read(r.data(), r.size()));
  return r;
}

TEST(FpgaBridge, InfoAndConfiguration) {
  Board b = make_board();
  const bridge::Info i = b.dev->info();
  EXPECT_EQ(i.version, bridge::kVersion);
  EXPECT_EQ(i.ram_base, kRamBase);
  EXPECT_EQ(i.ram_bytes, kRamBytes);
  EXPECT_FALSE(i.irq);
  ASSERT_TRUE(b.dev->memory_range().has_value());
  EXPECT_EQ(b.dev->memory_range()->size, kRamBytes);
  EXPECT_EQ(b.dev->config().name, "tiny");
  EXPECT_EQ(b.dev->csr_read(isa::csr::kId), isa::csr::kIdValue);
  EXPECT_EQ(b.dev->backend(), "simulated UART");
}

TEST(FpgaBridge, WrongConfigurationIsNamed) {
  try {
    make_board("default");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is configuration 'tiny', not 'default'"),
              std::string::npos)
        << e.what();
  }
}

TEST(FpgaBridge, CsrRoundTrip) {
  Board b = make_board();
  namespace c = isa::csr;
  std::mt19937_64 r(test::seed());
  for (int i = 0; i < 4; ++i) {
    const uint32_t base = uint32_t(r()), last = uint32_t(r()), ring = uint32_t(r());
    b.dev->csr_write(c::win_base(1), base);
    b.dev->csr_write(c::win_last(1), last);
    b.dev->csr_write(c::kRingBase, ring);
    EXPECT_EQ(b.dev->csr_read(c::win_base(1)), base);
    EXPECT_EQ(b.dev->csr_read(c::win_last(1)), last);
    EXPECT_EQ(b.dev->csr_read(c::kRingBase), ring & ~31u);  // 32-byte aligned
  }
  EXPECT_EQ(b.dev->csr_read(c::kCfgDim) & 0xff, 4u);
  std::printf("[ uart     ] %llu bytes sent, %llu received, %llu cycles\n",
              static_cast<unsigned long long>(b.uart().bytes_sent()),
              static_cast<unsigned long long>(b.uart().bytes_received()),
              static_cast<unsigned long long>(b.dev->cycles()));
}

TEST(FpgaBridge, MemoryRoundTrip) {
  Board b = make_board();
  std::mt19937_64 r(test::seed());
  struct Span {
    uint32_t off, n;
  };
  // Unaligned, one byte, a whole frame, more than a frame, the last bytes of the RAM.
  const Span spans[] = {{0, 1}, {3, 13}, {64, 256}, {1001, 300}, {kRamBytes - 37, 37}};
  std::vector<std::vector<uint8_t>> data;
  for (const Span& s : spans) {
    std::vector<uint8_t> d(s.n);
    for (auto& x : d) x = uint8_t(r());
    b.dev->mem_write(kRamBase + s.off, d);
    data.push_back(d);
  }
  for (size_t i = 0; i < std::size(spans); ++i) {
    EXPECT_EQ(b.dev->mem_read(kRamBase + spans[i].off, spans[i].n), data[i]) << "span " << i;
  }
}

TEST(FpgaBridge, RefusedRequestsChangeNothing) {
  Board b = make_board();
  Uart& u = b.uart();
  std::vector<uint8_t> ref(512);
  std::mt19937_64 r(test::seed());
  for (auto& x : ref) x = uint8_t(r());
  b.dev->mem_write(kRamBase, ref);                      // first 512 bytes
  b.dev->mem_write(kRamBase + kRamBytes - 512, ref);    // last 512 bytes
  const uint8_t pay[4] = {1, 2, 3, 4};

  // Bad opcode.
  EXPECT_EQ(b.dev->transact(0x07, kRamBase, 0, nullptr, 0, nullptr, 0), bridge::kBadOp);
  EXPECT_EQ(b.dev->transact(0x00, kRamBase, 0, nullptr, 0, nullptr, 0), bridge::kBadOp);
  // Memory outside the RAM: below, straddling the end, far away.
  std::vector<uint8_t> junk(256, 0xee);
  EXPECT_EQ(b.dev->transact(bridge::kMemWrite, kRamBase - 1, 1, junk.data(), 2, nullptr, 0),
            bridge::kBadAddr);
  EXPECT_EQ(b.dev->transact(bridge::kMemWrite, kRamBase + kRamBytes - 8, 8, junk.data(), 9,
                            nullptr, 0),
            bridge::kBadAddr);
  EXPECT_EQ(b.dev->transact(bridge::kMemWrite, 0, 255, junk.data(), 256, nullptr, 0),
            bridge::kBadAddr);
  uint8_t out[16];
  EXPECT_EQ(b.dev->transact(bridge::kMemRead, kRamBase + kRamBytes - 4, 15, nullptr, 0, out, 16),
            bridge::kBadAddr);
  // CSR address unaligned or beyond the 4 KiB CSR space.
  EXPECT_EQ(b.dev->transact(bridge::kCsrWrite, 0x042, 0, pay, 4, nullptr, 0), bridge::kBadAddr);
  EXPECT_EQ(b.dev->transact(bridge::kCsrRead, 0x1000, 0, nullptr, 0, out, 4), bridge::kBadAddr);
  // A MEM_WRITE with a wrong checksum: refused, memory untouched.
  std::vector<uint8_t> req = bridge::encode(bridge::kMemWrite, kRamBase + 8, 31, junk.data(), 32);
  req.back() ^= 1;
  std::vector<uint8_t> resp = raw(u, req, 3);
  ASSERT_EQ(resp.size(), 3u);
  EXPECT_EQ(resp[0], bridge::kRespSync);
  EXPECT_EQ(resp[1], bridge::kBadCrc);
  EXPECT_EQ(resp[2], bridge::crc8(&resp[1], 1));
  // A corrupted payload byte, same.
  req = bridge::encode(bridge::kMemWrite, kRamBase + 8, 31, junk.data(), 32);
  req[20] ^= 0x80;
  resp = raw(u, req, 3);
  ASSERT_EQ(resp.size(), 3u);
  EXPECT_EQ(resp[1], bridge::kBadCrc);

  // Through the Device API: one-line messages naming the refusal.
  try {
    b.dev->mem_write(kRamBase + kRamBytes - 2, junk.data(), 4);
    FAIL() << "no exception";
  } catch (const BridgeError& e) {
    EXPECT_EQ(e.status, bridge::kBadAddr);
    EXPECT_NE(std::string(e.what()).find("address out of range"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  EXPECT_THROW(b.dev->csr_read(0x2000), BridgeError);

  EXPECT_EQ(b.dev->mem_read(kRamBase, 512), ref);
  EXPECT_EQ(b.dev->mem_read(kRamBase + kRamBytes - 512, 512), ref);
  EXPECT_EQ(b.dev->csr_read(isa::csr::kId), isa::csr::kIdValue);  // still in service
}

TEST(FpgaBridge, WireErrorsThrowAndRecover) {
  Board b = make_board();
  namespace c = isa::csr;
  // A corrupted status byte, a corrupted data byte, a corrupted sync byte: the response
  // check fails, the device resynchronises before the next request.
  for (int n : {1, 3, 0}) {
    b.link->flip_received_byte(n);
    try {
      b.dev->csr_read(c::kId);
      FAIL() << "no exception for flipped byte " << n;
    } catch (const BridgeError& e) {
      const std::string m = e.what();
      EXPECT_TRUE(m.find("checksum") != std::string::npos ||
                  m.find("sync") != std::string::npos || m.find("cut short") != std::string::npos)
          << m;
      EXPECT_EQ(e.status, -1);
    }
    EXPECT_EQ(b.dev->csr_read(c::kId), c::kIdValue);
  }
  // A request lost on the wire: timeout, then recovery.
  b.link->lose_next_write();
  try {
    b.dev->csr_read(c::kId);
    FAIL() << "no exception";
  } catch (const BridgeError& e) {
    EXPECT_NE(std::string(e.what()).find("no response (timeout)"), std::string::npos) << e.what();
  }
  EXPECT_EQ(b.dev->csr_read(c::kId), c::kIdValue);
  EXPECT_GE(b.link->resyncs, 5);  // construction + four recoveries
}

TEST(FpgaBridge, BridgeResynchronises) {
  Board b = make_board();
  Uart& u = b.uart();
  namespace c = isa::csr;
  // A request cut short: the bridge abandons it after its frame timeout.
  const std::vector<uint8_t> req = bridge::encode(bridge::kCsrRead, c::kId, 0, nullptr, 0);
  u.write(req.data(), 4);
  u.idle(TS_FPGA_TIMEOUT + 200);
  EXPECT_EQ(u.pending_input(), 0u);  // no response to a partial request
  EXPECT_EQ(b.dev->csr_read(c::kId), c::kIdValue);
  // Line noise: junk bytes and a character with a framing error before a request.
  const uint8_t junk[3] = {0x00, 0xff, 0x13};
  u.write(junk, 3);
  u.write_bad_stop(bridge::kReqSync);
  u.idle(200);
  EXPECT_EQ(b.dev->csr_read(c::kId), c::kIdValue);
}

// The serial backend itself ("serial:<tty>" through make_device, SerialTransport's termios
// and poll code) on a pseudo-terminal whose other end a thread feeds into the simulated
// board's UART pins, clocking the model all the time as a board's clock would.
TEST(FpgaBridge, SerialBackendOverPty) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  std::atomic<bool> stop{false};
  std::string thread_error;
  std::thread board([&] {
    try {
      Uart u("FpgaBridge.SerialBackendOverPty", 1, TS_FPGA_CLK_DIV, TS_FPGA_TIMEOUT);
      uint8_t buf[512];
      while (!stop) {
        pollfd p{master, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN)) {
          const ssize_t k = ::read(master, buf, sizeof buf);
          if (k > 0) u.write(buf, size_t(k));
        }
        u.idle(64);
        const std::vector<uint8_t> out = u.take_received();
        if (!out.empty() && ::write(master, out.data(), out.size()) != ssize_t(out.size())) {
          throw std::runtime_error("pty write failed");
        }
      }
    } catch (const std::exception& e) {
      thread_error = e.what();
    }
  });
  try {
    DeviceOptions o;
    o.baud = 115200;  // a pty ignores it
    std::unique_ptr<Device> dev = make_device("tiny", "serial:" + slave, o);
    EXPECT_EQ(dev->backend(), "serial:" + slave);
    EXPECT_EQ(dev->csr_read(isa::csr::kId), isa::csr::kIdValue);
    dev->csr_write(isa::csr::win_base(1), 0x12345678u);
    EXPECT_EQ(dev->csr_read(isa::csr::win_base(1)), 0x12345678u);
    std::vector<uint8_t> d(300);
    for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(i * 7 + 1);
    dev->mem_write(kRamBase + 100, d);
    EXPECT_EQ(dev->mem_read(kRamBase + 100, d.size()), d);
    EXPECT_THROW(dev->mem_read(kRamBase + kRamBytes, 1), BridgeError);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  stop = true;
  board.join();
  ::close(master);
  EXPECT_EQ(thread_error, "");
}

// One Runtime GEMM through the UART; returns the cycles the whole case took.
uint64_t gemm_over_uart(const test::Case& c, uint64_t seed) {
  Board b = make_board("tiny", seed);
  RuntimeOptions ro;
  ro.dram_base = b.dev->memory_range()->base;
  ro.dram_size = b.dev->memory_range()->size;
  ro.ring_slots = 32;
  const uint64_t c0 = b.dev->cycles();
  const auto t0 = std::chrono::steady_clock::now();
  const test::CaseResult res = test::run_gemm_case(*b.dev, c, seed, ro);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const uint64_t cyc = b.dev->cycles() - c0;
  // Chip busy: PERF.Busy (doorbell to done); host wait: until the polling host saw it.
  std::printf("[ gemm     ] %s: %llu cycles in all (chip busy %llu, host wait %llu), "
              "%llu UART bytes, %.2f s\n",
              test::str(c).c_str(), static_cast<unsigned long long>(cyc),
              static_cast<unsigned long long>(res.stats.perf[isa::kPerfBusy]),
              static_cast<unsigned long long>(res.stats.cycles),
              static_cast<unsigned long long>(b.uart().bytes_sent() + b.uart().bytes_received()),
              s);
  return cyc;
}

TEST(FpgaBridge, GemmEndToEnd) {
  test::Case c;
  c.config = "tiny";
  c.dt = isa::Dtype::kFp16;
  c.m = 8;
  c.n = 8;
  c.k = 8;
  gemm_over_uart(c, test::seed());
}

TEST(FpgaBridgeSlow, GemmShapes) {
  const uint64_t seed = test::seed();
  auto mk = [](isa::Dtype dt, uint32_t m, uint32_t n, uint32_t k, bool at, bool bt, bool acc,
               isa::StoreFormat out) {
    test::Case c;
    c.config = "tiny";
    c.dt = dt;
    c.m = m;
    c.n = n;
    c.k = k;
    c.at = at;
    c.bt = bt;
    c.acc = acc;
    c.out = out;
    return c;
  };
  gemm_over_uart(mk(isa::Dtype::kBf16, 13, 9, 21, false, false, true, isa::StoreFormat::kBf16), seed);
  gemm_over_uart(mk(isa::Dtype::kInt8, 16, 12, 20, false, true, false, isa::StoreFormat::kInt8), seed);
  gemm_over_uart(mk(isa::Dtype::kFp16, 24, 20, 32, true, false, false, isa::StoreFormat::kFp16), seed);
}

}  // namespace
}  // namespace tessera
