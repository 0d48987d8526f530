// Exceptions thrown in a child come back through get(): standard types as
// themselves, others as remote_error, registered types as themselves.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <future>
#include <ios>
#include <multiproc/multiproc.hpp>
#include <new>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <typeinfo>
#include <variant>

namespace mp = multiproc;

namespace {

// Throws `error` in a child and returns what the parent's get() threw.
template <class E>
std::exception_ptr thrown_back(E error) {
  auto f = mp::async([error]() -> int { throw error; });
  try {
    f.get();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

template <class Expected, class E>
void expect_same_type_and_what(E error) {
  std::exception_ptr back = thrown_back(error);
  ASSERT_TRUE(back);
  try {
    std::rethrow_exception(back);
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(Expected))
        << "got " << typeid(e).name() << " for " << typeid(E).name();
    EXPECT_STREQ(e.what(), error.what());
  }
}

struct user_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct registered_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct derived_from_registered : registered_error {
  using registered_error::registered_error;
};

struct error_code_struct {
  int code;
  double detail;
};

struct coded_error : std::exception {
  explicit coded_error(int c) : code(c) {}
  const char* what() const noexcept override { return "coded"; }
  int code;
};

}  // namespace

namespace {
struct refuses_to_encode {};
}  // namespace

template <>
struct multiproc::codec<refuses_to_encode> {
  static void encode(encoder& out, const refuses_to_encode&) {
    out.write(std::string(100000, 'x'));  // some bytes already written
    throw std::domain_error("cannot encode");
  }
  static refuses_to_encode decode(decoder&) { return {}; }
};

template <>
struct multiproc::codec<coded_error> {
  static void encode(encoder& out, const coded_error& e) { out.write(e.code); }
  static coded_error decode(decoder& in) { return coded_error(in.read<int>()); }
};

TEST(FutureException, LogicErrorFamilyComesBackAsItself) {
  expect_same_type_and_what<std::logic_error>(std::logic_error("logic"));
  expect_same_type_and_what<std::invalid_argument>(
      std::invalid_argument("bad arg"));
  expect_same_type_and_what<std::domain_error>(std::domain_error("domain"));
  expect_same_type_and_what<std::length_error>(std::length_error("length"));
  expect_same_type_and_what<std::out_of_range>(std::out_of_range("range"));
}

TEST(FutureException, RuntimeErrorFamilyComesBackAsItself) {
  expect_same_type_and_what<std::runtime_error>(
      std::runtime_error("Something bad happened"));
  expect_same_type_and_what<std::range_error>(std::range_error("r"));
  expect_same_type_and_what<std::overflow_error>(std::overflow_error("o"));
  expect_same_type_and_what<std::underflow_error>(std::underflow_error("u"));
}

TEST(FutureException, FutureErrorKeepsItsCode) {
  std::exception_ptr back =
      thrown_back(std::future_error(std::future_errc::broken_promise));
  try {
    std::rethrow_exception(back);
  } catch (const std::future_error& e) {
    EXPECT_EQ(typeid(e), typeid(std::future_error));
    EXPECT_EQ(e.code(), std::future_errc::broken_promise);
    EXPECT_STREQ(e.what(),
                 std::future_error(std::future_errc::broken_promise).what());
  }
}

TEST(FutureException, SystemErrorKeepsCodeAndCategory) {
  struct row {
    std::error_code code;
    std::string prefix;
  };
  const row rows[] = {
      {std::error_code(ENOENT, std::generic_category()), "open"},
      {std::error_code(EACCES, std::system_category()), ""},
      {std::make_error_code(std::io_errc::stream), "stream"},
      {std::make_error_code(std::future_errc::no_state), "future"},
  };
  for (const row& r : rows) {
    const std::system_error sent = r.prefix.empty()
                                       ? std::system_error(r.code)
                                       : std::system_error(r.code, r.prefix);
    std::exception_ptr back = thrown_back(sent);
    try {
      std::rethrow_exception(back);
    } catch (const std::system_error& e) {
      EXPECT_EQ(typeid(e), typeid(std::system_error));
      EXPECT_EQ(e.code(), r.code) << r.code.message();
      EXPECT_EQ(&e.code().category(), &r.code.category());
      EXPECT_STREQ(e.what(), sent.what());
    }
  }
}

TEST(FutureException, SystemErrorOfAForeignCategoryIsARuntimeError) {
  struct my_category : std::error_category {
    const char* name() const noexcept override { return "mine"; }
    std::string message(int) const override { return "my message"; }
  };
  static my_category category;
  const std::system_error sent(std::error_code(3, category), "ctx");
  std::exception_ptr back = thrown_back(sent);
  try {
    std::rethrow_exception(back);
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(std::runtime_error));
    EXPECT_STREQ(e.what(), sent.what());
  }
}

TEST(FutureException, IosFailureComesBackAsItself) {
  std::exception_ptr back = thrown_back(std::ios_base::failure("io broke"));
  try {
    std::rethrow_exception(back);
  } catch (const std::ios_base::failure& e) {
    EXPECT_STREQ(e.what(), std::ios_base::failure("io broke").what());
    EXPECT_EQ(e.code(), std::make_error_code(std::io_errc::stream));
  }
}

