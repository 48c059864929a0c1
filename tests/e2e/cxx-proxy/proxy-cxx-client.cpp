/* SPDX-License-Identifier: MIT */
/*
 * A client as most Cap'n Proto libraries are: the reference C++ TwoPartyClient over a plain
 * stream that was not wrapped for fds (the kernel drops any fd sent to it). It reaches echod,
 * logd and policyd only through the Endpoint proxy of samgrd (DESIGN.md section 3).
 *
 * Usage: proxy-cxx-client --connect SAMGR_SOCK --subject SUBJECT [--only NAME]...
 * Prints `ok NAME` or `FAIL NAME: why` per check; exits 1 if any failed, 2 on bad usage.
 * Checks driven by proxy.sh through stdin/stdout (restart, vanish) print a line saying what
 * the script should do and read one line back before going on. No check asserts a duration;
 * waits are bounded by iteration counts.
 */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/debug.h>

#include "cxx-common.h"
#include "echo.capnp.h"
#include "log.capnp.h"
#include "policy.capnp.h"
#include "samgr.capnp.h"

namespace
{

struct Env {
	kj::WaitScope &ws;
	kj::Timer &timer;
	Samgr::Client samgr;
	kj::StringPtr subject;
};

/* The reason after "remote exception: " must start with `want`. */
template <typename F> void expect_reason(F &&call, kj::StringPtr want)
{
	auto e = kj::runCatchingExceptions(kj::fwd<F>(call));
	KJ_IF_MAYBE (ex, e) {
		auto desc = ex->getDescription();
		KJ_REQUIRE(
		        desc.startsWith(kj::str("remote exception: ", want)), "reason", desc, want);
		return;
	}
	KJ_FAIL_REQUIRE("the call succeeded", want);
}

/* Waits until `done` holds, a bounded number of loop turns. */
template <typename F> void wait_until(Env &env, F &&done, const char *what)
{
	for (int i = 0; i < 2000 && !done(); i++)
		env.timer.afterDelay(5 * kj::MILLISECONDS).wait(env.ws);
	KJ_REQUIRE(done(), "never happened", what);
}

template <typename T> typename T::Client resolve(Env &env, const char *name)
{
	auto rq = env.samgr.resolveRequest();
	rq.setName(name);
	return rq.send().wait(env.ws).getEndpoint().template castAs<T>();
}

/* One line from the driving script; it says what happened meanwhile. */
void handshake(const char *say)
{
	char line[64];

	printf("%s\n", say);
	fflush(stdout);
	KJ_REQUIRE(fgets(line, sizeof(line), stdin) != nullptr, "the script went away");
}

void check_echo(Env &env)
{
	auto echo = resolve<Echo>(env, "echod");
	auto rq = echo.echoRequest();
	rq.setText("through the proxy");
	auto r = rq.send().wait(env.ws);
	KJ_REQUIRE(r.getText() == "through the proxy", r.getText());
	KJ_REQUIRE(r.getSubject() == env.subject, "echod saw another subject", r.getSubject());
}

/* resolve(...).endpoint.echo(...) sent before resolve returned. */
void check_pipeline(Env &env)
{
	auto rq = env.samgr.resolveRequest();
	rq.setName("echod");
	auto resolved = rq.send();
	auto erq = resolved.getEndpoint().castAs<Echo>().echoRequest();
	erq.setText("pipelined");
	auto r = erq.send().wait(env.ws);
	KJ_REQUIRE(r.getText() == "pipelined", r.getText());
}

void check_exception(Env &env)
{
	auto echo = resolve<Echo>(env, "echod");
	expect_reason(
	        [&]() {
		        auto rq = echo.echoRequest();
		        rq.setText(kj::str(kj::repeat('x', 300)));
		        rq.send().wait(env.ws);
	        },
	        "too_large: text: longer than 256 bytes");
	/* An interface echod does not serve: its own answer (unimplemented) comes back. */
	auto e = kj::runCatchingExceptions([&]() {
		auto crq = echo.castAs<Policy>().checkRequest();
		crq.setSubject("uid:0");
		crq.setCap("x");
		crq.send().wait(env.ws);
	});
	KJ_IF_MAYBE (ex, e) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::UNIMPLEMENTED, ex->getType(),
		        ex->getDescription());
	} else {
		KJ_FAIL_REQUIRE("echod answered Policy.check");
	}
	/* The channel still serves after the refusals. */
	auto rq = echo.echoRequest();
	rq.setText("still there");
	KJ_REQUIRE(rq.send().wait(env.ws).getText() == "still there");
}

