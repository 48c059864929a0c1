/* SPDX-License-Identifier: MIT */
/*
 * interop-cxx-client: the reference (libcapnp) client for interop.capnp. Runs every check
 * against whatever serves Interop at the other end (the C++ server, or Nexus's C server),
 * printing "ok NAME" or "FAIL NAME: why" per check; exits 1 if any failed.
 *
 *   interop-cxx-client (--fd N | --connect PATH) [--only NAME] [--skip NAME] [--list]
 *
 * `die` makes the server exit, so it runs last; every check after it would fail.
 * `vanish` (only with --only) makes this client exit with calls pending both ways.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/vector.h>

#include "cxx-common.h"
#include "fdcheck.h"
#include "interop.capnp.h"
#include "nexus/limits.h"

namespace
{

struct Env {
	kj::WaitScope &ws;
	kj::Timer &timer;
	Interop::Client root;
};

/* Bounded wait for something the peer does asynchronously (a Release, a Finish). Each
 * round costs one round trip plus a short sleep; the bound is generous for a loaded box. */
template <typename F> bool eventually(Env &env, F &&cond)
{
	for (int i = 0; i < 200; i++) {
		if (cond())
			return true;
		env.timer.afterDelay(10 * kj::MILLISECONDS).wait(env.ws);
	}
	return cond();
}

capnp::Response<Interop::StatsResults> get_stats(Env &env)
{
	return env.root.statsRequest().send().wait(env.ws);
}

bool same_value(AllTypes::Reader a, AllTypes::Reader b)
{
	/* Canonical form: equal exactly when every field (defaults included) is equal. */
	auto ca = capnp::canonicalize(a);
	auto cb = capnp::canonicalize(b);
	return ca.size() == cb.size() &&
	       memcmp(ca.begin(), cb.begin(), ca.size() * sizeof(capnp::word)) == 0;
}

void check_ping(Env &env)
{
	env.root.pingRequest().send().wait(env.ws);
}

void check_sample(Env &env)
{
	auto resp = env.root.sampleRequest().send().wait(env.ws);
	auto want = SAMPLE_VALUE.get();
	KJ_REQUIRE(same_value(resp.getValue(), want), "sample differs from sampleValue",
	        resp.getValue(), want);
}

void check_echo(Env &env)
{
	auto req = env.root.echoRequest();
	req.setValue(SAMPLE_VALUE.get());
	auto resp = req.send().wait(env.ws);
	KJ_REQUIRE(same_value(resp.getValue(), SAMPLE_VALUE.get()), "echo changed the value",
	        resp.getValue());

	/* A second shape: the union on another member and a struct list of other sizes. */
	auto req2 = env.root.echoRequest();
	req2.setValue(SAMPLE_VALUE.get());
	auto v = req2.getValue();
	v.getChoice().initInner().setName("in union");
	auto sl = v.initStructList(40);
	for (unsigned i = 0; i < sl.size(); i++) {
		sl[i].setId(i);
		sl[i].setName(kj::str("n", i));
	}
	auto bl = v.initBoolList(131);
	for (unsigned i = 0; i < bl.size(); i++)
		bl.set(i, (i % 3) == 0);
	auto expect = kj::str(v.asReader());
	auto resp2 = req2.send().wait(env.ws);
	KJ_REQUIRE(kj::str(resp2.getValue()) == expect, "echo changed the value", resp2.getValue());
	KJ_REQUIRE(resp2.getValue().getChoice().which() == AllTypes::Choice::INNER);
}

