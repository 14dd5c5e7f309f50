// C++ binding tests against tapis-auth-testserver (TAPIS_TEST_URL, TAPIS_TEST_DIR).
#include <sys/stat.h>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <thread>
#include <vector>
#include <atomic>

#include "tapis_auth.hpp"

namespace ta = tapis::auth;
static int passed = 0, failed = 0;
#define CHECK(c)                                                                   \
    do {                                                                           \
        if (c) ++passed;                                                           \
        else { ++failed; std::cerr << "FAIL " << __LINE__ << ": " #c "\n"; }       \
    } while (0)

int main() {
    const char *url = std::getenv("TAPIS_TEST_URL"), *dir = std::getenv("TAPIS_TEST_DIR");
    if (!url || !dir) { std::cerr << "set TAPIS_TEST_URL and TAPIS_TEST_DIR\n"; return 2; }
    const std::string d(dir);
    CHECK(!ta::version().empty());

    // Invalid arguments throw ta::Error with the status.
    try {
        ta::Options().platform("v4");
        CHECK(false);
    } catch (const ta::Error &e) {
        CHECK(e.status() == TAPIS_AUTH_ERR_INVALID_ARGUMENT);
        CHECK(e.message().find("platform") != std::string::npos);
    }
    try {
        ta::Options().password("bad\xff");
        CHECK(false);
    } catch (const ta::Error &e) {
        CHECK(e.status() == TAPIS_AUTH_ERR_INVALID_ARGUMENT);
    }
    // No credentials: login required.
    try {
        ta::Options o;
        o.store("json", d + "/cpp-empty").use_environment(false);
        ta::Session::restore(o);
        CHECK(false);
    } catch (const ta::Error &e) {
        CHECK(e.login_required());
    }
    // Wrong password: the password never appears in the message.
    try {
        ta::Options o;
        o.base_url(url).username("testuser").password("Wrong-Pass-42").store("memory").use_environment(false);
        ta::Session::open(o).login_password(false);
        CHECK(false);
    } catch (const ta::Error &e) {
        CHECK(e.login_required());
        CHECK(std::string(e.what()).find("Wrong-Pass-42") == std::string::npos);
    }

    ta::Options o;
    o.base_url(url).username("testuser").password("testpass").persist(true).store("json", d + "/cpp-main")
        .use_environment(false).timeout(std::chrono::seconds(5), std::chrono::seconds(20));
    ta::Session s = ta::Session::open(o);
    s.login_password();
    std::string tok = s.access_token(60);
    CHECK(tok.size() > 20);
    CHECK(s.expires_at() > std::time(nullptr) + 60);
    s.refresh();
    auto w = s.whoami();
    CHECK(w.username && *w.username == "testuser");
    CHECK(w.platform == "tapis-v3" && w.client_id && w.has_refresh_token);
    auto p = s.profile();
    CHECK(p.username == "testuser" && p.email && *p.email == "testuser@example.org");
    auto client = s.create_client(std::nullopt, std::nullopt, std::string("c++ test client"));
    CHECK(!client.first.empty());

    // 8 threads share the session.
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i)
                if (s.access_token(30).size() > 20) ++ok;
        });
    for (auto &t : threads) t.join();
    CHECK(ok == 800);

    // Restore from the cache (made readable by others first: reported once); move semantics.
    CHECK(s.take_warnings().empty());
    CHECK(::chmod((d + "/cpp-main/config.json").c_str(), 0644) == 0);
    ta::Options r;
    r.store("json", d + "/cpp-main").use_environment(false);
    ta::Session s2 = ta::Session::restore(r);
    ta::Session s3 = std::move(s2);
    CHECK(!s3.access_token().empty());
    auto warnings = s3.take_warnings();
    CHECK(warnings.size() == 1 && warnings[0].find("644") != std::string::npos);
    CHECK(s3.take_warnings().empty());

    // Device login start + pending poll.
    ta::Options dopt;
    dopt.base_url(url).client_id(*w.client_id).store("memory").use_environment(false);
    ta::Session ds = ta::Session::open(dopt);
    ta::DeviceLogin dev = ds.device_start();
    CHECK(!dev.user_code().empty() && !dev.verification_uri().empty());
    CHECK(!dev.poll());

    CHECK(s.logout());
    try {
        s.access_token();
        CHECK(false);
    } catch (const ta::Error &e) {
        CHECK(e.login_required());
    }
    std::cout << "cpp-tests: " << passed << " passed, " << failed << " failed\n";
    return failed == 0 ? 0 : 1;
}