void check_concurrent(Env &env)
{
	auto echo = resolve<Echo>(env, "echod");
	kj::Vector<kj::Promise<void>> calls;
	for (int i = 0; i < 100; i++) {
		auto rq = echo.echoRequest();
		auto want = kj::str("call ", i);
		rq.setText(want);
		calls.add(rq.send().then([want = kj::mv(want)](auto &&r) {
			KJ_REQUIRE(r.getText() == want, r.getText(), want);
		}));
	}
	kj::joinPromises(calls.releaseAsArray()).wait(env.ws);
}

/* Records larger together than one message: the inlineOnly form pages through them; the
 * VMO form is refused to this client with the field named. */
void check_log(Env &env)
{
	auto log = resolve<Log>(env, "logd");
	auto scope = kj::str("e2e.proxy.", getpid());
	const unsigned n = 12;
	for (unsigned i = 0; i < n; i++) {
		auto rq = log.appendRequest();
		auto e = rq.initEntry();
		e.setLevel(LogLevel::INFO);
		e.setScope(scope);
		e.setMessage(kj::str(i == 0 ? "proxied" : "filler ", kj::repeat('y', 900)));
		rq.send().wait(env.ws);
	}
	uint64_t cursor = 0;
	unsigned got = 0, pages = 0;
	for (bool more = true; more && pages < 100; pages++) {
		auto q = log.queryRequest();
		q.setInlineOnly(true);
		auto f = q.initFilter();
		f.setScope(scope);
		f.setSinceId(cursor);
		auto r = q.send().wait(env.ws);
		KJ_REQUIRE(!r.hasVmo(), "a VMO despite inlineOnly");
		for (auto rec : r.getRecords()) {
			KJ_REQUIRE(rec.getSubject() == env.subject, rec.getSubject());
			got++;
		}
		more = r.getMore();
		cursor = r.getNextCursor();
	}
	KJ_REQUIRE(got == n, "records paged through", got);
	KJ_REQUIRE(pages > 1, "one page held them all: the check proves nothing", pages);
	expect_reason(
	        [&]() {
		        auto q = log.queryRequest();
		        q.initFilter().setScope(scope);
		        q.send().wait(env.ws);
	        },
	        "unsupported: vmo: carries a file descriptor");
	/* A record that fit its append but not, stamped and framed, one answer on its own. */
	auto big = kj::str(scope, ".big");
	auto rq = log.appendRequest();
	auto e = rq.initEntry();
	e.setLevel(LogLevel::INFO);
	e.setScope(big);
	e.setMessage(kj::str(kj::repeat('m', 1024)));
	auto fields = e.initFields(9);
	for (unsigned i = 0; i < fields.size(); i++) {
		fields[i].setKey(kj::str("k", i));
		fields[i].setValue(kj::str(kj::repeat('v', 256)));
	}
	auto id = rq.send().wait(env.ws).getId();
	expect_reason(
	        [&]() {
		        auto q = log.queryRequest();
		        q.setInlineOnly(true);
		        q.initFilter().setScope(big);
		        q.send().wait(env.ws);
	        },
	        kj::str("too_large: records: record ", id, " alone does not fit one message"));
}

class Sink final : public LogSink::Server
{
      public:
	explicit Sink(unsigned &seen) : seen(seen)
	{
	}

      protected:
	kj::Promise<void> records(RecordsContext ctx) override
	{
		seen += ctx.getParams().getRecords().size();
		return kj::READY_NOW;
	}

      private:
	unsigned &seen;
};

/* A capability passed as a param: logd calls the client's sink back through samgrd. */
void check_follow(Env &env)
{
	auto log = resolve<Log>(env, "logd");
	auto scope = kj::str("e2e.follow.", getpid());
	unsigned seen = 0;
	auto frq = log.followRequest();
	frq.initFilter().setScope(scope);
	frq.setSink(kj::heap<Sink>(seen));
	frq.send().wait(env.ws);
	for (int i = 0; i < 3; i++) {
		auto rq = log.appendRequest();
		auto e = rq.initEntry();
		e.setLevel(LogLevel::INFO);
		e.setScope(scope);
		e.setMessage("followed");
		rq.send().wait(env.ws);
	}
	wait_until(
	        env, [&]() { return seen >= 3; }, "the sink got the records");
}