void check_echo_defaults(Env &env)
{
	/* Nothing set: every default must read back as declared. */
	auto req = env.root.echoRequest();
	req.initValue();
	auto resp = req.send().wait(env.ws);
	auto v = resp.getValue();
	KJ_REQUIRE(v.getDefaultBool() == true);
	KJ_REQUIRE(v.getDefaultInt32() == -123456, v.getDefaultInt32());
	KJ_REQUIRE(v.getDefaultUInt64() == 0xfedcba9876543210ull, v.getDefaultUInt64());
	KJ_REQUIRE(v.getDefaultFloat32() == 2.5f, v.getDefaultFloat32());
	KJ_REQUIRE(v.getDefaultFloat64() == -7.25, v.getDefaultFloat64());
	KJ_REQUIRE(v.getDefaultEnum() == Color::BLUE);
	KJ_REQUIRE(v.getDefaultText() == "default text", v.getDefaultText());
	KJ_REQUIRE(v.getDefaultData().size() == 4 && v.getDefaultData()[0] == 0xde);
	KJ_REQUIRE(v.getDefaultStruct().getId() == 99);
	KJ_REQUIRE(v.getDefaultStruct().getLabel() == "default leaf");
	KJ_REQUIRE(v.getDefaultList().size() == 3 && v.getDefaultList()[1] == -2);
	KJ_REQUIRE(v.getChoice().which() == AllTypes::Choice::NONE);
	KJ_REQUIRE(v.getPoint().getX() == 7 && v.getPoint().getY() == -3);
	KJ_REQUIRE(v.getStructField().getWeight() == 1.5);
	KJ_REQUIRE(!v.hasTextField() && !v.hasStructList());

	/* The sample sets several defaulted fields to zero: XOR encoding on the wire. */
	auto sresp = env.root.sampleRequest().send().wait(env.ws);
	auto s = sresp.getValue();
	KJ_REQUIRE(s.getDefaultBool() == false);
	KJ_REQUIRE(s.getDefaultInt32() == 0, s.getDefaultInt32());
	KJ_REQUIRE(s.getDefaultUInt64() == 1, s.getDefaultUInt64());
	KJ_REQUIRE(s.getDefaultFloat32() == 0.0f);
	KJ_REQUIRE(s.getDefaultEnum() == Color::RED);
	KJ_REQUIRE(s.getPoint().getX() == 0 && s.getPoint().getY() == 11);
	KJ_REQUIRE(s.getStructField().getWeight() == 0.0);
}

void check_exceptions(Env &env)
{
	struct {
		FailType type;
		kj::Exception::Type want;
	} cases[] = {
	        {FailType::FAILED, kj::Exception::Type::FAILED},
	        {FailType::OVERLOADED, kj::Exception::Type::OVERLOADED},
	        {FailType::DISCONNECTED, kj::Exception::Type::DISCONNECTED},
	        {FailType::UNIMPLEMENTED, kj::Exception::Type::UNIMPLEMENTED},
	};
	for (auto &c : cases) {
		auto reason = kj::str("invalid_argument: field `x` is ", (int)c.type);
		auto req = env.root.failRequest();
		req.setReason(reason);
		req.setType(c.type);
		auto e = kj::runCatchingExceptions([&]() { req.send().wait(env.ws); });
		KJ_IF_MAYBE (ex, e) {
			KJ_REQUIRE(ex->getType() == c.want, "wrong exception type", ex->getType(),
			        c.want);
			KJ_REQUIRE(ex->getDescription().endsWith(reason), "reason not carried",
			        ex->getDescription(), reason);
		} else {
			KJ_FAIL_REQUIRE("fail() returned normally");
		}
	}
	/* An exception of type disconnected is about the call, not the connection. */
	check_ping(env);
}

void check_unimplemented(Env &env)
{
	auto e = kj::runCatchingExceptions(
	        [&]() { env.root.notImplementedRequest().send().wait(env.ws); });
	KJ_IF_MAYBE (ex, e) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::UNIMPLEMENTED, ex->getType());
	} else {
		KJ_FAIL_REQUIRE("notImplemented() returned normally");
	}
	check_ping(env);
}

/* Runs `call` and requires a `failed` exception whose reason starts with `code` + ":". */
template <typename F> void expect_reason(F &&call, const char *code)
{
	auto e = kj::runCatchingExceptions(kj::fwd<F>(call));
	KJ_IF_MAYBE (ex, e) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::FAILED, ex->getType());
		/* libcapnp prefixes a peer's reason with "remote exception: ". */
		auto desc = ex->getDescription();
		auto want = kj::str(code, ":");
		KJ_REQUIRE(desc.startsWith(want) ||
		                   desc.startsWith(kj::str("remote exception: ", want)),
		        "reason lacks its section 9 code", code, desc);
	} else {
		KJ_FAIL_REQUIRE("call over a limit succeeded", code);
	}
}

