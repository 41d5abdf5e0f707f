// SPDX-License-Identifier: GPL-2.0
/*
 * stress-writer: a process that keeps a device-dax node mapped and writes
 * it, for tests/vm/guest/stress.sh.
 *
 *   stress-writer write DEV LEN SEED STATE
 *       map the first LEN bytes of DEV and rewrite them pass after pass,
 *       each pass with its own pattern; after every complete pass write
 *       the pass number to the file STATE. SIGTERM or SIGINT: finish the
 *       current pass, record it, exit 0. A revoked mapping kills it with
 *       SIGBUS (the default action).
 *   stress-writer verify DEV LEN SEED PASS
 *       map DEV again and compare every byte of LEN with pass PASS's
 *       pattern; exit 0 when all match, 1 naming the first mismatch.
 *
 * The pattern is a function of (SEED, PASS, byte offset), so the check
 * is byte for byte without keeping a copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t word(uint64_t seed, uint64_t pass, uint64_t i)
{
	return mix(seed ^ (pass << 40) ^ i);
}

static uint64_t *map(const char *dev, size_t len, int prot)
{
	void *p;
	int fd;

	fd = open(dev, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", dev, strerror(errno));
		exit(2);
	}
	p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap %zu: %s\n", dev, len,
			strerror(errno));
		exit(2);
	}
	close(fd);
	return p;
}

static void record(const char *state, uint64_t pass)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%llu\n", (unsigned long long)pass) < 0 ||
	    fclose(f) || rename(tmp, state)) {
		fprintf(stderr, "%s: %s\n", state, strerror(errno));
		exit(2);
	}
}

static int writer(const char *dev, size_t len, uint64_t seed, const char *state)
{
	uint64_t *p = map(dev, len, PROT_READ | PROT_WRITE);
	size_t n = len / sizeof(*p);
	struct sigaction sa;
	uint64_t pass;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (pass = 1; !stop; pass++) {
		for (size_t i = 0; i < n; i++)
			p[i] = word(seed, pass, i);
		record(state, pass);
		/* leave CPU time to the commands under test (TCG, 2 vCPUs) */
		usleep(20000);
	}
	munmap(p, len);
	return 0;
}

static int verify(const char *dev, size_t len, uint64_t seed, uint64_t pass)
{
	const uint64_t *p = map(dev, len, PROT_READ);
	size_t n = len / sizeof(*p);

	for (size_t i = 0; i < n; i++) {
		if (p[i] != word(seed, pass, i)) {
			fprintf(stderr,
				"%s: byte offset %zu: 0x%016llx, pass %llu "
				"wrote 0x%016llx\n",
				dev, i * sizeof(*p), (unsigned long long)p[i],
				(unsigned long long)pass,
				(unsigned long long)word(seed, pass, i));
			return 1;
		}
	}
	printf("%s: %zu bytes of pass %llu intact\n", dev, len,
	       (unsigned long long)pass);
	return 0;
}

int main(int argc, char **argv)
{
	size_t len;
	uint64_t seed;

	if (argc != 6 ||
	    (strcmp(argv[1], "write") && strcmp(argv[1], "verify"))) {
		fprintf(stderr,
			"usage: stress-writer write|verify DEV LEN SEED "
			"STATE|PASS\n");
		return 2;
	}
	len = strtoull(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	if (!len || len % 4096) {
		fprintf(stderr, "bad length %s\n", argv[3]);
		return 2;
	}
	if (!strcmp(argv[1], "write"))
		return writer(argv[2], len, seed, argv[5]);
	return verify(argv[2], len, seed, strtoull(argv[5], NULL, 0));
}
