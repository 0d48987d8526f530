// multiproc::wait() and as_completed() on futures: one poll() over the
// pidfds of async() children and one eventfd that pool tasks signal.
//
// The first look checks every future. After that only those that can have
// changed are looked at again: the positions whose pidfd poll() reported,
// and the tokens pool tasks handed to notify(). So waiting for n futures
// one by one (as_completed) costs O(n) looks in all plus one poll() setup
// per wake, not O(n) looks per wake.
#include "multiproc/futures_wait.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "multiproc/errors.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {
namespace {

bool passed(const std::optional<steady_deadline>& deadline) {
  return deadline && std::chrono::steady_clock::now() >= *deadline;
}

// The futures of one wait() or as_completed(), what is known of each, and
// the subscriptions that tell it when more may be known.
class future_set final : public ready_listener {
 public:
  explicit future_set(std::span<const waitable_future> futures)
      : pending_(futures.size(), 1), pending_count_(futures.size()) {
    cores_.reserve(futures.size());
    for (const waitable_future& f : futures) {
      // Checked before anything blocks or subscribes, as future::wait().
      if (f.core() == nullptr || f.core()->retrieved.load()) {
        throw std::future_error(std::future_errc::no_state);
      }
      cores_.push_back(f.core());
    }
  }

  ~future_set() {
    if (!subscribed_) return;
    for (std::size_t i = 0; i < cores_.size(); ++i) {
      if (fds_[i] < 0) cores_[i]->unsubscribe(*this, i);
    }
  }

  future_set(const future_set&) = delete;
  future_set& operator=(const future_set&) = delete;

  std::size_t size() const noexcept { return cores_.size(); }
  std::size_t pending_count() const noexcept { return pending_count_; }
  bool is_pending(std::size_t i) const noexcept { return pending_[i] != 0; }

  // The positions found done since the last call, ascending, each with what
  // a peek found. Every position is reported once.
  std::vector<std::pair<std::size_t, outcome_state>> collect() {
    if (looked_once_) {
      std::lock_guard lock(fired_mutex_);
      if (fired_overflow_) {
        look_at_all_ = true;
        fired_overflow_ = false;
      }
      candidates_.insert(candidates_.end(), fired_.begin(), fired_.end());
      fired_.clear();
    } else {
      look_at_all_ = true;
      looked_once_ = true;
    }
    if (look_at_all_) {
      candidates_.clear();
      for (std::size_t i = 0; i < cores_.size(); ++i) {
        if (pending_[i] != 0) candidates_.push_back(i);
      }
      look_at_all_ = false;
    } else {
      std::sort(candidates_.begin(), candidates_.end());
      candidates_.erase(std::unique(candidates_.begin(), candidates_.end()),
                        candidates_.end());
    }
    std::vector<std::pair<std::size_t, outcome_state>> found;
    for (std::size_t i : candidates_) {
      if (pending_[i] == 0) continue;
      const outcome_state state = cores_[i]->peek();
      if (state == outcome_state::pending) continue;
      pending_[i] = 0;
      --pending_count_;
      found.emplace_back(i, state);
    }
    candidates_.clear();
    return found;
  }

  // Blocks until a pending future may have become done, or `deadline`
  // passes (false then, with nothing new to collect from poll()). A
  // deadline already passed looks once; before the first subscription
  // collect() has just looked at everything, so that look is skipped.
  bool block(std::optional<steady_deadline> deadline) {
    if (!subscribed_) {
      if (passed(deadline)) return false;
      subscribe_all();
    }
    {
      std::lock_guard lock(fired_mutex_);
      if (!fired_.empty() || fired_overflow_) return true;
    }
    poll_.clear();
    poll_positions_.clear();
    poll_.push_back({event_.get(), POLLIN, 0});
    for (std::size_t i = 0; i < cores_.size(); ++i) {
      if (pending_[i] != 0 && fds_[i] >= 0) {
        poll_.push_back({fds_[i], POLLIN, 0});
        poll_positions_.push_back(i);
      }
    }
    int ready = 0;
    if (int err = pidfd::wait_readable(poll_, deadline, ready)) {
      throw std::system_error(err, std::generic_category(), "ppoll");
    }
    if (ready == 0) return false;
    if (poll_[0].revents != 0) {
      // Reset the counter, or every later poll() would return at once. A
      // notify after this read sets it again: nothing is lost.
      io::eventfd_drain(event_.get());
    }
    for (std::size_t k = 0; k < poll_positions_.size(); ++k) {
      if (poll_[k + 1].revents != 0) {
        candidates_.push_back(poll_positions_[k]);
      }
    }
    return true;
  }