void check_limits(Env &env)
{
	/* Each interface limit crossed by one: refused with the section 9 code, and the
	 * connection still serves. */
	expect_reason(
	        [&]() {
		        auto req = env.root.makeBlobRequest();
		        req.setSize((uint64_t)INTEROP_BLOB_MAX_BYTES + 1);
		        req.send().wait(env.ws);
	        },
	        "too_large");
	expect_reason(
	        [&]() {
		        auto req = env.root.callBackRequest();
		        req.setTimes(INTEROP_CALLBACK_MAX + 1);
		        req.send().wait(env.ws);
	        },
	        "invalid_argument");
	check_ping(env);
}

uint32_t g_live_callbacks;

class CallbackImpl final : public Callback::Server
{
      public:
	explicit CallbackImpl(uint32_t &c) : calls(c)
	{
		g_live_callbacks++;
	}
	~CallbackImpl() noexcept(false)
	{
		g_live_callbacks--;
	}

      protected:
	kj::Promise<void> call(CallContext context) override
	{
		calls++;
		context.getResults().setResult(context.getParams().getValue() * 3 + 1);
		return kj::READY_NOW;
	}

      private:
	uint32_t &calls;
};

void check_callback(Env &env)
{
	uint32_t calls = 0;
	{
		auto req = env.root.callBackRequest();
		req.setCb(kj::heap<CallbackImpl>(calls));
		req.setValue(10);
		req.setTimes(5);
		auto resp = req.send().wait(env.ws);
		auto r = resp.getResults();
		KJ_REQUIRE(r.size() == 5, r.size());
		for (unsigned i = 0; i < 5; i++)
			KJ_REQUIRE(r[i] == (int32_t)(10 + i) * 3 + 1, i, r[i]);
	}
	KJ_REQUIRE(calls == 5, calls);
	/* The server must release the capability we lent it once the call is over. */
	KJ_REQUIRE(eventually(env, []() { return g_live_callbacks == 0; }),
	        "server never released the callback", g_live_callbacks);
}

void check_counter(Env &env)
{
	uint32_t before = get_stats(env).getLiveCounters();
	{
		auto req = env.root.newCounterRequest();
		req.setStart(100);
		auto counter = req.send().wait(env.ws).getCounter();
		int64_t want = 100;
		for (int64_t by : {1, 5, -200}) {
			auto inc = counter.incrementRequest();
			inc.setBy(by);
			want += by;
			auto got = inc.send().wait(env.ws).getValue();
			KJ_REQUIRE(got == want, got, want);
		}
		KJ_REQUIRE(get_stats(env).getLiveCounters() == before + 1);
	}
	/* Dropping our last reference sends Release; the server frees the object. */
	KJ_REQUIRE(eventually(env, [&]() { return get_stats(env).getLiveCounters() == before; }),
	        "server kept the counter after release");
}

void check_pipeline(Env &env)
{
	uint32_t before = get_stats(env).getLiveCounters();
	{
		/* Both calls leave before any answer arrives: the second targets a promised
		 * answer (box.counter) of the first. */
		auto box_req = env.root.makeBoxRequest();
		box_req.setTag("pipelined");
		box_req.setStart(40);
		auto box_promise = box_req.send();
		auto inc = box_promise.getBox().getCounter().incrementRequest();
		inc.setBy(2);
		auto inc_promise = inc.send();
		auto inc2 = box_promise.getBox().getCounter().incrementRequest();
		inc2.setBy(3);
		auto inc2_promise = inc2.send();

		/* And one level down: a call on a call's direct result capability. */
		auto nc = env.root.newCounterRequest();
		nc.setStart(-5);
		auto nc_inc = nc.send().getCounter().incrementRequest();
		nc_inc.setBy(5);
		auto nc_promise = nc_inc.send();

		KJ_REQUIRE(inc_promise.wait(env.ws).getValue() == 42);
		KJ_REQUIRE(inc2_promise.wait(env.ws).getValue() == 45);
		KJ_REQUIRE(nc_promise.wait(env.ws).getValue() == 0);
		auto box_resp = box_promise.wait(env.ws);
		auto box = box_resp.getBox();
		KJ_REQUIRE(box.getTag() == "pipelined", box.getTag());
		auto again = box.getCounter().incrementRequest();
		again.setBy(1);
		KJ_REQUIRE(again.send().wait(env.ws).getValue() == 46);
	}
	KJ_REQUIRE(eventually(env, [&]() { return get_stats(env).getLiveCounters() == before; }),
	        "server kept pipelined counters after release");
}

