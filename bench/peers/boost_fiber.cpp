// bench/peers/boost_fiber.cpp - weft's Boost.Fiber peer benchmark.
//
// Owns the Boost.Fiber versions of the workloads weft's own bench measures,
// so weft's bench can run it in the same session and print ratios.
//
// Usage: peer_boost_fiber <workload> [workers] [n]
// Prints exactly one line: "<workload> <ns_per_op> <peak_rss_kib>", where
// peak_rss_kib is getrusage(RUSAGE_SELF).ru_maxrss (KiB on Linux).
// workers = OS threads taking part in the work_stealing scheduler (default
// 1 = the default round_robin scheduler on the main thread only).
// Unknown workload / bad arguments: message on stderr, exit 2.
//
// Stacks: every fiber uses the library default allocator,
// boost::fibers::fixedsize_stack with stack_traits::default_size(), which is
// 128 KiB on Linux with Debian's Boost 1.74 (plain malloc, no guard page).
//
// Build: g++ -O2 -std=c++14 boost_fiber.cpp -lboost_fiber -lboost_context
//        -pthread

#include <boost/fiber/all.hpp>

#include <sys/resource.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bf = boost::fibers;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t elapsed_ns(Clock::time_point start) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start)
            .count());
}

// Work-stealing pool: the main thread plus workers-1 helper threads all
// install algo::work_stealing(workers). Helpers park their main fiber on a
// fiber condition variable until shutdown; their dispatchers keep stealing
// ready fibers meanwhile (the standard Boost.Fiber pattern). With
// workers == 1 nothing is installed and the default round_robin is used.
//
// work_stealing keeps a process-wide static registry of schedulers, so it
// can be set up only once per process: the pool lives for the whole run
// (warm-up and timed run included). Idle threads busy-spin (suspend=false,
// the default), as in Boost's own examples.
class Pool {
  public:
    explicit Pool(unsigned workers) : workers_(workers) {
        if (workers_ <= 1) return;
        bf::barrier ready(workers_);
        for (unsigned i = 1; i < workers_; ++i) {
            threads_.emplace_back([this, &ready] {
                bf::use_scheduling_algorithm<bf::algo::work_stealing>(workers_);
                ready.wait();
                std::unique_lock<bf::mutex> lk(mtx_);
                cnd_.wait(lk, [this] { return done_; });
            });
        }
        bf::use_scheduling_algorithm<bf::algo::work_stealing>(workers_);
        // No fiber may be posted before every scheduler has registered.
        ready.wait();
    }
    ~Pool() {
        if (threads_.empty()) return;
        {
            std::unique_lock<bf::mutex> lk(mtx_);
            done_ = true;
        }
        cnd_.notify_all();
        for (auto &t : threads_)
            t.join();
    }
    Pool(const Pool &) = delete;
    Pool &operator=(const Pool &) = delete;

  private:
    unsigned workers_;
    std::vector<std::thread> threads_;
    bf::mutex mtx_;
    bf::condition_variable_any cnd_;
    bool done_ = false;
};

// yield: two fibers on one thread (round_robin, workers ignored) each call
// this_fiber::yield() n times. One round trip = each fiber yields once, so
// the reported figure is total_time / n (ns per round trip = two switches).
std::uint64_t bench_yield(std::uint64_t n) {
    auto body = [n] {
        for (std::uint64_t i = 0; i < n; ++i)
            boost::this_fiber::yield();
    };
    auto start = Clock::now();
    bf::fiber a(body), b(body);
    a.join();
    b.join();
    return elapsed_ns(start);
}

// spawn: create one empty fiber and join it, n times in a row (default
// launch policy = post). Reported figure: ns per spawn+join.
std::uint64_t bench_spawn(std::uint64_t n) {
    auto start = Clock::now();
    for (std::uint64_t i = 0; i < n; ++i) {
        bf::fiber f([] {});
        f.join();
    }
    return elapsed_ns(start);
}

// skynet node: leaves return their index; inner nodes spawn 10 children
// (size/10 leaves each), join them and sum their results.
void skynet(std::uint64_t *out, std::uint64_t num, std::uint64_t size) {
    if (size == 1) {
        *out = num;
        return;
    }
    constexpr int kDiv = 10;
    std::uint64_t res[kDiv];
    bf::fiber kids[kDiv];
    const std::uint64_t child = size / kDiv;
    for (int i = 0; i < kDiv; ++i) {
        std::uint64_t *slot = &res[i];
        std::uint64_t sub = num + static_cast<std::uint64_t>(i) * child;
        kids[i] = bf::fiber([slot, sub, child] { skynet(slot, sub, child); });
    }
    std::uint64_t sum = 0;
    for (int i = 0; i < kDiv; ++i) {
        kids[i].join();
        sum += res[i];
    }
    *out = sum;
}

constexpr std::uint64_t kSkynetLeaves = 1000000;
constexpr std::uint64_t kSkynetWant = 499999500000ULL;