TEST(FutureException, BadAllocComesBackAsItself) {
  expect_same_type_and_what<std::bad_alloc>(std::bad_alloc());
  expect_same_type_and_what<std::bad_array_new_length>(
      std::bad_array_new_length());
}

TEST(FutureException, RealAllocationFailureInTheChild) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan aborts on a huge allocation instead of throwing";
#endif
  auto f = mp::async([] {
    std::vector<char> v;
    v.reserve(static_cast<std::size_t>(1) << 62);
    return v.size();
  });
  EXPECT_THROW(f.get(), std::bad_alloc);
}

TEST(FutureException, UnlistedStandardTypeComesBackAsNearestBase) {
  // filesystem_error derives from system_error; regex_error from
  // runtime_error.
  const std::filesystem::filesystem_error fs(
      "cannot open", std::filesystem::path("/nope"),
      std::make_error_code(std::errc::no_such_file_or_directory));
  std::exception_ptr back = thrown_back(fs);
  try {
    std::rethrow_exception(back);
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_STREQ(e.what(), fs.what());
  }
  back = thrown_back(std::regex_error(std::regex_constants::error_paren));
  try {
    std::rethrow_exception(back);
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e), typeid(std::runtime_error));
  }
}

TEST(FutureException, StandardTypeOutsideTheFamiliesIsARemoteError) {
  auto f = mp::async([]() -> int {
    std::variant<int, double> v = 1;
    return static_cast<int>(std::get<double>(v));
  });
  try {
    f.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "std::bad_variant_access");
    EXPECT_STRNE(e.what(), "");
  }
}

TEST(FutureException, UserTypeIsARemoteErrorWithItsName) {
  auto f = mp::async([]() -> int { throw user_error("user says no"); });
  try {
    f.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "(anonymous namespace)::user_error");
    EXPECT_STREQ(e.what(), "user says no");
  }
}

TEST(FutureException, NonStdExceptionIsARemoteError) {
  auto f = mp::async([]() -> int { throw 42; });
  try {
    f.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "int");
    EXPECT_STREQ(e.what(), "exception of type int");
  }
  auto g = mp::async([] { throw std::string("text"); });
  try {
    g.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "std::string");
    EXPECT_STREQ(e.what(), "text");
  }
}

TEST(FutureException, RemoteErrorIsARuntimeError) {
  auto f = mp::async([]() -> int { throw 1.5; });
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(FutureException, RegisteredTypeComesBackAsItself) {
  mp::register_exception<registered_error>();
  mp::register_exception<registered_error>();  // twice is harmless
  auto f = mp::async([]() -> int { throw registered_error("mine"); });
  try {
    f.get();
    FAIL();
  } catch (const registered_error& e) {
    EXPECT_EQ(typeid(e), typeid(registered_error));
    EXPECT_STREQ(e.what(), "mine");
  }
}

TEST(FutureException, DerivedFromRegisteredComesBackAsTheRegisteredBase) {
  mp::register_exception<registered_error>();
  auto f = mp::async([]() -> int { throw derived_from_registered("sub"); });
  try {
    f.get();
    FAIL();
  } catch (const registered_error& e) {
    EXPECT_EQ(typeid(e), typeid(registered_error));
    EXPECT_STREQ(e.what(), "sub");
  }
}

TEST(FutureException, RegisteredTypesTravelThroughTheCodec) {
  mp::register_exception<error_code_struct>();
  mp::register_exception<coded_error>();
  auto f = mp::async([]() -> int { throw error_code_struct{7, 2.5}; });
  try {
    f.get();
    FAIL();
  } catch (const error_code_struct& e) {
    EXPECT_EQ(e.code, 7);
    EXPECT_EQ(e.detail, 2.5);
  }
  auto g = mp::async([]() -> int { throw coded_error(99); });
  try {
    g.get();
    FAIL();
  } catch (const coded_error& e) {
    EXPECT_EQ(e.code, 99);
  }
}

// Registration happens at program start (remote_exception.hpp), so a type
// whose register_exception call runs only in the child is known to the
// parent too.
TEST(FutureException, RegisteredOnlyInTheChildComesBackAsItself) {
  struct late_error : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  auto f = mp::async([]() -> int {
    mp::register_exception<late_error>();
    throw late_error("late");
  });
  EXPECT_THROW(f.get(), late_error);
}

TEST(FutureException, VoidFunctionThrows) {
  auto f = mp::async([] { throw std::out_of_range("void"); });
  EXPECT_THROW(f.get(), std::out_of_range);
  EXPECT_FALSE(f.valid());
}

TEST(FutureException, ChildExitsZeroAfterDeliveringAnException) {
  auto f = mp::async([]() -> int { throw std::runtime_error("x"); });
  f.wait();
  EXPECT_EQ(f.process().exitcode(), 0);
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(FutureException, ExceptionWhileEncodingTheResultIsReported) {
  auto f = mp::async([] { return refuses_to_encode{}; });
  try {
    f.get();
    FAIL();
  } catch (const std::domain_error& e) {
    EXPECT_STREQ(e.what(), "cannot encode");
  }
}