void check_blob_from_server(Env &env)
{
	const uint64_t size = (1u << 20) + 123;
	const uint32_t seed = 7;
	uint32_t before = get_stats(env).getLiveBlobs();
	{
		auto req = env.root.makeBlobRequest();
		req.setSize(size);
		req.setSeed(seed);
		auto blob = req.send().wait(env.ws).getBlob();
		auto maybe_fd = blob.getFd().wait(env.ws);
		int fd = -1;
		KJ_IF_MAYBE (f, maybe_fd)
			fd = *f;
		KJ_REQUIRE(fd >= 0, "the blob capability arrived without an fd");
		KJ_REQUIRE(
		        (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, "received fd is not close-on-exec");
		auto c = interop::read_fd(fd);
		KJ_REQUIRE(c.sealed, "server blob is not sealed");
		KJ_REQUIRE(c.size == size, c.size);
		uint64_t want = interop::pattern_hash(size, seed);
		KJ_REQUIRE(c.hash == want, "blob contents differ from the pattern");

		auto info = blob.infoRequest().send().wait(env.ws);
		KJ_REQUIRE(info.getSize() == size && info.getHash() == want);
	}
	KJ_REQUIRE(eventually(env, [&]() { return get_stats(env).getLiveBlobs() == before; }),
	        "server kept the blob after release");
}

uint32_t g_live_client_blobs;

class ClientBlob final : public Blob::Server
{
      public:
	ClientBlob(kj::AutoCloseFd f, uint64_t s, uint64_t h) : fd(kj::mv(f)), size(s), hash(h)
	{
		g_live_client_blobs++;
	}
	~ClientBlob() noexcept(false)
	{
		g_live_client_blobs--;
	}
	kj::Maybe<int> getFd() override
	{
		return fd.get();
	}

      protected:
	kj::Promise<void> info(InfoContext context) override
	{
		context.getResults().setSize(size);
		context.getResults().setHash(hash);
		return kj::READY_NOW;
	}

      private:
	kj::AutoCloseFd fd;
	uint64_t size;
	uint64_t hash;
};

void check_blob_to_server(Env &env)
{
	const uint64_t size = 300001;
	const uint32_t seed = 99;
	auto fd = interop::make_pattern_memfd(size, seed);
	uint64_t want = interop::pattern_hash(size, seed);
	auto req = env.root.consumeBlobRequest();
	req.setBlob(kj::heap<ClientBlob>(kj::mv(fd), size, want));
	auto resp = req.send().wait(env.ws);
	KJ_REQUIRE(resp.getSize() == size, resp.getSize());
	KJ_REQUIRE(resp.getHash() == want, "server read other bytes through the fd");
	KJ_REQUIRE(resp.getSealed(), "server did not see the seals");
	auto head = resp.getHead();
	KJ_REQUIRE(head.size() == INTEROP_BLOB_HEAD_BYTES, head.size());
	for (unsigned i = 0; i < head.size(); i++)
		KJ_REQUIRE(head[i] == interop_pattern(seed, i), i);
	/* Released by the server once the call is over: our memfd closes with the object. */
	KJ_REQUIRE(eventually(env, []() { return g_live_client_blobs == 0; }),
	        "server never released the blob", g_live_client_blobs);
}

void check_stream(Env &env)
{
	auto sink = env.root.openSinkRequest().send().wait(env.ws).getSink();
	const unsigned chunks = 200, chunk = 3000;
	uint8_t buf[chunk];
	uint64_t hash = INTEROP_FNV_INIT;
	kj::Vector<kj::Promise<void>> writes;
	for (unsigned i = 0; i < chunks; i++) {
		interop_pattern_fill(1, (uint64_t)i * chunk, buf, chunk);
		hash = interop_fnv1a64(hash, buf, chunk);
		auto w = sink.writeRequest();
		w.setChunk(kj::arrayPtr(buf, chunk));
		/* Streaming: the flow controller, not our round trips, paces the writes. */
		writes.add(w.send());
	}
	kj::joinPromises(writes.releaseAsArray()).wait(env.ws);
	auto done = sink.doneRequest().send().wait(env.ws);
	KJ_REQUIRE(done.getChunks() == chunks, done.getChunks());
	KJ_REQUIRE(done.getBytes() == (uint64_t)chunks * chunk, done.getBytes());
	KJ_REQUIRE(done.getHash() == hash, "stream bytes differ");
}

void check_concurrency(Env &env)
{
	/* Three slow calls sent in order of decreasing delay, then a fast one. A server that
	 * handles calls one at a time answers in send order; a concurrent one answers the fast
	 * call first and the slow ones shortest first. The delays differ by far more than a
	 * round trip, so the order does not depend on scheduling. */
	kj::Vector<uint32_t> order;
	kj::Vector<kj::Promise<void>> all;
	const uint32_t delays[] = {600, 400, 200};
	for (uint32_t tag = 1; tag <= 3; tag++) {
		auto req = env.root.slowRequest();
		req.setMillis(delays[tag - 1]);
		req.setTag(tag);
		all.add(req.send()
		                .then([&order, tag](capnp::Response<Interop::SlowResults> &&r) {
			                KJ_REQUIRE(r.getTag() == tag, r.getTag(), tag);
			                order.add(tag);
		                })
		                .eagerlyEvaluate(nullptr));
	}
	all.add(env.root.pingRequest()
	                .send()
	                .then([&order](capnp::Response<Interop::PingResults> &&) { order.add(0); })
	                .eagerlyEvaluate(nullptr));
	/* Continuations run lazily in kj unless evaluated eagerly: the join alone would run
	 * them in array order and record that instead of the arrival order. */
	kj::joinPromises(all.releaseAsArray()).wait(env.ws);
	KJ_REQUIRE(order.size() == 4);
	KJ_REQUIRE(order[0] == 0 && order[1] == 3 && order[2] == 2 && order[3] == 1,
	        "answers came in the wrong order", order[0], order[1], order[2], order[3]);
}

void check_cancel(Env &env)
{
	uint32_t before = get_stats(env).getCancelled();
	{
		auto req = env.root.slowRequest();
		req.setMillis(30000);
		req.setTag(5);
		auto p = req.send();
		/* Make sure the call reached the server before we drop it. */
		check_ping(env);
	}
	/* Dropping the promise sent Finish; the server must drop the call. */
	KJ_REQUIRE(eventually(env, [&]() { return get_stats(env).getCancelled() == before + 1; }),
	        "server never cancelled the call");
}

void check_die(Env &env)
{
	/* One call in flight when the peer dies, and the call that kills it: both must fail
	 * as disconnected, not hang. */
	auto slow = env.root.slowRequest();
	slow.setMillis(30000);
	slow.setTag(9);
	auto slow_p = slow.send();
	auto die_p = env.root.dieRequest().send();
	auto e1 = kj::runCatchingExceptions([&]() { die_p.wait(env.ws); });
	auto e2 = kj::runCatchingExceptions([&]() { slow_p.wait(env.ws); });
	KJ_IF_MAYBE (ex, e1) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::DISCONNECTED, ex->getType());
	} else {
		KJ_FAIL_REQUIRE("die() returned");
	}
	KJ_IF_MAYBE (ex, e2) {
		KJ_REQUIRE(ex->getType() == kj::Exception::Type::DISCONNECTED, ex->getType());
	} else {
		KJ_FAIL_REQUIRE("slow() answered after the server died");
	}
	auto e3 = kj::runCatchingExceptions([&]() { check_ping(env); });
	KJ_REQUIRE(e3 != nullptr, "a call succeeded after the server died");
}

