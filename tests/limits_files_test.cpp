// File caps: open files (EMFILE), file size (SIGXFSZ, or EFBIG when the
// child ignores it) and core dumps (off unless asked for).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

#include "limits_test_support.hpp"

namespace mp = multiproc;
namespace mt = multiproc::testing;

namespace {

// Opens /dev/null until it fails; returns the errno of the failure.
int open_until_refused() {
  std::vector<int> fds;
  int err = 0;
  for (int i = 0; i < 100000; ++i) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
      break;
    }
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  return err;
}

// Writes `bytes` to a fresh temporary file; returns the errno of a failed
// write, 0 when all went through.
int write_file(std::size_t bytes) {
  char path[] = "/tmp/multiproc_limits_XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return -1;
  ::unlink(path);
  std::vector<char> block(4096, 'x');
  int err = 0;
  for (std::size_t written = 0; written < bytes; written += block.size()) {
    if (::write(fd, block.data(), block.size()) < 0) {
      err = errno;
      break;
    }
  }
  ::close(fd);
  return err;
}

}  // namespace

TEST(LimitsFiles, OpenFilesCapIsEmfile) {
  mp::limits caps;
  caps.open_files = 32;
  EXPECT_EQ(mp::call({.limits = caps}, open_until_refused), EMFILE);
  // The parent may open as many as before.
  EXPECT_GE(mt::limit_of(RLIMIT_NOFILE).rlim_cur, 32u * 4);
}

TEST(LimitsFiles, FileSizeCapKillsWithSigxfszAndSaysSo) {
  mp::limits caps;
  caps.file_size = 64 * 1024;
  auto f = mp::async({.limits = caps}, write_file, std::size_t{1} << 20);
  try {
    f.get();
    ADD_FAILURE() << "the write past the cap went through";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGXFSZ);
    EXPECT_STREQ(e.what(),
                 "process died with exit code -25 (SIGXFSZ): file size limit "
                 "of 65536 bytes reached");
  }
}

TEST(LimitsFiles, FileSizeCapIsEfbigWhenSigxfszIsIgnored) {
  mp::limits caps;
  caps.file_size = 64 * 1024;
  EXPECT_EQ(mp::call({.limits = caps},
                     [] {
                       std::signal(SIGXFSZ, SIG_IGN);
                       return write_file(std::size_t{1} << 20);
                     }),
            EFBIG);
}

// Lets this process dump core for the duration of a test, so that a child
// with core dumps switched off differs from one that inherits the setting.
class core_dumps_allowed {
 public:
  core_dumps_allowed() : saved_(mt::limit_of(RLIMIT_CORE)) {
    rlimit allowed = saved_;
    allowed.rlim_cur = saved_.rlim_max == RLIM_INFINITY
                           ? rlim_t{1} << 20
                           : std::min<rlim_t>(saved_.rlim_max, rlim_t{1} << 20);
    ::setrlimit(RLIMIT_CORE, &allowed);
  }
  ~core_dumps_allowed() { ::setrlimit(RLIMIT_CORE, &saved_); }
  bool possible() const { return saved_.rlim_max != 0; }

 private:
  rlimit saved_;
};

TEST(LimitsFiles, CoreDumpsAreOffByDefaultWithLimits) {
  core_dumps_allowed allowed;
  if (!allowed.possible()) GTEST_SKIP() << "the hard core limit is 0 here";
  ASSERT_NE(mt::limit_of(RLIMIT_CORE).rlim_cur, 0u);
  mp::limits caps;
  caps.open_files = 1000;
  EXPECT_EQ(mp::call({.limits = caps},
                     [] { return mt::limit_of(RLIMIT_CORE).rlim_cur; }),
            0u);
}

TEST(LimitsFiles, CoreDumpsCanBeKept) {
  core_dumps_allowed allowed;
  if (!allowed.possible()) GTEST_SKIP() << "the hard core limit is 0 here";
  mp::limits caps;
  caps.core_dumps = true;
  EXPECT_EQ(mp::call({.limits = caps},
                     [] { return mt::limit_of(RLIMIT_CORE).rlim_cur; }),
            mt::limit_of(RLIMIT_CORE).rlim_cur);
}

TEST(LimitsFiles, NoLimitsChangeNothing) {
  core_dumps_allowed allowed;
  const rlimit parent_core = mt::limit_of(RLIMIT_CORE);
  EXPECT_EQ(mp::call([] { return mt::limit_of(RLIMIT_CORE).rlim_cur; }),
            parent_core.rlim_cur);
}
