// A lock whose holder is killed inside its critical section is taken over,
// not lost: the next acquirer gets it at once and is told, so it can repair
// what the dead holder left half-done.
//
// Python: multiprocessing.Lock stays held forever when its holder dies
// (gh-88304): acquire(timeout=2) returns False, a plain acquire() hangs.
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

int main() {
  mp::lock lock;
  mp::event inside;  // the child says when it holds the lock

  mp::process holder([lock, inside]() mutable {
    lock.acquire();
    std::cout << "Child: holding the lock, about to be killed" << std::endl;
    inside.set();
    std::this_thread::sleep_for(1h);  // killed long before this ends
  });
  holder.start();
  inside.wait();

  if (!lock.acquire(false)) std::cout << "Main: the lock is held" << std::endl;
  holder.kill();
  holder.join();
  std::cout << "Main: child ended with exit code " << *holder.exitcode()
            << std::endl;

  auto got = lock.acquire(2s);
  std::cout << "Main: acquired " << std::boolalpha << got.acquired()
            << ", owner died " << got.owner_died() << std::endl;
  // ... repair the shared data the child may have left half-written ...
  lock.release();

  // Nothing is poisoned: the next acquisition is a plain one.
  std::lock_guard guard(lock);
  std::cout << "Main: acquired again, owner died " << lock.owner_died()
            << std::endl;
}