/* Answers nothing: the server stays mid-call into us. */
class StuckCallback final : public Callback::Server
{
      public:
	explicit StuckCallback(kj::Own<kj::PromiseFulfiller<void>> f) : called(kj::mv(f))
	{
	}

      protected:
	kj::Promise<void> call(CallContext) override
	{
		called->fulfill();
		return kj::NEVER_DONE;
	}

      private:
	kj::Own<kj::PromiseFulfiller<void>> called;
};

[[noreturn]] void check_vanish(Env &env)
{
	/* The client dies with a call pending in each direction: a slow call of ours, and the
	 * server's call into our callback. A server must drop both and keep serving others;
	 * run only by name (the process exits here). */
	auto paf = kj::newPromiseAndFulfiller<void>();
	auto slow = env.root.slowRequest();
	slow.setMillis(30000);
	slow.setTag(1);
	auto slow_p = slow.send();
	auto cb = env.root.callBackRequest();
	cb.setCb(kj::heap<StuckCallback>(kj::mv(paf.fulfiller)));
	cb.setValue(1);
	cb.setTimes(1);
	auto cb_p = cb.send();
	paf.promise.wait(env.ws);
	printf("ok vanish\n");
	fflush(stdout);
	_exit(0);
}

struct Check {
	const char *name;
	void (*fn)(Env &);
	bool by_name_only; /* not part of the default run */
};