class Watcher final : public PolicyWatcher::Server
{
      public:
	explicit Watcher(kj::String &version) : version(version)
	{
	}

      protected:
	kj::Promise<void> changed(ChangedContext ctx) override
	{
		version = kj::str(ctx.getParams().getVersion());
		return kj::READY_NOW;
	}

      private:
	kj::String &version;
};

/* Another callback (policyd calls it at once), a plain check, and a denial by the service
 * with its reason passed on: the policy proxy.sh boots denies this subject policy.reload. */
void check_policy(Env &env)
{
	auto policy = resolve<Policy>(env, "policyd");
	kj::String version;
	auto wrq = policy.watchRequest();
	wrq.setCb(kj::heap<Watcher>(version));
	wrq.send().wait(env.ws);
	wait_until(
	        env, [&]() { return version.size() == 64; }, "the watcher heard the version");
	auto vrq = policy.versionRequest();
	KJ_REQUIRE(vrq.send().wait(env.ws).getVersion() == version);
	auto crq = policy.checkRequest();
	crq.setSubject(env.subject);
	crq.setCap("ipc.connect.echod");
	KJ_REQUIRE(crq.send().wait(env.ws).getAllowed());
	expect_reason([&]() { policy.reloadRequest().send().wait(env.ws); }, "denied: ");
}

/* echod's per-subject connection limit (NX_CONN_MAX_PER_SUBJECT, 64) counts proxied
 * channels as it counts direct ones: endpoints are resolved and called until echod refuses,
 * and no more than 64 came through. The refusal is echod's own reason, from resolve or from
 * the proxy channel's accept (a first call racing it fails `disconnected`: asked again). */
void check_limits(Env &env)
{
	kj::Vector<Echo::Client> held;
	kj::Maybe<kj::String> why;
	auto call = [&](Echo::Client &echo) {
		auto rq = echo.echoRequest();
		rq.setText("held");
		rq.send().wait(env.ws);
	};
	while (why == nullptr && held.size() <= 64) {
		auto e = kj::runCatchingExceptions([&]() {
			auto echo = resolve<Echo>(env, "echod");
			for (int i = 0;; i++) {
				auto r = kj::runCatchingExceptions([&]() { call(echo); });
				KJ_IF_MAYBE (ex, r) {
					if (i == 200 ||
					        ex->getType() != kj::Exception::Type::DISCONNECTED)
						kj::throwFatalException(kj::mv(*ex));
					env.timer.afterDelay(5 * kj::MILLISECONDS).wait(env.ws);
				} else {
					break;
				}
			}
			held.add(kj::mv(echo));
		});
		KJ_IF_MAYBE (ex, e)
			why = kj::str(ex->getDescription());
	}
	KJ_REQUIRE(held.size() <= 64, "more channels than the limit", held.size());
	KJ_IF_MAYBE (w, why) {
		KJ_REQUIRE(w->startsWith("remote exception: unavailable: echod did not accept: "
		                         "limit_exceeded: conn: "),
		        *w);
	} else {
		KJ_FAIL_REQUIRE("never refused");
	}
}

/* echod dies with a call in flight (stopped first, so the call cannot be answered): the call
 * fails `disconnected`; a new resolve reaches echod once init restarted it. */
void check_restart(Env &env)
{
	auto echo = resolve<Echo>(env, "echod");
	auto rq = echo.echoRequest();
	rq.setText("before");
	rq.send().wait(env.ws);
	handshake("stop-echod");
	auto pending = echo.echoRequest().send();
	/* Let the call leave; whether it reached echod or waits in samgrd, the answer is the
	 * same once echod is gone. */
	env.timer.afterDelay(20 * kj::MILLISECONDS).wait(env.ws);
	handshake("kill-echod");
	auto e = kj::runCatchingExceptions([&]() { pending.wait(env.ws); });
	KJ_IF_MAYBE (ex, e) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::DISCONNECTED, ex->getType(),
		        ex->getDescription());
	} else {
		KJ_FAIL_REQUIRE("the call in flight succeeded with echod dead");
	}
	bool back = false;
	for (int i = 0; i < 400 && !back; i++) {
		auto r = kj::runCatchingExceptions([&]() {
			auto again = resolve<Echo>(env, "echod");
			auto rq2 = again.echoRequest();
			rq2.setText("after");
			KJ_REQUIRE(rq2.send().wait(env.ws).getText() == "after");
		});
		back = r == nullptr;
		if (!back)
			env.timer.afterDelay(25 * kj::MILLISECONDS).wait(env.ws);
	}
	KJ_REQUIRE(back, "no echod after the restart");
}

