// SPDX-License-Identifier: GPL-2.0
/*
 * bench-tool: helpers for bench/guest/bench.sh (one exec instead of a
 * python or jq run under TCG).
 *
 *   bench-tool unmap REGION_ID INDEX...
 *       DEVMEM_IOC_NS_UNMAP each namespace INDEX of region REGION_ID (the N
 *       of /dev/daxN.M minus 100), so that `devmemctl assemble` maps it again.
 *   bench-tool touch DEV SIZE
 *       mmap SIZE bytes of the device-dax node DEV, write one byte in every
 *       4 KiB page (first touch), print
 *       "pages minflt seconds pages_per_s faults_per_s".
 *       minflt < pages means larger (PMD) faults served several pages.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <linux/devmem.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int unmap(int argc, char **argv)
{
	struct devmem_ns_arg a;
	int fd = open("/dev/devmem", O_RDWR | O_CLOEXEC);
	int rc = 0;

	if (fd < 0) {
		perror("/dev/devmem");
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		memset(&a, 0, sizeof(a));
		a.abi = DEVMEM_ABI_VERSION;
		a.id = strtoull(argv[2], NULL, 0);
		a.index = strtoull(argv[i], NULL, 0);
		if (ioctl(fd, DEVMEM_IOC_NS_UNMAP, &a)) {
			fprintf(stderr, "unmap %s/%s: %m\n", argv[2], argv[i]);
			rc = 1;
		}
	}
	close(fd);
	return rc;
}

static int touch(const char *dev, unsigned long long size)
{
	struct rusage r0, r1;
	volatile char *p;
	double t0, t1;
	long flt;
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(dev);
		return 1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	for (unsigned long long off = 0; off < size; off += 4096)
		p[off] = 1;
	t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	flt = r1.ru_minflt - r0.ru_minflt;
	printf("%llu %ld %.6f %.0f %.0f\n", size / 4096, flt, t1 - t0,
	       (size / 4096) / (t1 - t0), flt / (t1 - t0));
	munmap((void *)p, size);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "unmap"))
		return unmap(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "touch"))
		return touch(argv[2], strtoull(argv[3], NULL, 0));
	fprintf(stderr,
		"usage: bench-tool unmap ID INDEX... | touch DEV SIZE\n");
	return 2;
}