// skynet: run once (no warm-up), 1,000,000 leaves. The reported
// "ns_per_op" is the TOTAL time of the whole run in ns (a whole-program
// figure), not a per-node cost. Exits 1 on a wrong sum.
// Note: with launch::post and round_robin (workers == 1) the tree is
// expanded breadth-first, so all ~1.1M fibers are alive at once; peak RSS
// is ~10 GB with the default stacks (a smaller fixedsize_stack does not
// change that much: the touched pages per fiber dominate).
std::uint64_t bench_skynet() {
    std::uint64_t sum = 0;
    auto start = Clock::now();
    bf::fiber root([&sum] { skynet(&sum, 0, kSkynetLeaves); });
    root.join();
    std::uint64_t ns = elapsed_ns(start);
    if (sum != kSkynetWant) {
        std::fprintf(stderr, "skynet: wrong sum %llu (want %llu)\n",
                     static_cast<unsigned long long>(sum),
                     static_cast<unsigned long long>(kSkynetWant));
        std::exit(1);
    }
    return ns;
}

// pingpong_chan: two fibers bounce a value over two unbuffered_channels.
// Reported figure: ns per round trip. One thread by default; with
// workers > 1 the work_stealing pool runs them (where each fiber runs is
// then the scheduler's choice).
std::uint64_t bench_pingpong(std::uint64_t n) {
    bf::unbuffered_channel<std::uint64_t> ping, pong;
    auto start = Clock::now();
    bf::fiber echo([&] {
        std::uint64_t v = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            ping.pop(v);
            pong.push(v);
        }
    });
    bf::fiber drive([&] {
        std::uint64_t v = 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            ping.push(i);
            pong.pop(v);
        }
    });
    drive.join();
    echo.join();
    return elapsed_ns(start);
}

// mutex4: 4 fibers share one fibers::mutex; each does n/4 iterations of
// {lock; yield; unlock}. Reported figure: total_time / n (ns per
// acquisition). Uses the work_stealing pool when workers > 1.
std::uint64_t bench_mutex4(std::uint64_t n) {
    bf::mutex mu;
    const std::uint64_t per = n / 4;
    auto body = [&mu, per] {
        for (std::uint64_t i = 0; i < per; ++i) {
            mu.lock();
            boost::this_fiber::yield();
            mu.unlock();
        }
    };
    auto start = Clock::now();
    bf::fiber f[4] = {bf::fiber(body), bf::fiber(body), bf::fiber(body), bf::fiber(body)};
    for (auto &x : f)
        x.join();
    return elapsed_ns(start);
}

// mutex_uncontended: one fiber does lock+unlock n times (timed inside the
// fiber). Reported figure: ns per pair.
std::uint64_t bench_mutex_uncontended(std::uint64_t n) {
    std::uint64_t ns = 0;
    bf::fiber f([n, &ns] {
        bf::mutex mu;
        auto start = Clock::now();
        for (std::uint64_t i = 0; i < n; ++i) {
            mu.lock();
            mu.unlock();
        }
        ns = elapsed_ns(start);
    });
    f.join();
    return ns;
}

[[noreturn]] void usage(const std::string &msg) {
    std::fprintf(stderr,
                 "peer_boost_fiber: %s\nusage: peer_boost_fiber "
                 "<yield|spawn|skynet|pingpong_chan|mutex4|mutex_uncontended> "
                 "[workers] [n]\n",
                 msg.c_str());
    std::exit(2);
}

std::uint64_t pos_arg(const char *s, const char *what) {
    char *end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || s[0] == '-')
        usage(std::string("bad ") + what + " '" + s + "' (want an integer >= 1)");
    return v;
}

long peak_rss_kib() {
    struct rusage ru;
    std::memset(&ru, 0, sizeof ru);
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return ru.ru_maxrss; // KiB on Linux
}

} // namespace

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) usage("wrong number of arguments");
    const std::string w = argv[1];
    std::uint64_t workers = argc > 2 ? pos_arg(argv[2], "workers") : 1;
    std::uint64_t n = argc > 3 ? pos_arg(argv[3], "n") : 0;
    if (workers > 1024) usage("workers too large");

    std::uint64_t (*run)(std::uint64_t) = nullptr;
    std::uint64_t def_n = 1000000;
    bool pooled = false; // honours workers via work_stealing
    if (w == "yield") {
        run = bench_yield;
    } else if (w == "spawn") {
        run = bench_spawn;
        pooled = true;
    } else if (w == "skynet") {
        pooled = true;
    } else if (w == "pingpong_chan") {
        run = bench_pingpong;
        pooled = true;
    } else if (w == "mutex4") {
        run = bench_mutex4;
        pooled = true;
    } else if (w == "mutex_uncontended") {
        run = bench_mutex_uncontended;
        def_n = 10000000;
    } else {
        usage("unknown workload '" + w + "'");
    }
    if (n == 0) n = def_n;

    double ns_per_op;
    {
        Pool pool(pooled ? static_cast<unsigned>(workers) : 1u);
        if (run == nullptr) {
            ns_per_op = static_cast<double>(bench_skynet());
        } else {
            std::uint64_t warm = n / 10 < 4 ? 4 : n / 10;
            run(warm);
            ns_per_op = static_cast<double>(run(n)) / static_cast<double>(n);
        }
    }
    std::printf("%s %.2f %ld\n", w.c_str(), ns_per_op, peak_rss_kib());
    return 0;
}
