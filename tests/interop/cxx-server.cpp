/* SPDX-License-Identifier: MIT */
/*
 * interop-cxx-server: the reference (libcapnp) implementation of interop.capnp's Interop,
 * served over a Unix socket with fd passing enabled, so Nexus's C client can be checked
 * against it.
 *
 *   interop-cxx-server --fd N                    serve the connected socket N, exit when it closes
 *   interop-cxx-server --listen PATH [--ready-fd N]
 *                                                accept connections at PATH until SIGTERM;
 *                                                write "ready\n" to N once listening
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/main.h>

#include "cxx-common.h"
#include "interop.capnp.h"
#include "nexus/limits.h"

namespace
{

/* Per process: what the client's release and cancellation checks observe through stats(). */
struct Stats {
	uint32_t live_counters = 0;
	uint32_t live_blobs = 0;
	uint32_t cancelled = 0;
};
Stats g_stats;

class CounterImpl final : public Counter::Server
{
      public:
	explicit CounterImpl(int64_t start) : value(start)
	{
		g_stats.live_counters++;
	}
	~CounterImpl() noexcept(false)
	{
		g_stats.live_counters--;
	}

      protected:
	kj::Promise<void> increment(IncrementContext context) override
	{
		value += context.getParams().getBy();
		context.getResults().setValue(value);
		return kj::READY_NOW;
	}

      private:
	int64_t value;
};

class BlobImpl final : public Blob::Server
{
      public:
	BlobImpl(kj::AutoCloseFd f, uint64_t s, uint64_t h) : fd(kj::mv(f)), size(s), hash(h)
	{
		g_stats.live_blobs++;
	}
	~BlobImpl() noexcept(false)
	{
		g_stats.live_blobs--;
	}

	/* This is what makes the RPC layer attach the fd to the CapDescriptor. The fd stays
	 * ours; the RPC system dups it for sending. */
	kj::Maybe<int> getFd() override
	{
		return fd.get();
	}

      protected:
	kj::Promise<void> info(InfoContext context) override
	{
		auto r = context.getResults();
		r.setSize(size);
		r.setHash(hash);
		return kj::READY_NOW;
	}

      private:
	kj::AutoCloseFd fd;
	uint64_t size;
	uint64_t hash;
};

class SinkImpl final : public Sink::Server
{
      protected:
	kj::Promise<void> write(WriteContext context) override
	{
		auto chunk = context.getParams().getChunk();
		chunks++;
		bytes += chunk.size();
		hash = interop_fnv1a64(hash, chunk.begin(), chunk.size());
		return kj::READY_NOW;
	}

	kj::Promise<void> done(DoneContext context) override
	{
		auto r = context.getResults();
		r.setChunks(chunks);
		r.setBytes(bytes);
		r.setHash(hash);
		return kj::READY_NOW;
	}

      private:
	uint64_t chunks = 0;
	uint64_t bytes = 0;
	uint64_t hash = INTEROP_FNV_INIT;
};

/* Lives as long as a slow call's promise: destroyed before it fired means cancelled. */
struct SlowGuard {
	bool fired = false;
	~SlowGuard()
	{
		if (!fired)
			g_stats.cancelled++;
	}
};

kj::Exception::Type to_kj_type(FailType t)
{
	switch (t) {
	case FailType::OVERLOADED:
		return kj::Exception::Type::OVERLOADED;
	case FailType::DISCONNECTED:
		return kj::Exception::Type::DISCONNECTED;
	case FailType::UNIMPLEMENTED:
		return kj::Exception::Type::UNIMPLEMENTED;
	case FailType::FAILED:
		break;
	}
	return kj::Exception::Type::FAILED;
}

class InteropImpl final : public Interop::Server
{
      public:
	explicit InteropImpl(kj::Timer &t) : timer(t)
	{
	}

      protected:
	kj::Promise<void> ping(PingContext) override
	{
		return kj::READY_NOW;
	}

	kj::Promise<void> echo(EchoContext context) override
	{
		context.getResults().setValue(context.getParams().getValue());
		return kj::READY_NOW;
	}

	kj::Promise<void> sample(SampleContext context) override
	{
		context.getResults().setValue(SAMPLE_VALUE.get());
		return kj::READY_NOW;
	}

	kj::Promise<void> fail(FailContext context) override
	{
		auto p = context.getParams();
		return kj::Exception(
		        to_kj_type(p.getType()), __FILE__, __LINE__, kj::str(p.getReason()));
	}

	/* notImplemented is left to the generated default, which throws UNIMPLEMENTED. */

	kj::Promise<void> callBack(CallBackContext context) override
	{
		auto p = context.getParams();
		uint32_t times = p.getTimes();
		if (times > INTEROP_CALLBACK_MAX)
			interop::fail("invalid_argument: times over the cap");
		auto results = kj::heapArray<int32_t>(times);
		return call_loop(p.getCb(), p.getValue(), 0, kj::mv(results), context);
	}

	kj::Promise<void> newCounter(NewCounterContext context) override
	{
		context.getResults().setCounter(
		        kj::heap<CounterImpl>(context.getParams().getStart()));
		return kj::READY_NOW;
	}

	kj::Promise<void> makeBox(MakeBoxContext context) override
	{
		auto p = context.getParams();
		auto box = context.getResults().initBox();
		box.setTag(p.getTag());
		box.setCounter(kj::heap<CounterImpl>(p.getStart()));
		return kj::READY_NOW;
	}