const Check checks[] = {
        {"ping", check_ping, false},
        {"sample", check_sample, false},
        {"echo", check_echo, false},
        {"echo-defaults", check_echo_defaults, false},
        {"exceptions", check_exceptions, false},
        {"unimplemented", check_unimplemented, false},
        {"limits", check_limits, false},
        {"callback", check_callback, false},
        {"counter", check_counter, false},
        {"pipeline", check_pipeline, false},
        {"blob-from-server", check_blob_from_server, false},
        {"blob-to-server", check_blob_to_server, false},
        {"stream", check_stream, false},
        {"concurrency", check_concurrency, false},
        {"cancel", check_cancel, false},
        {"die", check_die, false},
        {"vanish", check_vanish, true},
};

[[noreturn]] void usage(void)
{
	fprintf(stderr, "usage: interop-cxx-client (--fd N | --connect PATH) [--only NAME]... "
	                "[--skip NAME]... [--list]\n");
	exit(2);
}

bool listed(const kj::Vector<const char *> &names, const char *name)
{
	for (auto n : names)
		if (!strcmp(n, name))
			return true;
	return false;
}

} /* namespace */

int main(int argc, char **argv)
{
	int conn_fd = -1;
	const char *path = nullptr;
	kj::Vector<const char *> only, skip;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fd") && i + 1 < argc) {
			conn_fd = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--connect") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
			only.add(argv[++i]);
		} else if (!strcmp(argv[i], "--skip") && i + 1 < argc) {
			skip.add(argv[++i]);
		} else if (!strcmp(argv[i], "--list")) {
			for (auto &c : checks)
				printf("%s\n", c.name);
			return 0;
		} else {
			usage();
		}
	}
	if ((conn_fd < 0) == (path == nullptr))
		usage();
	for (auto n : only) {
		bool known = false;
		for (auto &c : checks)
			known = known || !strcmp(c.name, n);
		if (!known) {
			fprintf(stderr, "interop-cxx-client: no check named %s\n", n);
			return 2;
		}
	}

	signal(SIGPIPE, SIG_IGN);
	auto io = kj::setupAsyncIo();
	kj::AutoCloseFd conn;
	if (path) {
		KJ_IF_MAYBE (e,
		        kj::runCatchingExceptions([&]() { conn = interop::connect_unix(path); })) {
			fprintf(stderr, "interop-cxx-client: %s\n", kj::str(*e).cStr());
			return 1;
		}
	} else {
		conn = kj::AutoCloseFd(conn_fd);
	}
	auto stream = io.lowLevelProvider->wrapUnixSocketFd(
	        conn.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
	capnp::TwoPartyClient client(*stream, NX_MSG_MAX_FDS);
	Env env{io.waitScope, io.provider->getTimer(), client.bootstrap().castAs<Interop>()};

	/* Every fd a check receives (blobs) must be closed once its capability is released. */
	int fds_before = fdcheck_count();
	int failed = 0;
	for (auto &c : checks) {
		if (only.size() ? !listed(only, c.name) : c.by_name_only)
			continue;
		if (listed(skip, c.name))
			continue;
		auto e = kj::runCatchingExceptions([&]() { c.fn(env); });
		KJ_IF_MAYBE (ex, e) {
			/* One line per check: keep the description, drop the stack trace. */
			auto why = kj::str(ex->getDescription());
			for (auto &ch : why)
				if (ch == '\n')
					ch = ' ';
			printf("FAIL %s: %s\n", c.name, why.cStr());
			failed++;
		} else {
			printf("ok %s\n", c.name);
		}
		fflush(stdout);
	}
	if (fdcheck_leaked(fds_before, "interop-cxx-client") != 0) {
		printf("FAIL fds: an fd received during the checks is still open\n");
		failed++;
	}
	return failed ? 1 : 0;
}
