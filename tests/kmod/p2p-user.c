// SPDX-License-Identifier: GPL-2.0
/*
 * p2p-user: the user side of the devmem-ivshmem sample's tests (run in the
 * VM by tests/vm/guest/p2p.sh). Prints key=value lines; errno values as
 * their names (rc=-EEXIST).
 *
 *   p2p-user info                       the probe's results
 *   p2p-user io BLKDEV                  mmap, pin, O_DIRECT read and write
 *   p2p-user hold SECONDS               keep a mapping, touch it until SIGBUS
 *   p2p-user try OP PHYS SIZE           one API call sequence on a range
 *   p2p-user loop N PHYS SIZE           N register/alloc/free/unregister
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "devmem-ivshmem.h"

#define PG  4096UL
#define DEV "/dev/" DEVMEM_IVSHMEM_NAME

static const char *errname(long long rc)
{
	static char buf[32];
	const char *n;

	if (rc >= 0) {
		snprintf(buf, sizeof(buf), "%lld", rc);
		return buf;
	}
	n = strerrorname_np((int)-rc);
	snprintf(buf, sizeof(buf), "-%s", n ? n : "?");
	return buf;
}

static int open_dev(void)
{
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(DEV);
		exit(1);
	}
	return fd;
}

static void get_info(int fd, struct devmem_ivshmem_info *info)
{
	if (ioctl(fd, DEVMEM_IVSHMEM_INFO, info)) {
		perror("DEVMEM_IVSHMEM_INFO");
		exit(1);
	}
}

static int cmd_info(void)
{
	struct devmem_ivshmem_info i;
	int fd = open_dev();

	get_info(fd, &i);
	printf("bar_phys=0x%llx\nbar_bus=0x%llx\nbar_size=0x%llx\n",
	       (unsigned long long)i.bar_phys, (unsigned long long)i.bar_bus,
	       (unsigned long long)i.bar_size);
	printf("range_offset=0x%llx\nrange_size=0x%llx\npages=%llu\n",
	       (unsigned long long)i.range_offset,
	       (unsigned long long)i.range_size, (unsigned long long)i.pages);
	printf("alloc_offset=0x%llx\nchecks=0x%llx\nchecks_all=0x%llx\n",
	       (unsigned long long)i.alloc_offset, (unsigned long long)i.checks,
	       (unsigned long long)DEVMEM_IVSHMEM_CHECK_ALL);
	printf("first_read=%.8s\ndma_first=0x%llx\n", (char *)&i.first_read,
	       (unsigned long long)i.dma_first);
	close(fd);
	return 0;
}

static char *map_all(int fd, size_t npages)
{
	char *m = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return m;
}

/*
 * Pages of the mapping: 0 holds the line the probe wrote through kmap;
 * 2-5 receive an O_DIRECT read of BLKDEV [0, 16K); 6-7 are written by
 * this program and go out with an O_DIRECT write to BLKDEV at 1 MiB.
 */
