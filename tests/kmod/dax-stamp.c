// SPDX-License-Identifier: GPL-2.0
/*
 * dax-stamp: write or check a name stamp in the first and the last 4 KiB
 * page of device-dax devices, many per run (one exec instead of four daxio
 * runs per namespace under TCG). The page holds NAME padded with spaces to
 * 4095 bytes and a newline, as printf "%-4095s\n" NAME prints it.
 *
 *   dax-stamp write|check DEV SIZE NAME [DEV SIZE NAME ...]
 *
 * Exits 0 when every stamp was written / matched, 1 otherwise (each
 * mismatch is named), 2 on a usage error.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static void flush(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i += 64)
		__builtin_ia32_clflush(p + i);
	__builtin_ia32_sfence();
}

static int stamp(const char *dev, unsigned long long size, const char *name,
		 int write)
{
	char page[PAGE];
	int fd, bad = 0;
	char *p;

	if (size < PAGE || size % PAGE || strlen(name) > PAGE - 1) {
		fprintf(stderr, "%s: bad size %llu or name\n", dev, size);
		return 1;
	}
	memset(page, ' ', sizeof(page));
	memcpy(page, name, strlen(name));
	page[PAGE - 1] = '\n';
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror(dev);
		return 1;
	}
	if (write) {
		memcpy(p, page, PAGE);
		memcpy(p + size - PAGE, page, PAGE);
		/* device-dax has no msync: write the cache lines back */
		flush(p, PAGE);
		flush(p + size - PAGE, PAGE);
	} else {
		if (memcmp(p, page, PAGE)) {
			fprintf(stderr, "%s: %s: first page lost\n", dev, name);
			bad = 1;
		}
		if (memcmp(p + size - PAGE, page, PAGE)) {
			fprintf(stderr, "%s: %s: last page lost\n", dev, name);
			bad = 1;
		}
	}
	munmap(p, size);
	return bad;
}

int main(int argc, char **argv)
{
	int write, bad = 0;

	if (argc < 5 || (argc - 2) % 3 ||
	    (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr,
			"usage: %s write|check DEV SIZE NAME [DEV SIZE NAME "
			"...]\n",
			argv[0]);
		return 2;
	}
	write = !strcmp(argv[1], "write");
	for (int i = 2; i + 2 < argc; i += 3)
		bad |= stamp(argv[i], strtoull(argv[i + 1], NULL, 0),
			     argv[i + 2], write);
	return bad;
}
