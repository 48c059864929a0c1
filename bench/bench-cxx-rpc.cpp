/* SPDX-License-Identifier: MIT */
/*
 * The reference null call: libcapnp's TwoPartyClient calling Interop.ping() on a
 * TwoPartyServer in another process over a Unix socketpair (fd passing enabled, as Nexus
 * channels are), one blocking call at a time.
 *
 *   bench-cxx-rpc [--cpus same|split] [--iters N] [--rounds R]
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include "bench-util.h"
#include "interop.capnp.h"
#include "nexus/limits.h"

namespace
{

constexpr size_t WARMUP = 1000;

class PingServer final : public Interop::Server
{
      protected:
	kj::Promise<void> ping(PingContext) override
	{
		return kj::READY_NOW;
	}
};

[[noreturn]] void serve(int fd, int cpu)
{
	if (bench_pin(cpu) < 0)
		_exit(1);
	auto io = kj::setupAsyncIo();
	capnp::TwoPartyServer server(kj::heap<PingServer>());
	auto stream = io.lowLevelProvider->wrapUnixSocketFd(
	        fd, kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
	auto e = kj::runCatchingExceptions(
	        [&]() { server.accept(*stream, NX_MSG_MAX_FDS).wait(io.waitScope); });
	_exit(e == nullptr ? 0 : 1);
}

[[noreturn]] void usage(void)
{
	fprintf(stderr, "usage: bench-cxx-rpc [--cpus same|split] [--iters N] [--rounds 1..64]\n");
	exit(2);
}

} /* namespace */

int main(int argc, char **argv)
{
	enum bench_cpus cpus = BENCH_CPUS_SPLIT;
	size_t iters = 5000, rounds = 5;

	for (int ac = 1; ac < argc; ac++) {
		if (!strcmp(argv[ac], "--cpus") && ac + 1 < argc) {
			if (bench_parse_cpus(argv[++ac], &cpus) < 0)
				usage();
		} else if (!strcmp(argv[ac], "--iters") && ac + 1 < argc) {
			iters = strtoul(argv[++ac], nullptr, 10);
		} else if (!strcmp(argv[ac], "--rounds") && ac + 1 < argc) {
			rounds = strtoul(argv[++ac], nullptr, 10);
		} else {
			usage();
		}
	}
	if (iters == 0 || rounds == 0 || rounds > 64)
		usage();

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		return 1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1], bench_cpu_for(cpus, 1));
	}
	close(sv[1]);
	if (bench_pin(bench_cpu_for(cpus, 0)) < 0) {
		fprintf(stderr, "bench-cxx-rpc: cannot pin\n");
		return 1;
	}

	auto samples = kj::heapArray<uint64_t>(iters * rounds);
	uint64_t round_ops[64];
	size_t n = 0;
	{
		auto io = kj::setupAsyncIo();
		auto stream = io.lowLevelProvider->wrapUnixSocketFd(
		        sv[0], kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP);
		capnp::TwoPartyClient client(*stream, NX_MSG_MAX_FDS);
		auto root = client.bootstrap().castAs<Interop>();
		auto e = kj::runCatchingExceptions([&]() {
			for (size_t i = 0; i < WARMUP; i++)
				root.pingRequest().send().wait(io.waitScope);
			for (size_t r = 0; r < rounds; r++) {
				uint64_t start = bench_now_ns(), t0 = start;
				for (size_t i = 0; i < iters; i++) {
					root.pingRequest().send().wait(io.waitScope);
					uint64_t t1 = bench_now_ns();
					samples[n++] = t1 - t0;
					t0 = t1;
				}
				round_ops[r] =
				        (uint64_t)((double)iters * 1e9 / (double)(t0 - start));
			}
		});
		KJ_IF_MAYBE (ex, e) {
			fprintf(stderr, "bench-cxx-rpc: %s\n", kj::str(*ex).cStr());
			kill(pid, SIGKILL);
			waitpid(pid, nullptr, 0);
			return 1;
		}
	}
	/* The client's stream is gone: the server sees the disconnect and exits. */
	waitpid(pid, nullptr, 0);
	bench_report_latency(
	        "cxx-rpc-null", bench_cpus_name(cpus), samples.begin(), n, round_ops, rounds);
	return 0;
}