	kj::Promise<void> makeBlob(MakeBlobContext context) override
	{
		auto p = context.getParams();
		uint64_t size = p.getSize();
		if (size > INTEROP_BLOB_MAX_BYTES)
			interop::fail("too_large: blob size over the cap");
		auto fd = interop::make_pattern_memfd(size, p.getSeed());
		uint64_t hash = interop::pattern_hash(size, p.getSeed());
		context.getResults().setBlob(kj::heap<BlobImpl>(kj::mv(fd), size, hash));
		return kj::READY_NOW;
	}

	kj::Promise<void> consumeBlob(ConsumeBlobContext context) override
	{
		/* getFd() on an imported capability returns the fd that rode with the
		 * CapDescriptor; it stays owned by the import, so read it before releasing. */
		auto blob = context.getParams().getBlob();
		return blob.getFd().then([context, blob](kj::Maybe<int> maybe_fd) mutable {
			KJ_IF_MAYBE (fd, maybe_fd) {
				auto c = interop::read_fd(*fd);
				auto r = context.getResults();
				r.setSize(c.size);
				r.setHash(c.hash);
				r.setHead(c.head.asPtr());
				r.setSealed(c.sealed);
			} else {
				interop::fail("invalid_argument: blob capability carries no fd");
			}
		});
	}

	kj::Promise<void> openSink(OpenSinkContext context) override
	{
		context.getResults().setSink(kj::heap<SinkImpl>());
		return kj::READY_NOW;
	}

	kj::Promise<void> slow(SlowContext context) override
	{
		auto p = context.getParams();
		uint32_t tag = p.getTag();
		uint32_t millis = kj::min(p.getMillis(), 60000u);
		context.allowCancellation();
		auto guard = kj::heap<SlowGuard>();
		return timer.afterDelay(millis * kj::MILLISECONDS)
		        .then([context, tag, g = kj::mv(guard)]() mutable {
			        g->fired = true;
			        context.getResults().setTag(tag);
		        });
	}

	kj::Promise<void> stats(StatsContext context) override
	{
		auto r = context.getResults();
		r.setLiveCounters(g_stats.live_counters);
		r.setLiveBlobs(g_stats.live_blobs);
		r.setCancelled(g_stats.cancelled);
		return kj::READY_NOW;
	}

	kj::Promise<void> die(DieContext) override
	{
		/* The peer-dying-mid-call case: no answer, no orderly shutdown. */
		fflush(stdout);
		_exit(INTEROP_DIE_STATUS);
	}

      private:
	kj::Timer &timer;

	static kj::Promise<void> call_loop(Callback::Client cb, int32_t value, uint32_t i,
	        kj::Array<int32_t> results, CallBackContext context)
	{
		if (i == results.size()) {
			auto out = context.getResults().initResults((unsigned)results.size());
			for (size_t k = 0; k < results.size(); k++)
				out.set((unsigned)k, results[k]);
			return kj::READY_NOW;
		}
		auto req = cb.callRequest();
		req.setValue(value + (int32_t)i);
		return req.send().then(
		        [cb, value, i, r = kj::mv(results), context](
		                capnp::Response<Callback::CallResults> &&resp) mutable {
			        r[i] = resp.getResult();
			        return call_loop(kj::mv(cb), value, i + 1, kj::mv(r), context);
		        });
	}
};

int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	KJ_REQUIRE(strlen(path) < sizeof(sa.sun_path), "socket path too long", path);
	strcpy(sa.sun_path, path);
	int fd;
	KJ_SYSCALL(fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
	unlink(path);
	KJ_SYSCALL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), path);
	KJ_SYSCALL(listen(fd, 16));
	return fd;
}

[[noreturn]] void usage(void)
{
	fprintf(stderr, "usage: interop-cxx-server --fd N | --listen PATH [--ready-fd N]\n");
	exit(2);
}

} /* namespace */

int main(int argc, char **argv)
{
	int conn_fd = -1;
	int ready_fd = -1;
	const char *listen_path = nullptr;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fd") && i + 1 < argc)
			conn_fd = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_path = argv[++i];
		else if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc)
			ready_fd = atoi(argv[++i]);
		else
			usage();
	}
	if ((conn_fd < 0) == (listen_path == nullptr))
		usage();

	signal(SIGPIPE, SIG_IGN);
	kj::UnixEventPort::captureSignal(SIGTERM);
	auto io = kj::setupAsyncIo();
	capnp::TwoPartyServer server(kj::heap<InteropImpl>(io.provider->getTimer()));

	KJ_IF_MAYBE (e, kj::runCatchingExceptions([&]() {
		             if (conn_fd >= 0) {
			             auto stream = io.lowLevelProvider->wrapUnixSocketFd(
			                     conn_fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
			             server.accept(*stream, NX_MSG_MAX_FDS).wait(io.waitScope);
			             return;
		             }
		             auto listener = io.lowLevelProvider->wrapListenSocketFd(
		                     listen_unix(listen_path),
		                     kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
		                             kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
		             if (ready_fd >= 0) {
			             KJ_SYSCALL(write(ready_fd, "ready\n", 6));
			             close(ready_fd);
		             }
		             auto term = io.unixEventPort.onSignal(SIGTERM).ignoreResult();
		             server.listenCapStreamReceiver(*listener, NX_MSG_MAX_FDS)
		                     .exclusiveJoin(kj::mv(term))
		                     .wait(io.waitScope);
		             unlink(listen_path);
	             })) {
		fprintf(stderr, "interop-cxx-server: %s\n", kj::str(*e).cStr());
		return 1;
	}
	return 0;
}
