// SPDX-License-Identifier: GPL-2.0
/*
 * dax-fault: what an application on a filesystem-DAX mount sees. For each
 * FILE (which must exist with at least LEN bytes): statx() must report
 * STATX_ATTR_DAX; the file is mapped with MAP_SHARED_VALIDATE | MAP_SYNC
 * (refused unless the mapping is DAX and the device synchronous); then a
 * pattern derived from SEED is stored through the mapping and flushed from
 * the CPU caches (write), or compared with what is there (check).
 *
 *   dax-fault write|check LEN SEED FILE [FILE ...]
 *
 * Exits 0 when every file passed, 1 otherwise (each failure is named), 2 on
 * a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

static uint64_t word(uint64_t seed, size_t i)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + i;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

static int one(const char *file, size_t len, uint64_t seed, int write)
{
	struct statx stx;
	uint64_t *p;
	size_t n = len / sizeof(*p), bad = 0;
	int fd;

	if (statx(AT_FDCWD, file, 0, STATX_BASIC_STATS, &stx)) {
		fprintf(stderr, "%s: statx: %s\n", file, strerror(errno));
		return 1;
	}
	if (!(stx.stx_attributes & STATX_ATTR_DAX)) {
		fprintf(stderr, "%s: statx says not DAX (attributes %#llx)\n",
			file, (unsigned long long)stx.stx_attributes);
		return 1;
	}
	if (stx.stx_size < len) {
		fprintf(stderr, "%s: %llu bytes, fewer than %zu\n", file,
			(unsigned long long)stx.stx_size, len);
		return 1;
	}
	fd = open(file, write ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: open: %s\n", file, strerror(errno));
		return 1;
	}
	p = mmap(NULL, len, PROT_READ | (write ? PROT_WRITE : 0),
		 MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap MAP_SYNC: %s\n", file,
			strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (write) {
			p[i] = word(seed, i);
			if (i % 8 == 7)
				__builtin_ia32_clflush(&p[i - 7]);
		} else if (p[i] != word(seed, i) && !bad++) {
			fprintf(stderr, "%s: word %zu is %#llx, not %#llx\n",
				file, i, (unsigned long long)p[i],
				(unsigned long long)word(seed, i));
		}
	}
	__builtin_ia32_sfence();
	munmap(p, len);
	if (bad) {
		fprintf(stderr, "%s: %zu of %zu words differ\n", file, bad, n);
		return 1;
	}
	printf("%s: DAX, MAP_SYNC, %zu bytes %s\n", file, len,
	       write ? "written" : "match");
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	size_t len;
	uint64_t seed;
	int write, rc = 0;

	if (argc < 5 || (strcmp(argv[1], "write") && strcmp(argv[1], "check")))
		goto usage;
	write = !strcmp(argv[1], "write");
	len = strtoull(argv[2], &end, 0);
	if (*end || !len || len % 64)
		goto usage;
	seed = strtoull(argv[3], &end, 0);
	if (*end)
		goto usage;
	for (int i = 4; i < argc; i++)
		rc |= one(argv[i], len, seed, write);
	return rc;
usage:
	fprintf(stderr,
		"usage: dax-fault write|check LEN SEED FILE [FILE ...]\n"
		"  LEN: a non-zero multiple of 64 bytes\n");
	return 2;
}