static int cmd_io(const char *blkdev)
{
	struct devmem_ivshmem_info i;
	struct devmem_ivshmem_pin pin;
	int fd = open_dev(), bfd;
	ssize_t n;
	char *m;

	get_info(fd, &i);
	if (i.pages < 8) {
		fprintf(stderr, "need 8 pages, the sample has %llu\n",
			(unsigned long long)i.pages);
		return 1;
	}
	m = map_all(fd, i.pages);
	printf("user_read_page0=%.*s\n", (int)strcspn(m, "\n"), m);

	memset(&pin, 0, sizeof(pin));
	pin.addr = (uintptr_t)m;
	pin.pages = i.pages;
	if (ioctl(fd, DEVMEM_IVSHMEM_PIN, &pin)) {
		perror("DEVMEM_IVSHMEM_PIN");
		return 1;
	}
	printf("pinned=%llu\nmatched=%llu\nfree_while_pinned=%s\n",
	       (unsigned long long)pin.pinned, (unsigned long long)pin.matched,
	       errname(pin.free_rc));

	bfd = open(blkdev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (bfd < 0) {
		perror(blkdev);
		return 1;
	}
	n = pread(bfd, m + 2 * PG, 4 * PG, 0);
	printf("odirect_read=%zd\n", n);
	printf("odirect_read_head=%.*s\n", (int)strcspn(m + 2 * PG, "\n"),
	       m + 2 * PG);
	for (n = 0; n < (ssize_t)(2 * PG); n += 32) {
		char line[33]; /* 32 and the NUL, which stays out of the map */

		snprintf(line, sizeof(line), "user-odirect-write %08zx....\n",
			 (size_t)n);
		memcpy(m + 6 * PG + n, line, 32);
	}
	n = pwrite(bfd, m + 6 * PG, 2 * PG, 1 << 20);
	printf("odirect_write=%zd\n", n);
	close(bfd);
	munmap(m, i.pages * PG);
	close(fd);
	return 0;
}

static void on_sigbus(int sig)
{
	static const char msg[] = "revoked=SIGBUS\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(0);
}

/* keep a mapping, close the fd, touch the pages until the revoke */
static int cmd_hold(int seconds)
{
	struct devmem_ivshmem_info i;
	volatile char *m;
	int fd = open_dev();
	long t;

	get_info(fd, &i);
	m = map_all(fd, i.pages);
	close(fd);
	signal(SIGBUS, on_sigbus);
	/* touch the end of the last page: the test checks the starts */
	m = m + (i.pages - 1) * PG + PG / 2;
	m[0] = 'h';
	printf("mapped=%llu\n", (unsigned long long)i.pages);
	fflush(stdout);
	for (t = 0; t < seconds * 20L; t++) {
		m[t % 64] = 'h';
		usleep(50000);
	}
	printf("revoked=no\n");
	return 1;
}

static long long try_op(int fd, unsigned long long op, unsigned long long phys,
			unsigned long long size, struct devmem_ivshmem_try *t)
{
	memset(t, 0, sizeof(*t));
	t->op = op;
	t->phys = phys;
	t->size = size;
	if (ioctl(fd, DEVMEM_IVSHMEM_TRY, t)) {
		perror("DEVMEM_IVSHMEM_TRY");
		exit(1);
	}
	return t->rc;
}

static int cmd_try(char **argv)
{
	struct devmem_ivshmem_try t;
	int fd = open_dev();

	try_op(fd, strtoull(argv[0], NULL, 0), strtoull(argv[1], NULL, 0),
	       strtoull(argv[2], NULL, 0), &t);
	printf("rc=%s\nallocated=%llu\n", errname(t.rc),
	       (unsigned long long)t.allocated);
	printf("busy_rc=%s\n", errname(t.busy_rc));
	close(fd);
	return 0;
}

static int cmd_loop(char **argv)
{
	unsigned long long n = strtoull(argv[0], NULL, 0), k;
	unsigned long long phys = strtoull(argv[1], NULL, 0);
	unsigned long long size = strtoull(argv[2], NULL, 0);
	struct devmem_ivshmem_try t = {0};
	struct timespec a, b;
	int fd = open_dev();

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (k = 0; k < n; k++)
		if (try_op(fd, DEVMEM_IVSHMEM_OP_CYCLE, phys, size, &t))
			break;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("loops=%llu\nrc=%s\nseconds=%.2f\n", k, errname(t.rc),
	       (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
	close(fd);
	return k == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "info"))
		return cmd_info();
	if (argc == 3 && !strcmp(argv[1], "io"))
		return cmd_io(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return cmd_hold(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "try"))
		return cmd_try(argv + 2);
	if (argc == 5 && !strcmp(argv[1], "loop"))
		return cmd_loop(argv + 2);
	fprintf(stderr, "usage: p2p-user info | io BLKDEV | hold SECONDS |\n"
			"       try OP PHYS SIZE | loop N PHYS SIZE\n");
	return 2;
}
