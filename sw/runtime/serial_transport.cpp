// SPDX-License-Identifier: Apache-2.0
// SerialTransport: the bridge's byte pipe over a POSIX tty (termios, raw 8N1).
#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tessera/bridge_device.hpp"

namespace tessera {
namespace {

speed_t speed_of(unsigned baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 2000000: return B2000000;
    case 3000000: return B3000000;
    default:
      throw std::invalid_argument("unsupported baud rate " + std::to_string(baud) +
                                  " (9600 ... 3000000, standard rates)");
  }
}

}  // namespace

SerialTransport::SerialTransport(const std::string& port, unsigned baud, double clock_hz,
                                 unsigned gap_ms)
    : port_(port), baud_(baud), clock_hz_(clock_hz), gap_ms_(gap_ms),
      t0_(std::chrono::steady_clock::now()) {
  const speed_t speed = speed_of(baud);
  fd_ = ::open(port.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot open " + port + ": " + std::strerror(errno));
  termios t{};
  if (tcgetattr(fd_, &t) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error(port + " is not a serial port: " + e);
  }
  cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS);
  t.c_iflag &= ~(IXON | IXOFF | IXANY);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  if (tcsetattr(fd_, TCSANOW, &t) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("cannot configure " + port + ": " + e);
  }
  tcflush(fd_, TCIOFLUSH);
}

SerialTransport::~SerialTransport() {
  if (fd_ >= 0) ::close(fd_);
}

void SerialTransport::write(const uint8_t* data, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw BridgeError("write to " + port_ + " failed: " + std::strerror(errno));
    }
    data += w;
    n -= size_t(w);
  }
}

size_t SerialTransport::read(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, int(gap_ms_));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw BridgeError("read from " + port_ + " failed: " + std::strerror(errno));
    }
    if (r == 0) break;  // the line stayed quiet
    const ssize_t k = ::read(fd_, out + got, n - got);
    if (k < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw BridgeError("read from " + port_ + " failed: " + std::strerror(errno));
    }
    if (k == 0) break;
    got += size_t(k);
  }
  return got;
}

void SerialTransport::resync() {
  // The bridge abandons a partial request after 1024 byte times (10 bits each).
  tcdrain(fd_);
  const double s = 1024.0 * 10.0 / baud_ + 0.02;
  std::this_thread::sleep_for(std::chrono::duration<double>(s));
  tcflush(fd_, TCIFLUSH);
}

uint64_t SerialTransport::cycles() const {
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  return uint64_t(s * clock_hz_);
}

}  // namespace tessera