/* The client vanishes with calls in flight to a stopped echod and callbacks registered at
 * logd and policyd; proxy.sh then checks samgrd released everything. Never returns. */
void check_vanish(Env &env)
{
	auto echo = resolve<Echo>(env, "echod");
	auto log = resolve<Log>(env, "logd");
	auto policy = resolve<Policy>(env, "policyd");
	unsigned seen = 0;
	kj::String version;
	auto frq = log.followRequest();
	frq.setSink(kj::heap<Sink>(seen));
	frq.send().wait(env.ws);
	auto wrq = policy.watchRequest();
	wrq.setCb(kj::heap<Watcher>(version));
	wrq.send().wait(env.ws);
	auto rq = echo.echoRequest();
	rq.setText("warm");
	rq.send().wait(env.ws);
	handshake("stop-echod");
	kj::Vector<kj::Promise<void>> calls;
	for (int i = 0; i < 100; i++)
		calls.add(echo.echoRequest().send().ignoreResult());
	env.timer.afterDelay(20 * kj::MILLISECONDS).wait(env.ws);
	printf("ok vanish\n");
	fflush(stdout);
	_exit(0);
}

struct Check {
	const char *name;
	void (*fn)(Env &);
	bool by_name_only; /* needs the script's handshakes */
};

const Check checks[] = {
        {"echo", check_echo, false},
        {"pipeline", check_pipeline, false},
        {"exception", check_exception, false},
        {"concurrent", check_concurrent, false},
        {"log", check_log, false},
        {"follow", check_follow, false},
        {"policy", check_policy, false},
        {"limits", check_limits, true},
        {"restart", check_restart, true},
        {"vanish", check_vanish, true},
};

[[noreturn]] void usage()
{
	fprintf(stderr,
	        "usage: proxy-cxx-client --connect SAMGR_SOCK --subject SUBJECT [--only NAME]...\n");
	exit(2);
}

} /* namespace */

int main(int argc, char **argv)
{
	const char *path = nullptr, *subject = nullptr;
	kj::Vector<const char *> only;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--connect") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--subject") && i + 1 < argc)
			subject = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only.add(argv[++i]);
		else
			usage();
	}
	if (!path || !subject)
		usage();
	for (auto n : only) {
		bool known = false;
		for (auto &c : checks)
			known = known || !strcmp(c.name, n);
		if (!known) {
			fprintf(stderr, "proxy-cxx-client: no check named %s\n", n);
			return 2;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	auto io = kj::setupAsyncIo();
	kj::AutoCloseFd conn;
	KJ_IF_MAYBE (e, kj::runCatchingExceptions([&]() { conn = interop::connect_unix(path); })) {
		fprintf(stderr, "proxy-cxx-client: %s\n", kj::str(*e).cStr());
		return 1;
	}
	/* A plain byte stream: no SCM_RIGHTS either way, as most Cap'n Proto libraries. */
	auto stream = io.lowLevelProvider->wrapSocketFd(
	        conn.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
	capnp::TwoPartyClient client(*stream);
	Env env{io.waitScope, io.provider->getTimer(), client.bootstrap().castAs<Samgr>(), subject};

	int failed = 0;
	for (auto &c : checks) {
		bool listed = false;
		for (auto n : only)
			listed = listed || !strcmp(c.name, n);
		if (only.size() ? !listed : c.by_name_only)
			continue;
		auto e = kj::runCatchingExceptions([&]() { c.fn(env); });
		KJ_IF_MAYBE (ex, e) {
			printf("FAIL %s: %s\n", c.name, kj::str(*ex).cStr());
			failed++;
		} else {
			printf("ok %s\n", c.name);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
