// A producer killed mid-stream: the consumer keeps every item whose put()
// returned, never half of one, and then learns that no producer is left
// (eof_error) instead of waiting forever.
//
// Python: a producer killed inside put() can tear the pipe, and a get()
// after every producer died hangs (gh-87971).
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

int main() {
  mp::queue<std::string> q(8);

  mp::process producer([q]() mutable {
    for (int i = 0;; ++i) {
      q.put("item " + std::to_string(i) + std::string(100000, '.'));
    }
  });
  producer.start();

  int got = 0;
  bool whole = true;
  const auto take = [&](const std::string& item) {
    whole = whole &&
            item == "item " + std::to_string(got) + std::string(100000, '.');
    ++got;
  };
  while (got < 20) take(q.get());
  producer.kill();  // while it puts: inside put(), or between two
  producer.join();
  std::cout << "Main: producer killed, exit code " << *producer.exitcode()
            << std::endl;
  try {
    for (;;) take(q.get());  // what it put before it died, in order
  } catch (const mp::eof_error& e) {
    std::cout << "Main: got " << (got >= 20 ? "at least 20" : "too few")
              << " items, in order and each whole: " << std::boolalpha << whole
              << std::endl;
    std::cout << "Main: then " << e.what() << std::endl;
  }
}