  void notify(std::size_t token) noexcept override {
    {
      std::lock_guard lock(fired_mutex_);
      // The room was reserved at subscription, so this never allocates
      // (notify runs on a pool's dispatcher thread and must not throw).
      // Should a task notify twice, look at everything instead.
      if (fired_.size() < fired_.capacity()) {
        fired_.push_back(token);
      } else {
        fired_overflow_ = true;
      }
    }
    io::eventfd_notify(event_.get());
  }

 private:
  void subscribe_all() {
    if (int err = io::create_eventfd(event_)) {
      throw std::system_error(err, std::generic_category(), "eventfd");
    }
    fired_.reserve(cores_.size());
    fds_.assign(cores_.size(), 0);  // not subscribed: nothing to undo
    subscribed_ = true;
    for (std::size_t i = 0; i < cores_.size(); ++i) {
      if (pending_[i] == 0) continue;
      // Mark it as listener-based first: should subscribe() throw half way
      // the destructor undoes it (removing what is not there is harmless).
      fds_[i] = -1;
      fds_[i] = cores_[i]->subscribe(*this, i);
    }
  }

  std::vector<future_core*> cores_;
  std::vector<char> pending_;
  std::size_t pending_count_;
  std::vector<std::size_t> candidates_;
  bool looked_once_ = false;
  bool look_at_all_ = false;

  bool subscribed_ = false;
  std::vector<int> fds_;  // per position: a pidfd, or -1 for a listener
  unique_fd event_;
  std::vector<pollfd> poll_;
  std::vector<std::size_t> poll_positions_;

  std::mutex fired_mutex_;
  std::vector<std::size_t> fired_;
  bool fired_overflow_ = false;
};

}  // namespace

done_and_not_done wait_futures(std::span<const waitable_future> futures,
                               std::optional<steady_deadline> deadline,
                               return_when when) {
  future_set set(futures);
  bool failed = false;
  for (;;) {
    for (const auto& [position, state] : set.collect()) {
      (void)position;
      if (state == outcome_state::failed) failed = true;
    }
    if (set.pending_count() == 0) break;
    if (when == return_when::first_completed &&
        set.pending_count() < set.size()) {
      break;
    }
    if (when == return_when::first_exception && failed) break;
    if (!set.block(deadline)) {
      // One last look: a pool task may have notified just as time ran out.
      (void)set.collect();
      break;
    }
  }
  done_and_not_done result;
  result.done.reserve(set.size() - set.pending_count());
  result.not_done.reserve(set.pending_count());
  for (std::size_t i = 0; i < set.size(); ++i) {
    (set.is_pending(i) ? result.not_done : result.done).push_back(i);
  }
  return result;
}

class completion_order {
 public:
  completion_order(std::span<const waitable_future> futures,
                   std::optional<steady_deadline> deadline,
                   std::chrono::nanoseconds timeout)
      : set_(futures), deadline_(deadline), timeout_(timeout) {}

  std::optional<std::size_t> next() {
    for (;;) {
      if (!ready_.empty()) {
        const std::size_t position = ready_.front();
        ready_.pop_front();
        return position;
      }
      if (set_.pending_count() == 0) return std::nullopt;
      if (take_found()) continue;
      if (!set_.block(deadline_)) {
        if (take_found()) continue;
        char text[96];
        std::snprintf(text, sizeof text, "%zu (of %zu) futures unfinished",
                      set_.pending_count(), set_.size());
        throw timeout_error(timeout_, text);
      }
    }
  }

 private:
  bool take_found() {
    for (const auto& [position, state] : set_.collect()) {
      (void)state;
      ready_.push_back(position);
    }
    return !ready_.empty();
  }

  future_set set_;
  std::optional<steady_deadline> deadline_;
  std::chrono::nanoseconds timeout_;
  std::deque<std::size_t> ready_;
};

void completion_order_deleter::operator()(
    completion_order* order) const noexcept {
  delete order;
}

completion_order_ptr make_completion_order(
    std::span<const waitable_future> futures,
    std::optional<steady_deadline> deadline, std::chrono::nanoseconds timeout) {
  return completion_order_ptr(new completion_order(futures, deadline, timeout));
}

std::optional<std::size_t> next_completed(completion_order& order) {
  return order.next();
}

}  // namespace multiproc::inline v0::detail
