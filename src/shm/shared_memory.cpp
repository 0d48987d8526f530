// mp::shared_memory: a memfd (anonymous) or an shm_open name (on request),
// mapped once per process and shared by every handle there.
#include "multiproc/shared_memory.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <mutex>
#include <system_error>

#include "multiproc/errors.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0 {

namespace sys = detail::sys;

namespace detail::shm {

struct segment {
  std::mutex mutex;
  std::atomic<std::byte*> base{nullptr};  // null once closed
  std::size_t size = 0;
  std::size_t mapped = 0;  // what mmap was given (size, at least 1)
  int fd = -1;
  std::string name;  // without the leading '/'; empty: anonymous
  bool unlink_on_close = false;
  pid_t creator = 0;  // a fork child of the creator is not the creator
  std::uint64_t birth = detail::sync::next_birth();

  ~segment() { close(); }

  void close() noexcept {
    std::lock_guard lock(mutex);
    std::byte* at = base.exchange(nullptr);
    if (at == nullptr) return;
    ::munmap(at, mapped);
    ::close(fd);
    fd = -1;
    if (unlink_on_close && ::getpid() == creator) {
      (void)detail::sys::shm_unlink(("/" + name).c_str());
    }
    unlink_on_close = false;
  }
};

}  // namespace detail::shm

namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

}  // namespace

shared_memory::shared_memory(std::size_t size)
    : shared_memory([size] {
        shared_memory_options options;
        options.create = true;
        options.size = size;
        return options;
      }()) {}

shared_memory::shared_memory(shared_memory_options options) {
  // Python's checks, in Python's order.
  if (options.size > static_cast<std::size_t>(PTRDIFF_MAX)) {
    throw usage_error("'size' must be a positive integer");
  }
  if (options.create && options.size == 0) {
    throw usage_error("'size' must be a positive number different from zero");
  }
  if (options.name.empty() && !options.create) {
    throw usage_error("'name' can only be None if create=True");
  }
  auto s = std::make_shared<detail::shm::segment>();
  const std::string path = "/" + options.name;
  int fd = -1;
  bool created_name = false;
  if (options.name.empty()) {
    fd = sys::memfd_create("multiproc-shared-memory", MFD_CLOEXEC);
    if (fd < 0) throw_errno(errno, "memfd_create");
  } else {
    const int flags =
        O_RDWR | O_CLOEXEC | (options.create ? O_CREAT | O_EXCL : 0);
    fd = sys::shm_open(path.c_str(), flags, 0600);
    if (fd < 0) throw_errno(errno, path);
    created_name = options.create;
  }
  // From here on a failure must leave neither a name nor a descriptor.
  auto fail = [&](int error, const char* what) {
    ::close(fd);
    if (created_name) (void)sys::shm_unlink(path.c_str());
    throw_errno(error, what);
  };
  std::size_t size = options.size;
  if (options.create) {
    if (sys::ftruncate(fd, static_cast<off_t>(size)) != 0)
      fail(errno, "ftruncate");
  } else {
    struct stat st {};
    if (sys::fstat(fd, &st) != 0) fail(errno, "fstat");
    size = static_cast<std::size_t>(st.st_size);
  }
  // mmap refuses a length of 0 (an attached empty segment): map one page
  // of nothing, and show an empty buf().
  const std::size_t mapped = size > 0 ? size : 1;
  void* base =
      sys::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) fail(errno, "mmap");
  s->base = static_cast<std::byte*>(base);
  s->size = size;
  s->mapped = mapped;
  s->fd = fd;
  s->name = std::move(options.name);
  s->unlink_on_close = created_name && options.track;
  s->creator = ::getpid();
  segment_ = std::move(s);
}

std::span<std::byte> shared_memory::buf() const noexcept {
  std::byte* base = segment_->base.load(std::memory_order_acquire);
  if (base == nullptr) return {};
  return {base, segment_->size};
}

std::string shared_memory::name() const { return segment_->name; }

std::size_t shared_memory::size() const noexcept { return segment_->size; }

void shared_memory::close() { segment_->close(); }

void shared_memory::unlink() {
  if (segment_->name.empty()) {
    throw_errno(ENOENT, "unlink of an anonymous shared_memory");
  }
  unlink(segment_->name);
  std::lock_guard lock(segment_->mutex);
  segment_->unlink_on_close = false;
}

std::uint64_t handle_birth(const shared_memory& shm) noexcept {
  return shm.segment_->birth;
}

void shared_memory::unlink(const std::string& name) {
  const std::string path = "/" + name;
  if (sys::shm_unlink(path.c_str()) != 0) throw_errno(errno, path);
}

}  // namespace multiproc::inline v0
