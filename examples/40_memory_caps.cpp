// A batch of documents, some of which make the parser allocate without
// bound. Each task runs under its own memory cap: the greedy ones fail
// alone with std::bad_alloc, the rest succeed, and the pool carries on
// with the same workers (a task's cap is lowered for it and restored).
//
// Python: nothing in multiprocessing or concurrent.futures can cap one
// task; a runaway task takes the machine into swap, or the OOM killer
// takes the pool (or the parent) with it.
#include <cstddef>
#include <iostream>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <new>
#include <string>
#include <vector>
namespace mp = multiproc;

// Stands for a parser of untrusted input: a "nested" document makes it
// build ever deeper structures, 64 MiB at a time, until something stops it.
// (Reserved, not touched: the cap counts what is mapped, so the example
// needs no real memory to reach it.)
std::size_t parse(const std::string& document) {
  std::vector<std::unique_ptr<char[]>> tree;
  if (document.find("nested") != std::string::npos) {
    for (;;) tree.emplace_back(new char[std::size_t{64} << 20]);
  }
  std::size_t words = 1;
  for (char c : document) words += c == ' ' ? 1 : 0;
  return words;
}

int main() {
  const std::vector<std::string> documents{
      "the quick brown fox",      "nested nested nested", "jumps over",
      "the lazy dog and the cat", "nested again",         "done"};

  mp::pool workers({.processes = 2});
  mp::task_options capped;
  capped.limits = mp::limits{};
  capped.limits->data = std::uint64_t{512} << 20;  // 512 MiB per task

  std::vector<mp::future<std::size_t>> parsed;
  for (const std::string& document : documents) {
    parsed.push_back(workers.submit(capped, parse, document));
  }
  int failed = 0;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    std::cout << "document " << i << ": ";
    try {
      std::cout << parsed[i].get() << " words" << std::endl;
    } catch (const std::bad_alloc& e) {
      ++failed;
      std::cout << "failed alone, over its 512 MiB cap (" << e.what() << ")"
                << std::endl;
    }
  }
  std::cout << failed << " of " << documents.size()
            << " failed; the pool still runs: "
            << workers.apply(parse, std::string("one more document"))
            << " words" << std::endl;
}
